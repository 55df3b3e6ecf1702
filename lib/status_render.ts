import type { AgentSupervisor } from "./supervisor.ts";

/**
 * The `status` file: SIS `export_proc` text (SPEC §6.1), byte-exact. One row per known
 * agent, ascending id. `Active Agents` is the live count and `Total Restarts` counts real
 * restarts (both **fix**es over SIS).
 *
 * @example
 * renderStatus(sup).startsWith("Agent Supervision Module - Telemetry Status\n"); // true
 */
export function renderStatus(sup: AgentSupervisor): string {
  const s = sup.telemetry.systemMetrics();
  const lines = [
    "Agent Supervision Module - Telemetry Status",
    "=".repeat(43),
    "",
    "System Metrics:",
    `  Total Spawns:    ${s.total_spawns}`,
    `  Total Exits:     ${s.total_exits}`,
    `  Total Faults:    ${s.total_faults}`,
    `  Total Restarts:  ${s.total_restarts}`,
    `  Active Agents:   ${s.active_agents}`,
    `  Total Syscalls:  ${sup.telemetry.totalSyscalls()}`,
    "",
    "Per-Agent Metrics:",
    "  ID    Spawns Exits  Faults CPU(us)   Mem(B)",
    "  ----  ------ -----  ------ --------  -------",
  ];
  const t = sup.ctx.table;
  const c = t.cols;
  for (const slot of t.sortedSlots()) {
    lines.push(
      `  ${pad(c.id[slot], 4)}  ${pad(c.spawnCount[slot], 6)} ${pad(sup.telemetry.exitCountAt(slot), 5)}  ` +
        `${pad(sup.telemetry.faultCountAt(slot), 6)} ${pad(c.cpuUs[slot], 8)}  ${pad(c.memBytes[slot], 7)}`,
    );
  }
  lines.push("", `Recent Events: (${sup.telemetry.recentEventCount()} events)`);
  return lines.join("\n") + "\n";
}

function pad(n: number, width: number): string {
  return String(n).padStart(width);
}
