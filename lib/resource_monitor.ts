import { SYS, type CoreContext } from "./_context.ts";
import { createColumnSet } from "./_columns.ts";

export const HISTORY_WINDOWS = 60;

const HISTORY_COLUMNS = {
  head: ["u8", 1],
  len: ["u8", 1],
  peakMem: ["f64", 1],
  lastCpu: ["f64", 1], // cumulative CPU µs of the process tree at the last sample
  lastSys: ["f64", 1], // cumulative syscalls at the last sample
  lastTs: ["f64", 1],
  wEnd: ["f64", HISTORY_WINDOWS],
  wDur: ["f64", HISTORY_WINDOWS],
  wCpu: ["f64", HISTORY_WINDOWS],
  wMem: ["f64", HISTORY_WINDOWS],
  wSys: ["f64", HISTORY_WINDOWS],
} as const;

export interface ResourceWindow {
  end_us: number;
  duration_us: number;
  cpu_us: number;
  memory_bytes: number;
  syscalls: number;
}

/**
 * ResourceMonitor: the last 60 sample windows per agent, rates over the last n windows, peak
 * memory. History rows are allocated on an agent's first sample (through its ext slot), so
 * registered-but-unsampled agents cost nothing here.
 *
 * **fix** over SIS: SIS read its ring in storage order, so once it wrapped, "the last n
 * windows" were the wrong ones and rates jumped; here windows are always read oldest → newest
 * starting from the write head.
 */
export class ResourceMonitor {
  readonly #ctx: CoreContext;
  readonly #set = createColumnSet(HISTORY_COLUMNS, { initialCapacity: 64, maxCapacity: 1 << 22 });
  readonly #free: number[] = [];
  #high = 0;
  /** CPU µs, syscalls and duration of the window the last `recordSampleAt` closed. */
  lastCpuUs = 0;
  lastSyscalls = 0;
  lastDurationUs = 0;
  /** When the window the last `recordSampleAt` closed began (µs). */
  lastWindowStartUs = 0;

  constructor(ctx: CoreContext) {
    this.#ctx = ctx;
  }

