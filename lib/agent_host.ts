import type { AgentSpec } from "./agent_spec.ts";

/**
 * The port a host that runs real processes implements (`host/ProcessHost`): what the command
 * layer asks of it. The rest of the host's work — signals, timers, respawns — it does by
 * listening to the supervisor's lifecycle (`AgentSupervisor.onLifecycle`). Declared here so
 * syscalls/ can depend on it without importing any `node:` module.
 */
export interface AgentHost {
  /** Start a process for `spec` and register it; returns the AgentId or a negative errno. */
  startAgent(spec: AgentSpec): number;
}
