/**
 * Lifecycle states of SPEC §4, as codes stored in the agent table's `state` column.
 * `starting`..`stopping` have a process; `backoff` waits to restart; `exited` and `failed` are
 * final until a restart/reset command.
 */
export const STATE = {
  starting: 0,
  running: 1,
  throttled: 2,
  stopping: 3,
  backoff: 4,
  exited: 5,
  failed: 6,
} as const;
export type StateCode = (typeof STATE)[keyof typeof STATE];

export const STATE_NAME = [
  "starting",
  "running",
  "throttled",
  "stopping",
  "backoff",
  "exited",
  "failed",
] as const;
export type StateName = (typeof STATE_NAME)[number];

/** True when the agent has a process (counts in `Active Agents`). */
export function hasProcess(state: number): boolean {
  return state <= STATE.stopping;
}
