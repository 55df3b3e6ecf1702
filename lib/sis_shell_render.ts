import { RISK_NAMES } from "./compliance_event.ts";
import { describeFault } from "./fault.ts";
import { resourceStatus } from "./agent_json.ts";
import type { AgentInfo, AgentSupervisor } from "./supervisor.ts";
import type { AgentMetrics, SystemMetrics } from "./telemetry.ts";

/**
 * The SIS shell's per-agent and listing outputs (`../shared/sis-formats.md`), byte-exact in
 * layout, with SIS's wrong values fixed: `risk` shows the real score, `resources` status
 * reflects the limits, `limits` shows the agent's own limits. Each returns the text the shell
 * printed, including its leading newline.
 */

const RISK_TEXT = ["Minimal (low risk)", "Limited (moderate risk)", "High (requires oversight)", "Unacceptable (PROHIBITED)"];

function kv(label: string, value: string | number, width = 19): string {
  return `  ${label.padEnd(width)}${value}`;
}

/** A limit as SIS printed it, or "unlimited" for 0 (no limit). */
function orUnlimited(value: number, unit: string): string {
  return value > 0 ? `${value}${unit}` : "unlimited";
}

function lines(...ls: string[]): string {
  return ls.join("\n") + "\n";
}

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

/** `depgraph`, from each agent's id and the ids it depends on. */
export function renderDepgraph(agents: readonly { agent_id: number; depends_on: readonly number[] }[]): string {
  if (agents.length === 0) return "No active agents\n";
  const out = ["", "Agent Dependency Graph", "======================", ""];
  for (const a of agents) {
    const on = a.depends_on;
    out.push(on.length === 0 ? `Agent ${a.agent_id} (no dependencies)` : `Agent ${a.agent_id} depends on: [${on.join(", ")}]`);
  }
  return lines(...out);
}

/** `policy <id>`, plus the capability names and scope (SPEC §5). */
export function renderAgentPolicy(sup: AgentSupervisor, id: number): string {
  const p = sup.policy.policyOf(id);
  if (!p) return `No policy found for agent ${id}\n`;
  const scope = Object.entries(p.scope).map(([k, v]) => `${k === "path_prefix" ? "path" : k}=${v}`);
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

type ListRow = Pick<AgentInfo, "agent_id" | "pid" | "name" | "restart_count" | "max_restarts">;

/** `list`, from `sup.listAgents()` or the `agents` of agents.json. */
export function renderAgentList(agents: readonly ListRow[]): string {
  if (agents.length === 0) return "No active agents\n";
  const out = ["", "=== Active Agents ===", "", "ID    PID   Name                 Restart Count", "----  ----  ------------------   -------------"];
  for (const a of agents) {
    out.push(`${String(a.agent_id).padEnd(4)}  ${String(a.pid).padEnd(4)}  ${a.name.slice(0, 18).padEnd(20)} ${a.restart_count}/${a.max_restarts}`);
  }
  return lines(...out);
}

type InfoRow = Pick<AgentInfo, "agent_id" | "pid" | "name" | "active" | "auto_restart" | "restart_count" | "max_restarts" | "uptime_us" | "capability_count">;

/** `info <id>`, from `sup.getAgent(id)` or an agent of agents.json. */
export function renderAgentInfoShell(a: InfoRow | undefined): string {
  if (!a) return "Agent not found\n";
  return lines(
    "",
    "=== Agent Information ===",
    "",
    `Agent ID:        ${a.agent_id}`,
    `PID:             ${a.pid}`,
    `Name:            ${a.name}`,
    `Active:          ${a.active ? "Yes" : "No"}`,
    `Auto-restart:    ${a.auto_restart ? "Enabled" : "Disabled"}`,
    `Restart count:   ${a.restart_count}/${a.max_restarts}`,
    `Uptime:          ${a.uptime_us} us`,
    `Capabilities:    ${a.capability_count} total`,
  );
}

/** The eight ASM subsystems of shell `status`, in SIS order. */
export const SUBSYSTEMS = ["Agent Supervisor", "Telemetry Aggregator", "Fault Detector", "Policy Controller", "Compliance Tracker", "Resource Monitor", "Dependency Graph", "System Profiler"];

/**
 * Shell `status`: the eight subsystems (all of them always run in agentsys, so always ✓ and
 * Healthy) and the quick stats.
 */
export function renderShellStatus(s: Pick<SystemMetrics, "active_agents" | "total_spawns" | "total_exits" | "total_faults">): string {
  return lines(
    "",
    "Agent Supervision Module Status",
    "================================",
    "",
    "Subsystems:",
    ...SUBSYSTEMS.map((n) => `  ✓ ${n.padEnd(22)}(initialized)`),
    "",
    "Quick Stats:",
    kv("Active Agents:", s.active_agents),
    kv("Total Spawns:", s.total_spawns),
    kv("Total Exits:", s.total_exits),
    kv("Total Faults:", s.total_faults),
    "",
    "System Health: Healthy",
  );
}

type TelemetryRow = { agent_id: number; metrics: Pick<AgentMetrics, "spawn_count" | "exit_count" | "fault_count"> };

/** Shell `telemetry` / `asmstatus`: system counters, then per-agent counters or "No active agents". */
export function renderShellTelemetry(s: SystemMetrics & { total_syscalls: number }, agents: readonly TelemetryRow[]): string {
  const out = [
    "",
    "=== Agent Supervision Module Status ===",
    "",
    "System Metrics:",
    kv("Total Spawns:", s.total_spawns, 17),
    kv("Total Exits:", s.total_exits, 17),
    kv("Total Faults:", s.total_faults, 17),
    kv("Total Restarts:", s.total_restarts, 17),
    kv("Active Agents:", s.active_agents, 17),
    kv("Total Syscalls:", s.total_syscalls, 17),
    "",
  ];
  if (agents.length === 0) out.push("No active agents");
  else {
    out.push("Per-Agent Metrics:", "  ID    Spawns Exits  Faults", "  ----  ------ -----  ------");
    for (const a of agents) {
      const m = a.metrics;
      out.push(`  ${String(a.agent_id).padStart(4)}  ${String(m.spawn_count).padStart(6)} ${String(m.exit_count).padStart(5)}  ${String(m.fault_count).padStart(6)}`);
    }
  }
  return lines(...out);
}

/** Shell `gwstatus` while the gateway feature is not built (SIS's own text). */
export const GATEWAY_UNAVAILABLE = "Cloud Gateway not available (feature not enabled)\n";

/** Shell `dump`: telemetry, list, compliance and gateway between SIS's banners. */
export function renderDump(parts: { telemetry: string; list: string; compliance: string; gateway: string }): string {
  return (
    "\n========== ASM Debug Dump ==========\n\n" +
    parts.telemetry +
    "\n--- Active Agents ---\n" +
    parts.list +
    "\n--- Compliance Report ---\n" +
    parts.compliance +
    "\n--- Cloud Gateway ---\n" +
    parts.gateway +
    "\n========== End of Dump ==========\n\n"
  );
}
