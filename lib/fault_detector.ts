import { fail, type CoreContext } from "./_context.ts";
import { FLAG } from "./agent_table.ts";
import { ERRNO } from "./errno.ts";
import { FAULT, FAULT_COUNT, FAULT_NAMES } from "./fault.ts";
import { ACTION_NAMES, RECOVERY_PRESETS, type ActionName } from "./fault_action.ts";
import { LIMIT_FIELDS, LIMIT_PRESETS, type ResourceLimits } from "./limits.ts";
import { createProfileTable, type ProfileTable } from "./profile_table.ts";
import { DEFAULT_BACKOFF, type RestartBackoff } from "./restart_backoff.ts";


/** A recovery profile row: 7 actions (by FAULT code) then the 3 backoff fields. */
const R_BASE = FAULT_COUNT;
const R_CAP = FAULT_COUNT + 1;
const R_RESET = FAULT_COUNT + 2;
const RECOVERY_WIDTH = FAULT_COUNT + 3;

// Limit profile columns.
const L_CPU = 0;
const L_MEM = 1;
const L_SYS = 2;
const L_WD = 3;

/** Bits returned by `checkSample`, one per FAULT code. */
export const BREACH = {
  cpu: 1 << FAULT.CpuQuotaExceeded,
  memory: 1 << FAULT.MemoryExceeded,
  syscalls: 1 << FAULT.SyscallFlood,
  watchdog: 1 << FAULT.Unresponsive,
} as const;

/**
 * FaultDetector: limits and recovery actions (global defaults plus per-agent overrides, SPEC
 * §3 **fix**) and the per-window checks. Checks are pure reads of typed arrays; raising the
 * fault and acting on it is the supervisor's job.
 */
export class FaultDetector {
  readonly #ctx: CoreContext;
  readonly limits: ProfileTable;
  readonly recovery: ProfileTable;

  constructor(ctx: CoreContext) {
    this.#ctx = ctx;
    this.limits = createProfileTable(limitsRow(LIMIT_PRESETS.conservative));
    this.recovery = createProfileTable([...RECOVERY_PRESETS.default, DEFAULT_BACKOFF.base_ms, DEFAULT_BACKOFF.cap_ms, DEFAULT_BACKOFF.reset_after_ms]);
  }

  // ---------------------------------------------------------------- limits

  /** The defaults every agent without an override uses. */
  defaultLimits(): ResourceLimits {
    return limitsObject(this.limits.row(0));
  }

  setDefaultLimits(limits: Partial<ResourceLimits>): void {
    this.limits.setDefault(limitsRow({ ...this.defaultLimits(), ...limits }));
  }

