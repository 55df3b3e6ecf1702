import { fail, type CoreContext } from "./_context.ts";
import { ERRNO } from "./errno.ts";
import { LIMIT_FIELDS, LIMIT_PRESETS, type LimitIndex, type ResourceLimits } from "./limits.ts";
import { createProfileTable, type ProfileTable } from "./profile_table.ts";

/**
 * Resource limits of every agent (SPEC §3, **fix**: per agent, SIS had one global set): the
 * daemon's defaults (profile 0) and the distinct per-agent sets, interned, so an agent's limits
 * are one profile index in its slot and a check is one typed-array read.
 */
export class LimitTable {
  readonly #ctx: CoreContext;
  readonly #profiles: ProfileTable;

  constructor(ctx: CoreContext) {
    this.#ctx = ctx;
    this.#profiles = createProfileTable(limitsRow(LIMIT_PRESETS.conservative));
  }

  /** The defaults every agent without an override uses. */
  defaults(): ResourceLimits {
    return limitsObject(this.#profiles.row(0));
  }

  setDefaults(limits: Partial<ResourceLimits>): void {
    this.#profiles.setDefault(limitsRow({ ...this.defaults(), ...limits }));
  }

  of(id: number): ResourceLimits | undefined {
    const slot = this.#ctx.table.slotOfId(id);
    return slot < 0 ? undefined : limitsObject(this.#profiles.row(this.#ctx.table.cols.limitsProfile[slot]));
  }

  /** Override some limits of one agent (the rest keep their current values). */
  setFor(id: number, limits: Partial<ResourceLimits>): number {
    const ctx = this.#ctx;
    const slot = ctx.table.slotOfId(id);
    if (slot < 0) return fail(ctx, ERRNO.ESRCH, `Cannot set limits of agent ${id}: no such agent`);
    const merged = { ...limitsObject(this.#profiles.row(ctx.table.cols.limitsProfile[slot])), ...limits };
    for (const f of LIMIT_FIELDS) {
      if (!(merged[f] >= 0) || !Number.isFinite(merged[f])) {
        return fail(ctx, ERRNO.EINVAL, `Cannot set limit ${f} of agent ${id}: "${merged[f]}" is not a non-negative number`);
      }
    }
    const p = this.#profiles.intern(limitsRow(merged));
    if (p < 0) return fail(ctx, ERRNO.ENOSPC, `Cannot set limits of agent ${id}: too many distinct limit sets`);
    ctx.table.cols.limitsProfile[slot] = p;
    return 0;
  }

  /** Make an agent follow the defaults again. */
  clearFor(id: number): number {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return fail(this.#ctx, ERRNO.ESRCH, `Cannot reset limits of agent ${id}: no such agent`);
    this.#ctx.table.cols.limitsProfile[slot] = 0;
    return 0;
  }

  /** One limit of a slot (hot path): `at(slot, LIMIT.memory_limit_bytes)`; 0 = none. */
  at(slot: number, limit: LimitIndex): number {
    return this.#profiles.values[this.#ctx.table.cols.limitsProfile[slot] * LIMIT_FIELDS.length + limit];
  }
}

function limitsRow(l: ResourceLimits): number[] {
  return LIMIT_FIELDS.map((f) => l[f]);
}

function limitsObject(row: number[]): ResourceLimits {
  return { cpu_quota_us: row[0], memory_limit_bytes: row[1], syscall_rate_limit: row[2], watchdog_timeout_us: row[3] };
}
