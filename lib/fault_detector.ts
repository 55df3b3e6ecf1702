import type { CoreContext } from "./_context.ts";
import { FLAG } from "./agent_table.ts";
import { FAULT } from "./fault.ts";
import type { LimitTable } from "./limit_table.ts";
import { LIMIT } from "./limits.ts";

/** Bits returned by `checkSample`, one per FAULT code. */
export const BREACH = {
  cpu: 1 << FAULT.CpuQuotaExceeded,
  memory: 1 << FAULT.MemoryExceeded,
  syscalls: 1 << FAULT.SyscallFlood,
  watchdog: 1 << FAULT.Unresponsive,
} as const;

/**
 * FaultDetector (SIS's name): the per-window checks of an agent's usage against its limits
 * (LimitTable). Checks are pure reads of typed arrays; raising the fault and running the
 * agent's recovery action (RecoveryTable) is the supervisor's job.
 */
export class FaultDetector {
  readonly #ctx: CoreContext;
  readonly #limits: LimitTable;

  constructor(ctx: CoreContext, limits: LimitTable) {
    this.#ctx = ctx;
    this.#limits = limits;
  }

  /** True when CPU used in one window (µs) is over the agent's quota. */
  checkCpu(id: number, usedUs: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return false;
    const q = this.#limits.at(slot, LIMIT.cpu_quota_us);
    return q > 0 && usedUs > q;
  }

  /** True when memory in use (bytes) is over the agent's limit. */
  checkMemory(id: number, bytes: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return false;
    const l = this.#limits.at(slot, LIMIT.memory_limit_bytes);
    return l > 0 && bytes > l;
  }

  /** True when the syscall rate (/s) is over the agent's limit. */
  checkSyscallRate(id: number, rate: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return false;
    const l = this.#limits.at(slot, LIMIT.syscall_rate_limit);
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
    const t = this.#limits.at(slot, LIMIT.watchdog_timeout_us);
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
    const l = this.#limits;
    let bits = 0;
    const q = l.at(slot, LIMIT.cpu_quota_us);
    if (q > 0 && cpuUsInWindow > q) bits |= BREACH.cpu;
    const m = l.at(slot, LIMIT.memory_limit_bytes);
    if (m > 0 && memBytes > m) bits |= BREACH.memory;
    const s = l.at(slot, LIMIT.syscall_rate_limit);
    if (s > 0 && syscallRate > s) bits |= BREACH.syscalls;
    if (this.watchdogExpiredAt(slot, nowUs)) bits |= BREACH.watchdog;
    return bits;
  }
}
