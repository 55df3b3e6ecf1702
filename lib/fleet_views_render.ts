import { kv, lines } from "./_shell_text.ts";
import type { AgentInfo } from "./supervisor.ts";
import type { AgentMetrics, SystemMetrics } from "./telemetry.ts";

/**
 * The SIS shell's fleet-wide views (`../shared/sis-formats.md`), as the CLI prints them from
 * `agents.json`: `list`, `info`, `status`, `telemetry`, `depgraph`, `gwstatus` and `dump`.
 * Byte-exact in layout; each returns the text the shell printed, including its leading newline.
 */

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
