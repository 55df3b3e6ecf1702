import { fail, type CoreContext } from "./_context.ts";
import { ERRNO } from "./errno.ts";
import { FAULT_COUNT, FAULT_NAMES } from "./fault.ts";
import { ACTION_NAMES, RECOVERY_PRESETS, type ActionName } from "./fault_action.ts";
import { createProfileTable, type ProfileTable } from "./profile_table.ts";
import { DEFAULT_BACKOFF, type RestartBackoff } from "./restart_backoff.ts";

/** A recovery profile row: 7 actions (by FAULT code) then the 3 backoff fields. */
const R_BASE = FAULT_COUNT;
const R_CAP = FAULT_COUNT + 1;
const R_RESET = FAULT_COUNT + 2;
const RECOVERY_WIDTH = FAULT_COUNT + 3;

/** An agent's recovery: the action per fault and its restart backoff. */
export interface Recovery {
  actions: Record<string, ActionName>;
  backoff: RestartBackoff;
}

/**
 * What to do about each fault, and how restarts back off, for every agent (SPEC §3, **fix**:
 * per agent, SIS had one global strategy): the daemon's defaults (profile 0) and the distinct
 * per-agent sets, interned like limits.
 */
export class RecoveryTable {
  readonly #ctx: CoreContext;
  readonly #profiles: ProfileTable;

  constructor(ctx: CoreContext) {
    this.#ctx = ctx;
    this.#profiles = createProfileTable([...RECOVERY_PRESETS.default, DEFAULT_BACKOFF.base_ms, DEFAULT_BACKOFF.cap_ms, DEFAULT_BACKOFF.reset_after_ms]);
  }

  defaults(): Recovery {
    return recoveryObject(this.#profiles.row(0));
  }

  of(id: number): Recovery | undefined {
    const slot = this.#ctx.table.slotOfId(id);
    return slot < 0 ? undefined : recoveryObject(this.#profiles.row(this.#ctx.table.cols.recoveryProfile[slot]));
  }

  /** Replace the default actions (all seven) and/or backoff. */
  setDefaults(actions: readonly number[] | null, backoff: Partial<RestartBackoff> = {}): void {
    this.#profiles.setDefault(mergeRecovery(this.#profiles.row(0), actions, backoff));
  }

  /** Per-agent override; `actions` has one action code per FAULT code. */
  setFor(id: number, actions: readonly number[] | null, backoff: Partial<RestartBackoff> = {}): number {
    const ctx = this.#ctx;
    const slot = ctx.table.slotOfId(id);
    if (slot < 0) return fail(ctx, ERRNO.ESRCH, `Cannot set recovery of agent ${id}: no such agent`);
    const row = mergeRecovery(this.#profiles.row(ctx.table.cols.recoveryProfile[slot]), actions, backoff);
    const p = this.#profiles.intern(row);
    if (p < 0) return fail(ctx, ERRNO.ENOSPC, `Cannot set recovery of agent ${id}: too many distinct recovery sets`);
    ctx.table.cols.recoveryProfile[slot] = p;
    return 0;
  }

  /** The action for a fault kind at a slot (hot: a typed-array read). */
  actionAt(slot: number, kind: number): number {
    return this.#profiles.values[this.#ctx.table.cols.recoveryProfile[slot] * RECOVERY_WIDTH + kind];
  }

  /** Backoff parameters of a slot: [base_ms, cap_ms, reset_after_ms]. */
  backoffAt(slot: number): [number, number, number] {
    const v = this.#profiles.values;
    const o = this.#ctx.table.cols.recoveryProfile[slot] * RECOVERY_WIDTH;
    return [v[o + R_BASE], v[o + R_CAP], v[o + R_RESET]];
  }
}

function recoveryObject(row: number[]): Recovery {
  const actions: Record<string, ActionName> = {};
  for (let k = 0; k < FAULT_COUNT; k++) actions[FAULT_NAMES[k]] = ACTION_NAMES[row[k]];
  return { actions, backoff: { base_ms: row[R_BASE], cap_ms: row[R_CAP], reset_after_ms: row[R_RESET] } };
}

function mergeRecovery(row: number[], actions: readonly number[] | null, backoff: Partial<RestartBackoff>): number[] {
  const out = row.slice();
  if (actions) for (let k = 0; k < FAULT_COUNT; k++) out[k] = actions[k] ?? out[k];
  if (backoff.base_ms !== undefined) out[R_BASE] = backoff.base_ms;
  if (backoff.cap_ms !== undefined) out[R_CAP] = backoff.cap_ms;
  if (backoff.reset_after_ms !== undefined) out[R_RESET] = backoff.reset_after_ms;
  return out;
}