  limitsOf(id: number): ResourceLimits | undefined {
    const slot = this.#ctx.table.slotOfId(id);
    return slot < 0 ? undefined : limitsObject(this.limits.row(this.#ctx.table.cols.limitsProfile[slot]));
  }

  /** Override some limits of one agent (the rest keep their current values). */
  setAgentLimits(id: number, limits: Partial<ResourceLimits>): number {
    const ctx = this.#ctx;
    const slot = ctx.table.slotOfId(id);
    if (slot < 0) return fail(ctx, ERRNO.ESRCH, `Cannot set limits of agent ${id}: no such agent`);
    const merged = { ...limitsObject(this.limits.row(ctx.table.cols.limitsProfile[slot])), ...limits };
    for (const f of LIMIT_FIELDS) {
      if (!(merged[f] >= 0) || !Number.isFinite(merged[f])) {
        return fail(ctx, ERRNO.EINVAL, `Cannot set limit ${f} of agent ${id}: "${merged[f]}" is not a non-negative number`);
      }
    }
    const p = this.limits.intern(limitsRow(merged));
    if (p < 0) return fail(ctx, ERRNO.ENOSPC, `Cannot set limits of agent ${id}: too many distinct limit sets`);
    ctx.table.cols.limitsProfile[slot] = p;
    return 0;
  }

  /** Make an agent follow the global defaults again. */
  clearAgentLimits(id: number): number {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return fail(this.#ctx, ERRNO.ESRCH, `Cannot reset limits of agent ${id}: no such agent`);
    this.#ctx.table.cols.limitsProfile[slot] = 0;
    return 0;
  }

  // ---------------------------------------------------------------- recovery

  defaultRecovery(): { actions: Record<string, ActionName>; backoff: RestartBackoff } {
    return recoveryObject(this.recovery.row(0));
  }

  recoveryOf(id: number): { actions: Record<string, ActionName>; backoff: RestartBackoff } | undefined {
    const slot = this.#ctx.table.slotOfId(id);
    return slot < 0 ? undefined : recoveryObject(this.recovery.row(this.#ctx.table.cols.recoveryProfile[slot]));
  }

  /** Replace the default actions (all seven) and/or backoff. */
  setDefaultRecovery(actions: readonly number[] | null, backoff: Partial<RestartBackoff> = {}): void {
    this.recovery.setDefault(mergeRecovery(this.recovery.row(0), actions, backoff));
  }

  /** Per-agent recovery override; `actions` has one action code per FAULT code. */
  setAgentRecovery(id: number, actions: readonly number[] | null, backoff: Partial<RestartBackoff> = {}): number {
    const ctx = this.#ctx;
    const slot = ctx.table.slotOfId(id);
    if (slot < 0) return fail(ctx, ERRNO.ESRCH, `Cannot set recovery of agent ${id}: no such agent`);
    const row = mergeRecovery(this.recovery.row(ctx.table.cols.recoveryProfile[slot]), actions, backoff);
    const p = this.recovery.intern(row);
    if (p < 0) return fail(ctx, ERRNO.ENOSPC, `Cannot set recovery of agent ${id}: too many distinct recovery sets`);
    ctx.table.cols.recoveryProfile[slot] = p;
    return 0;
  }

  /** The action for a fault kind at a slot (hot: a typed-array read). */
  actionAt(slot: number, kind: number): number {
    return this.recovery.values[this.#ctx.table.cols.recoveryProfile[slot] * RECOVERY_WIDTH + kind];
  }

  /** Backoff parameters of a slot: [base_ms, cap_ms, reset_after_ms]. */
  backoffAt(slot: number): [number, number, number] {
    const v = this.recovery.values;
    const o = this.#ctx.table.cols.recoveryProfile[slot] * RECOVERY_WIDTH;
    return [v[o + R_BASE], v[o + R_CAP], v[o + R_RESET]];
  }

  // ---------------------------------------------------------------- checks

  /** Limit value of a slot: field index 0 cpu, 1 memory, 2 syscall rate, 3 watchdog. */
  limitAt(slot: number, field: number): number {
    return this.limits.values[this.#ctx.table.cols.limitsProfile[slot] * 4 + field];
  }

  /** True when CPU used in one window (µs) is over the agent's quota. */
  checkCpu(id: number, usedUs: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return false;
    const q = this.limitAt(slot, L_CPU);
    return q > 0 && usedUs > q;
  }

  /** True when memory in use (bytes) is over the agent's limit. */
  checkMemory(id: number, bytes: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return false;
    const l = this.limitAt(slot, L_MEM);
    return l > 0 && bytes > l;
  }

  /** True when the syscall rate (/s) is over the agent's limit. */
  checkSyscallRate(id: number, rate: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return false;
    const l = this.limitAt(slot, L_SYS);
    return l > 0 && rate > l;
  }

  /** True when an armed watchdog (readiness or first heartbeat seen) has expired at `nowUs`. */
  checkWatchdog(id: number, nowUs: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    return slot >= 0 && this.watchdogExpiredAt(slot, nowUs);
  }

  watchdogExpiredAt(slot: number, nowUs: number): boolean {
    const c = this.#ctx.table.cols;
    if (!(c.flags[slot] & FLAG.ready)) return false;
    const t = this.limitAt(slot, L_WD);
    return t > 0 && nowUs - c.lastActivityUs[slot] > t;
  }

  /** `checkSampleAt` by AgentId (0 for an unknown agent). */
  checkSample(id: number, cpuUsInWindow: number, memBytes: number, syscallRate: number, nowUs: number): number {
    const slot = this.#ctx.table.slotOfId(id);
    return slot < 0 ? 0 : this.checkSampleAt(slot, cpuUsInWindow, memBytes, syscallRate, nowUs);
  }

  /**
   * All four checks for one window of one slot; returns BREACH bits (0 = clean). The hot path
   * of sampling: no allocation, one profile read per limit.
   */
  checkSampleAt(slot: number, cpuUsInWindow: number, memBytes: number, syscallRate: number, nowUs: number): number {
    const v = this.limits.values;
    const o = this.#ctx.table.cols.limitsProfile[slot] * 4;
    let bits = 0;
    const q = v[o + L_CPU];
    if (q > 0 && cpuUsInWindow > q) bits |= BREACH.cpu;
    const m = v[o + L_MEM];
    if (m > 0 && memBytes > m) bits |= BREACH.memory;
    const s = v[o + L_SYS];
    if (s > 0 && syscallRate > s) bits |= BREACH.syscalls;
    if (this.watchdogExpiredAt(slot, nowUs)) bits |= BREACH.watchdog;
    return bits;
  }
}

function limitsRow(l: ResourceLimits): number[] {
  return [l.cpu_quota_us, l.memory_limit_bytes, l.syscall_rate_limit, l.watchdog_timeout_us];
}

function limitsObject(row: number[]): ResourceLimits {
  return { cpu_quota_us: row[0], memory_limit_bytes: row[1], syscall_rate_limit: row[2], watchdog_timeout_us: row[3] };
}

function recoveryObject(row: number[]): { actions: Record<string, ActionName>; backoff: RestartBackoff } {
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

