import type { AgentJson, AgentsJson } from "../lib/mod.ts";

/**
 * The `agentsys top` screen as plain text (the caller adds cursor control when on a TTY):
 * a system line, one row per agent — state, CPU % with a bar, memory, restarts, faults,
 * uptime — sorted by the chosen key, then the most recent events.
 */

export const SORT_KEYS = {
  c: { name: "cpu", by: (a: AgentJson) => -a.resources.cpu_rate_us },
  m: { name: "mem", by: (a: AgentJson) => -a.resources.memory_bytes },
  r: { name: "restarts", by: (a: AgentJson) => -a.restart_count },
  f: { name: "faults", by: (a: AgentJson) => -a.metrics.fault_count },
  u: { name: "uptime", by: (a: AgentJson) => -a.uptime_us },
  i: { name: "id", by: (a: AgentJson) => a.agent_id },
  n: { name: "name", by: (a: AgentJson) => a.name },
} as const;
export type SortKey = keyof typeof SORT_KEYS;

const BAR = 10;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ["K", "M", "G", "T"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

export function formatUptime(us: number): string {
  if (us <= 0) return "-";
  const s = Math.floor(us / 1e6);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}

function bar(percent: number): string {
  const n = Math.max(0, Math.min(BAR, Math.round((percent / 100) * BAR)));
  return `[${"|".repeat(n)}${" ".repeat(BAR - n)}]`;
}

export interface TopOptions {
  sort: SortKey;
  /** Terminal rows (agents beyond it are cut, with a count); Infinity for one-shot output. */
  rows: number;
  events: string[];
  now: Date;
}

export function renderTop(all: AgentsJson, o: TopOptions): string {
  const s = all.system;
  const key = SORT_KEYS[o.sort];
  const agents = [...all.agents].sort((a, b) => {
    const x = key.by(a);
    const y = key.by(b);
    return x < y ? -1 : x > y ? 1 : a.agent_id - b.agent_id;
  });
  const live = all.agents.filter((a) => a.active);
  const cpuTotal = live.reduce((t, a) => t + a.resources.cpu_percent, 0);
  const memTotal = live.reduce((t, a) => t + a.resources.memory_bytes, 0);
  const lines = [
    `agentsys ${o.now.toTimeString().slice(0, 8)} · agents ${s.agents} (${s.active_agents} active) · spawns ${s.total_spawns} exits ${s.total_exits} restarts ${s.total_restarts} faults ${s.total_faults} · cpu ${cpuTotal.toFixed(1)}% mem ${formatBytes(memTotal)} · compliance ${(s.compliance_score * 100).toFixed(1)}%`,
    `enforcement cpu=${all.enforcement.cpu} memory=${all.enforcement.memory}${all.daemon ? ` · daemon pid ${all.daemon.pid} on ${all.daemon.mount}` : ""} · sorted by ${key.name}`,
    "",
    `${"ID".padStart(6)}  ${"NAME".padEnd(16)} ${"STATE".padEnd(9)} ${"CPU%".padStart(6)} ${"".padEnd(BAR + 2)} ${"MEM".padStart(7)} ${"RESTARTS".padStart(8)} ${"FAULTS".padStart(6)} ${"UPTIME".padStart(7)}`,
  ];
  const room = Math.max(1, o.rows - lines.length - 3 - Math.min(o.events.length, 5));
  for (const a of agents.slice(0, room)) {
    // Without a process the last sample is history, not usage: show "-".
    const cpu = a.active ? a.resources.cpu_percent.toFixed(1) : "-";
    const mem = a.active ? formatBytes(a.resources.memory_bytes) : "-";
    lines.push(
      `${String(a.agent_id).padStart(6)}  ${a.name.slice(0, 16).padEnd(16)} ${a.state.padEnd(9)} ${cpu.padStart(6)} ${bar(a.active ? a.resources.cpu_percent : 0)} ${mem.padStart(7)} ${`${a.restart_count}/${a.max_restarts}`.padStart(8)} ${String(a.metrics.fault_count).padStart(6)} ${formatUptime(a.uptime_us).padStart(7)}`,
    );
  }
  if (agents.length > room) lines.push(`  … ${agents.length - room} more`);
  if (agents.length === 0) lines.push("  No active agents");
  lines.push("", "Recent events:");
  const recent = o.events.slice(-5);
  if (recent.length === 0) lines.push("  (none)");
  for (const e of recent) lines.push(`  ${e}`);
  return lines.join("\n") + "\n";
}
