import type { AgentExt } from "./agent_ext.ts";
import type { AgentTable } from "./agent_table.ts";
import type { Clock } from "./clock.ts";
import type { EventRing } from "./event_ring.ts";
import type { Random } from "./random.ts";

/**
 * What every core component shares: the agent table and its extension pool, the event ring,
 * the system counters, the clock and random source, and the reason of the last rejection.
 * This module exists so components need not import each other (no cycles); only
 * `supervisor.ts` composes them.
 */
export const SYS = {
  spawns: 0,
  exits: 1,
  faults: 2,
  restarts: 3,
  active: 4,
  syscalls: 5,
  complianceEvents: 6,
  violations: 7,
} as const;
const SYS_COUNT = 8;

export interface CoreContext {
  readonly table: AgentTable;
  readonly ext: AgentExt;
  readonly events: EventRing;
  readonly clock: Clock;
  readonly random: Random;
  /** System counters indexed by SYS. */
  readonly sys: Float64Array;
  /** Why the last call that returned an errno failed (set only on failure). */
  reason: string;
}

export function createSysCounters(): Float64Array {
  return new Float64Array(SYS_COUNT);
}

/** Set the reason and return the code: `return fail(ctx, ERRNO.ESRCH, "…")`. */
export function fail(ctx: CoreContext, code: number, reason: string): number {
  ctx.reason = reason;
  return code;
}
