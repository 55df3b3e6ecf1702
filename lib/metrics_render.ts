import { STATE_NAME, hasProcess } from "./agent_state.ts";
import { SYS } from "./_context.ts";
import type { AgentSupervisor } from "./supervisor.ts";

/**
 * The `metrics` file: Prometheus text exposition format 0.0.4. System counters and gauges,
 * then per-agent series labelled `agent_id` and `name`. Label values are escaped as the format
 * requires (backslash, double quote, newline). The names follow Prometheus's conventions
 * (`promtool check metrics` reports nothing): counters end in `_total`, units are base units
 * named in the suffix.
 *
 * @example
 * renderMetrics(sup).includes("agentsys_active_agents "); // true
 */
export function renderMetrics(sup: AgentSupervisor): string {
  const s = sup.ctx.sys;
  const out: string[] = [];
  const metric = (name: string, type: "counter" | "gauge", help: string, samples: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) out.push(`${name}${labels} ${Number.isFinite(v) ? v : 0}`);
  };
  metric("agentsys_spawns_total", "counter", "Agent processes registered.", [["", s[SYS.spawns]]]);
  metric("agentsys_exits_total", "counter", "Agent processes that exited.", [["", s[SYS.exits]]]);
  metric("agentsys_faults_total", "counter", "Faults raised.", [["", s[SYS.faults]]]);
  metric("agentsys_restarts_total", "counter", "Real restarts.", [["", s[SYS.restarts]]]);
  metric("agentsys_syscalls_total", "counter", "Syscalls counted (shim calls and /proc io).", [["", s[SYS.syscalls]]]);
  metric("agentsys_events_total", "counter", "Events pushed to the event ring.", [["", sup.ctx.events.total]]);
  metric("agentsys_active_agents", "gauge", "Agents with a running process.", [["", s[SYS.active]]]);
  metric("agentsys_agents", "gauge", "Agents known, in any state.", [["", sup.agentCount()]]);
  metric("agentsys_compliance_score", "gauge", "System compliance score (0-1).", [["", sup.compliance.systemScore()]]);
  metric("agentsys_enforcement_info", "gauge", "How limits are enforced (labels), always 1.", [
    [`{cpu="${escapeLabel(sup.enforcement.cpu)}",memory="${escapeLabel(sup.enforcement.memory)}"}`, 1],
  ]);

  const t = sup.ctx.table;
  const c = t.cols;
  const slots = t.sortedSlots();
  const labels = slots.map((slot) => `{agent_id="${c.id[slot]}",name="${escapeLabel(t.name(slot))}"}`);
  const per = (name: string, type: "counter" | "gauge", help: string, value: (slot: number) => number) =>
    metric(name, type, help, slots.map((slot, i) => [labels[i], value(slot)]));
  per("agentsys_agent_spawns_total", "counter", "Processes started for the agent.", (x) => c.spawnCount[x]);
  per("agentsys_agent_exits_total", "counter", "Processes of the agent that exited.", (x) => sup.telemetry.exitCountAt(x));
  per("agentsys_agent_faults_total", "counter", "Faults raised for the agent.", (x) => sup.telemetry.faultCountAt(x));
  per("agentsys_agent_cpu_seconds_total", "counter", "CPU time of the agent's process tree.", (x) => c.cpuUs[x] / 1e6);
  per("agentsys_agent_syscalls_total", "counter", "Syscalls counted for the agent.", (x) => c.syscallCount[x]);
  per("agentsys_agent_memory_bytes", "gauge", "Memory in use by the agent's process tree.", (x) => c.memBytes[x]);
  // A gauge, not a counter: a healthy run resets it. The name avoids `_count`, which the format
  // reserves for histograms and summaries.
  per("agentsys_agent_restarts", "gauge", "Restarts counted toward max_restarts.", (x) => c.restartCount[x]);
  per("agentsys_agent_up", "gauge", "1 when the agent has a running process.", (x) => (hasProcess(c.state[x]) ? 1 : 0));
  out.push("# HELP agentsys_agent_state Current lifecycle state (1 for the state the agent is in).", "# TYPE agentsys_agent_state gauge");
  slots.forEach((slot, i) => {
    out.push(`agentsys_agent_state${labels[i].slice(0, -1)},state="${STATE_NAME[c.state[slot]]}"} 1`);
  });
  return out.join("\n") + "\n";
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
