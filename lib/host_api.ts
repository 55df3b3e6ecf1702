import type { AgentSpec } from "./agent_spec.ts";

/**
 * What the command layer needs from a host that runs real processes (lib/host/). Kept as a
 * type here so syscalls/ can depend on it without importing any `node:` module.
 */
export interface AgentHost {
  /** Start a process for `spec` and register it; returns the AgentId or a negative errno. */
  startAgent(spec: AgentSpec): number;
}
