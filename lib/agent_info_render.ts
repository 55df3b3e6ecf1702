import type { AgentInfo } from "./supervisor.ts";

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
