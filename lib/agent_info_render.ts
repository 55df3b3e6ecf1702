import type { AgentInfo, AgentSupervisor } from "./supervisor.ts";

/**
 * SIS agent info (SPEC §6.4): syscall 502's reply and the head of `agents/<id>/status`.
 *
 * @example
 * renderAgentInfo(sup.getAgent(100)!).split("\n")[0]; // "Agent ID: 100"
 */
export function renderAgentInfo(a: AgentInfo): string {
  return (
    [
      `Agent ID: ${a.agent_id}`,
      `PID: ${a.pid}`,
      `Name: ${a.name}`,
      `Active: ${a.active}`,
      `Auto-restart: ${a.auto_restart}`,
      `Restart count: ${a.restart_count}/${a.max_restarts}`,
      `Uptime: ${a.uptime_us} us`,
      `Capabilities: ${a.capability_count} total`,
    ].join("\n") + "\n"
  );
}

/**
 * `agents/<id>/status`: the SIS agent info, then agentsys's state, counters and limits as
 * `Key: value` lines (one per line, easy to grep).
 */
export function renderAgentStatus(sup: AgentSupervisor, id: number): string {
  const a = sup.getAgent(id);
  if (!a) return "";
  const l = sup.limits.of(id)!;
  return (
    renderAgentInfo(a) +
    [
      `State: ${a.state}`,
      `Spawn count: ${a.spawn_count}`,
      `Exit count: ${a.exit_count}`,
      `Fault count: ${a.fault_count}`,
      `Last exit code: ${a.last_exit_code ?? "none"}`,
      `Restart delay: ${a.backoff_ms} ms`,
      `Capability list: ${a.capabilities.join(" ") || "(none)"}`,
      `Risk level: ${a.risk_level}`,
      `Limits: cpu_quota_us=${l.cpu_quota_us} memory_limit_bytes=${l.memory_limit_bytes} syscall_rate_limit=${l.syscall_rate_limit} watchdog_timeout_us=${l.watchdog_timeout_us}`,
      `Enforcement: cpu=${sup.enforcement.cpu} memory=${sup.enforcement.memory}`,
      ...(sup.sandboxOf ? [`Sandbox: ${sup.sandboxOf(id)}`] : []),
    ].join("\n") +
    "\n"
  );
}
