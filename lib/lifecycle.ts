/**
 * The lifecycle's two vocabularies (the third, EVENT_KIND in event_ring.ts, is what the event
 * ring records for readers of `events` and `telemetry`):
 * - LIFECYCLE_INPUT: what happens to an agent — the columns of the supervisor's transition
 *   table `TRANSITIONS[state][input]`;
 * - LIFECYCLE_NOTICE: what the supervisor's listeners hear — the host turns the requests into
 *   signals, timers and spawns; the journal flushes on any of them.
 */

/** Inputs of the transition table. */
export const LIFECYCLE_INPUT = {
  spawn: 0,
  exit: 1,
  stop: 2,
  restart: 3, // manual restart: immediate, counters cleared
  throttle: 4,
  unthrottle: 5,
  ready: 6,
  reset: 7,
  faultRestart: 8, // Restart recovery action: through the restart rules
} as const;
export const LIFECYCLE_INPUT_COUNT = 9;

/** What listeners hear (`onLifecycle`). `arg` is described per kind. */
export const LIFECYCLE_NOTICE = {
  spawned: 0, // arg = pid
  exited: 1, // arg = exit status (code ≥ 0, or −signal)
  restartScheduled: 2, // arg = delay in ms; the host respawns when it expires
  failed: 3, // arg = restart count
  stopRequested: 4, // arg = 0 graceful (SIGTERM, then SIGKILL after the grace), 1 kill now
  throttleRequested: 5,
  unthrottleRequested: 6,
  removed: 7,
  stateChanged: 8, // arg = new STATE code
} as const;
export const LIFECYCLE_NOTICE_NAMES = [
  "spawned",
  "exited",
  "restartScheduled",
  "failed",
  "stopRequested",
  "throttleRequested",
  "unthrottleRequested",
  "removed",
  "stateChanged",
] as const;

export type LifecycleListener = (kind: number, agentId: number, arg: number) => void;

/** What `onAgentExit` decided. */
export const EXIT_DECISION = { none: 0, restart: 1, failed: 2 } as const;
