import { AsciiOut } from "./ascii_out.ts";
import type { AgentSupervisor } from "./supervisor.ts";

const HEADER = "Agent Supervision Module - Telemetry Status\n" + "=".repeat(43) + "\n\nSystem Metrics:\n";
const TABLE_HEAD = "\nPer-Agent Metrics:\n  ID    Spawns Exits  Faults CPU(us)   Mem(B)\n  ----  ------ -----  ------ --------  -------\n";
const decoder = new TextDecoder();

/**
 * The `status` file: SIS `export_proc` text (SPEC §6.1), byte-exact. One row per known
 * agent, ascending id. `Active Agents` is the live count and `Total Restarts` counts real
 * restarts (both **fix**es over SIS).
 *
 * @example
 * renderStatus(sup).startsWith("Agent Supervision Module - Telemetry Status\n"); // true
 */
export function renderStatus(sup: AgentSupervisor): string {
  return decoder.decode(renderStatusBytes(sup));
}

/** The same as bytes: what the tree serves, rendered without strings (lib/ascii_out.ts). */
export function renderStatusBytes(sup: AgentSupervisor): Uint8Array {
  const s = sup.telemetry.systemMetrics();
  const t = sup.ctx.table;
  const c = t.cols;
  const slots = t.sortedSlots();
  const out = new AsciiOut(HEADER.length + TABLE_HEAD.length + 256 + slots.length * 48);
  out.text(HEADER);
  out.text("  Total Spawns:    ").int(s.total_spawns).nl();
  out.text("  Total Exits:     ").int(s.total_exits).nl();
  out.text("  Total Faults:    ").int(s.total_faults).nl();
  out.text("  Total Restarts:  ").int(s.total_restarts).nl();
  out.text("  Active Agents:   ").int(s.active_agents).nl();
  out.text("  Total Syscalls:  ").int(sup.telemetry.totalSyscalls()).nl();
  out.text(TABLE_HEAD);
  for (const slot of slots) {
    out.text("  ").int(c.id[slot], 4).text("  ").int(c.spawnCount[slot], 6).text(" ").int(sup.telemetry.exitCountAt(slot), 5).text("  ");
    out.int(sup.telemetry.faultCountAt(slot), 6).text(" ").int(c.cpuUs[slot], 8).text("  ").int(c.memBytes[slot], 7).nl();
  }
  out.text("\nRecent Events: (").int(sup.telemetry.recentEventCount()).text(" events)\n");
  return out.bytes();
}