  #rowOf(slot: number, create: boolean): number {
    const x = this.#ctx.ext;
    const e = create ? x.of(slot) : x.peek(slot);
    if (e < 0) return -1;
    const r = x.cols.resSlot[e] - 1;
    if (r >= 0 || !create) return r;
    const row = this.#free.length > 0 ? this.#free.pop()! : this.#high++;
    this.#set.ensure(row + 1);
    const h = this.#set.cols;
    h.head[row] = 0;
    h.len[row] = 0;
    h.peakMem[row] = 0;
    h.lastCpu[row] = 0;
    h.lastSys[row] = 0;
    h.lastTs[row] = this.#ctx.table.cols.spawnedAtUs[slot];
    x.cols.resSlot[e] = row + 1;
    return row;
  }

  /**
   * A new process of the agent started (a restart): its counters start from zero, so the next
   * window is measured from there, not from the previous process's totals.
   */
  restartAt(slot: number): void {
    const r = this.#rowOf(slot, false);
    if (r < 0) return;
    const h = this.#set.cols;
    h.lastCpu[r] = 0;
    h.lastSys[r] = 0;
    h.lastTs[r] = this.#ctx.table.cols.spawnedAtUs[slot];
  }

  /**
   * Close one window for an agent slot from cumulative process-group counters. A total that
   * went down means members of the group left, taking their counters with them: what the rest
   * used in the window cannot be told from totals, so it is charged nothing — charging the
   * total, a lifetime's usage, raised false CpuQuotaExceeded and SyscallFlood faults. The new
   * total is the next window's baseline.
   */
  recordSampleAt(slot: number, cpuTotalUs: number, memBytes: number, syscallTotal: number, nowUs: number): void {
    const r = this.#rowOf(slot, true);
    const h = this.#set.cols;
    const cpu = cpuTotalUs >= h.lastCpu[r] ? cpuTotalUs - h.lastCpu[r] : 0;
    const sys = syscallTotal >= h.lastSys[r] ? syscallTotal - h.lastSys[r] : 0;
    const dur = Math.max(nowUs - h.lastTs[r], 0);
    this.lastWindowStartUs = h.lastTs[r];
    h.lastCpu[r] = cpuTotalUs;
    h.lastSys[r] = syscallTotal;
    h.lastTs[r] = nowUs;
    const p = r * HISTORY_WINDOWS + h.head[r];
    h.wEnd[p] = nowUs;
    h.wDur[p] = dur;
    h.wCpu[p] = cpu;
    h.wMem[p] = memBytes;
    h.wSys[p] = sys;
    h.head[r] = (h.head[r] + 1) % HISTORY_WINDOWS;
    if (h.len[r] < HISTORY_WINDOWS) h.len[r]++;
    if (memBytes > h.peakMem[r]) h.peakMem[r] = memBytes;
    const c = this.#ctx.table.cols;
    c.cpuUs[slot] += cpu;
    c.memBytes[slot] = memBytes;
    c.syscallCount[slot] += sys;
    this.#ctx.sys[SYS.syscalls] += sys;
    this.lastCpuUs = cpu;
    this.lastSyscalls = sys;
    this.lastDurationUs = dur;
  }

  /** `recordSampleAt` by AgentId, at the clock's now; false when the agent is unknown. */
  recordSample(id: number, cpuTotalUs: number, memBytes: number, syscallTotal: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return false;
    this.recordSampleAt(slot, cpuTotalUs, memBytes, syscallTotal, this.#ctx.clock.nowUs());
    return true;
  }

  /** Windows of an agent, oldest first. */
  windows(id: number): ResourceWindow[] {
    const slot = this.#ctx.table.slotOfId(id);
    const r = slot < 0 ? -1 : this.#rowOf(slot, false);
    if (r < 0) return [];
    const h = this.#set.cols;
    const out: ResourceWindow[] = [];
    const len = h.len[r];
    for (let i = 0; i < len; i++) {
      const p = r * HISTORY_WINDOWS + ((h.head[r] - len + i + HISTORY_WINDOWS) % HISTORY_WINDOWS);
      out.push({ end_us: h.wEnd[p], duration_us: h.wDur[p], cpu_us: h.wCpu[p], memory_bytes: h.wMem[p], syscalls: h.wSys[p] });
    }
    return out;
  }

  #rate(id: number, n: number, field: "wCpu" | "wSys"): number {
    const slot = this.#ctx.table.slotOfId(id);
    const r = slot < 0 ? -1 : this.#rowOf(slot, false);
    if (r < 0) return 0;
    const h = this.#set.cols;
    const len = Math.min(h.len[r], Math.max(1, Math.floor(n)));
    let sum = 0;
    let dur = 0;
    for (let i = 1; i <= len; i++) {
      const p = r * HISTORY_WINDOWS + ((h.head[r] - i + HISTORY_WINDOWS) % HISTORY_WINDOWS);
      sum += h[field][p];
      dur += h.wDur[p];
    }
    return dur > 0 ? (sum * 1_000_000) / dur : 0;
  }

  /** CPU µs per second over the last `n` windows (1,000,000 = one full core). */
  cpuRate(id: number, n = 1): number {
    return this.#rate(id, n, "wCpu");
  }

  /** Syscalls per second over the last `n` windows. */
  syscallRate(id: number, n = 1): number {
    return this.#rate(id, n, "wSys");
  }

  peakMemory(id: number): number {
    const slot = this.#ctx.table.slotOfId(id);
    const r = slot < 0 ? -1 : this.#rowOf(slot, false);
    return r < 0 ? 0 : this.#set.cols.peakMem[r];
  }

  /** Drop an agent's history (agent removed). */
  releaseAt(slot: number): void {
    const e = this.#ctx.ext.peek(slot);
    if (e < 0) return;
    const r = this.#ctx.ext.cols.resSlot[e] - 1;
    if (r < 0) return;
    this.#ctx.ext.cols.resSlot[e] = 0;
    this.#free.push(r);
  }

  byteLength(): number {
    return this.#set.byteLength();
  }
}
