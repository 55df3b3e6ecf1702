import { RISK_NAMES } from "./compliance_event.ts";
import { describeFault } from "./fault.ts";
import { resourceStatus } from "./agent_json.ts";
import { kv, lines, orUnlimited, RISK_TEXT } from "./_shell_text.ts";
import type { AgentSupervisor } from "./supervisor.ts";

/**
 * One agent's views in the SIS shell's layouts (`../shared/sis-formats.md`): the files
 * `agents/<id>/{metrics,resources,limits,risk,deps,policy,profile}` and the CLI's commands of
 * the same names. Byte-exact in layout, with SIS's wrong values fixed: `risk` shows the real
 * score, `resources` status reflects the limits, `limits` shows the agent's own limits. Each
 * returns the text the shell printed, including its leading newline.
 */

/** `metrics <id>` */
export function renderAgentMetrics(sup: AgentSupervisor, id: number): string {
  const m = sup.telemetry.agentMetrics(id);
  if (!m) return `Error: No metrics found for agent ${id}\n`;
  const slot = sup.ctx.table.slotOfId(id);
  const faults = sup.telemetry.recentFaultsAt(slot);
  const out = [
    "",
    `Agent ${id} Metrics:`,
    "=================",
    kv("Spawn Count:", m.spawn_count),
    kv("Exit Count:", m.exit_count),
    kv("Fault Count:", m.fault_count),
    kv("CPU Time:", `${m.cpu_time_us} us`),
    kv("Memory Usage:", `${m.memory_bytes} bytes`),
    kv("Syscall Count:", m.syscall_count),
    kv("Last Spawn:", m.last_spawn),
    kv("Last Exit:", m.last_exit ?? "None"),
    kv("Last Exit Code:", m.last_exit_code ?? "None"),
  ];
  if (faults.length === 0) out.push(kv("Recent Faults:", "None"));
  else {
    out.push("  Recent Faults:");
    for (const f of faults) out.push(`    - ${describeFault(f.kind, f.a, f.b, f.text)}`);
  }
  return lines(...out);
}

/** `resources <id>`: status reflects the agent's limits (fix: SIS always said Normal). */
export function renderAgentResources(sup: AgentSupervisor, id: number): string {
  const slot = sup.ctx.table.slotOfId(id);
  if (slot < 0) return `Error: No resource data for agent ${id}\n`;
  const c = sup.ctx.table.cols;
  const l = sup.limits.of(id)!;
  const rate = sup.resources.syscallRate(id, 1);
  const status = resourceStatus(sup, id);
  return lines(
    "",
    `Agent ${id} Resource Usage:`,
    "==========================",
    kv("CPU Time:", `${c.cpuUs[slot]} us (quota: ${orUnlimited(l.cpu_quota_us, " us")})`),
    kv("Memory:", `${c.memBytes[slot]} bytes (limit: ${orUnlimited(l.memory_limit_bytes, " bytes")})`),
    kv("Syscalls (total):", c.syscallCount[slot]),
    kv("Syscall Rate:", `${Math.round(rate)} /sec (limit: ${orUnlimited(l.syscall_rate_limit, " /sec")})`),
    "",
    `  Status: ${status}`,
  );
}

/** `limits <id>`: the agent's own limits (fix: SIS printed the global defaults). */
export function renderAgentLimits(sup: AgentSupervisor, id: number): string {
  const l = sup.limits.of(id);
  if (!l) return `Error: No limits for agent ${id}\n`;
  return lines(
    "",
    `Agent ${id} - Resource Limits`,
    "==========================",
    kv("CPU Quota:", orUnlimited(l.cpu_quota_us, " us/sec")),
    kv("Memory Limit:", orUnlimited(l.memory_limit_bytes, " bytes")),
    kv("Syscall Rate:", orUnlimited(l.syscall_rate_limit, " /sec")),
    kv("Watchdog Timeout:", orUnlimited(l.watchdog_timeout_us, " us")),
  );
}

/** `risk <id>`: the real compliance score (fix). */
export function renderAgentRisk(sup: AgentSupervisor, id: number): string {
  const c = sup.compliance.of(id);
  if (!c) return `Error: No compliance data for agent ${id}\n`;
  return lines(
    "",
    `Agent ${id} - EU AI Act Risk Classification`,
    "==========================================",
    kv("Risk Level:", RISK_TEXT[RISK_NAMES.indexOf(c.risk_level)], 23),
    kv("Compliance Score:", `${(c.score * 100).toFixed(1)}%`, 23),
    kv("Total Operations:", c.events, 23),
    kv("Human Reviews:", c.human_reviews, 23),
  );
}

/** `deps <id>` */
export function renderAgentDeps(sup: AgentSupervisor, id: number): string {
  const on = sup.deps.dependsOn(id);
  const by = sup.deps.dependedOnBy(id);
  const block = (label: string, list: { id: number }[]) =>
    list.length === 0 ? [kv(label, "(none)")] : [`  ${label}`, ...list.map((d) => `    - Agent ${d.id}`)];
  return lines("", `Agent ${id} - Dependencies`, "==========================", ...block("Depends On:", on), ...block("Depended On By:", by));
}

/** `policy <id>`, plus the capability names and scope (SPEC §5). */
export function renderAgentPolicy(sup: AgentSupervisor, id: number): string {
  const p = sup.policy.policyOf(id);
  if (!p) return `No policy found for agent ${id}\n`;
  const scope = Object.entries(p.scope).map(([k, v]) => `${k === "path_prefix" ? "path" : k}=${Array.isArray(v) ? v.join(",") : v}`);
  return lines(
    "",
    "=== Agent Policy ===",
    "",
    `Agent ID:        ${p.agent_id}`,
    `Capabilities:    ${p.capabilities.length}`,
    `Auto-restart:    ${p.auto_restart ? "Enabled" : "Disabled"}`,
    `Max restarts:    ${p.max_restarts}`,
    `Violations:      ${p.violations}`,
    `Policy changes:  ${p.policy_changes}`,
    `Capability list: ${p.capabilities.length > 0 ? p.capabilities.join(" ") : "(none)"}`,
    `Scope:           ${scope.length > 0 ? scope.join(" ") : "(unrestricted)"}`,
  );
}

/** `profile <id>` */
export function renderAgentProfile(sup: AgentSupervisor, id: number): string {
  if (!sup.hasAgent(id)) return `Error: No profile data for agent ${id}\n`;
  const s = sup.profiler.summary(id);
  if (!s) return `No profile data for agent ${id}\n`;
  return lines(
    "",
    `Agent ${id} - Performance Profile`,
    "======================================",
    kv("Total Operations:", s.total_operations, 23),
    kv("Successful:", s.successful, 23),
    kv("Failed:", s.failed, 23),
    kv("Success Rate:", s.success_rate === null ? "N/A" : `${Math.round(s.success_rate * 100)}%`, 23),
    kv("Avg Latency:", `${s.avg_latency_us} us`, 23),
    kv("Peak Latency:", `${s.peak_latency_us} us`, 23),
  );
}
