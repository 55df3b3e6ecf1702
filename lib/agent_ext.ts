import { createColumnSet } from "./_columns.ts";

/**
 * Per-agent data that a freshly registered agent does not need yet: the ring of the last 10
 * faults, compliance and policy counters, the last exit, the current restart delay, the
 * resource-history handle. It is
 * allocated on first use (first exit, fault, patch, compliance decision, sample…) and reached
 * through the agent table's `ext` column, which keeps a plain registered agent under the
 * 128-byte budget while an agent that does things pays ~300 bytes more.
 */
export const RECENT_FAULTS = 10;

export const EXT_COLUMNS = {
  faultCount: ["u32", 1],
  policyChanges: ["u32", 1],
  violations: ["u32", 1], // compliance PolicyViolation events
  humanReviews: ["u32", 1],
  decisions: ["u32", 1],
  backoffMs: ["u32", 1], // delay of the pending (or last) restart
  cleanWindows: ["u16", 1], // consecutive windows without a breach (lifts throttle)
  faultHead: ["u8", 1], // next write position in the fault ring
  faultLen: ["u8", 1],
  resSlot: ["i32", 1], // resource-history slot + 1; 0 = none
  lastExitUs: ["f64", 1], // -1 before the first exit
  lastExitCode: ["i32", 1],
  fKind: ["u8", RECENT_FAULTS],
  fA: ["f64", RECENT_FAULTS],
  fB: ["f64", RECENT_FAULTS],
  fTs: ["f64", RECENT_FAULTS],
} as const;

export interface AgentExt {
  readonly cols: ReturnType<typeof createColumnSet<typeof EXT_COLUMNS>>["cols"];
  /** Fault texts (PolicyViolation reason, CapabilityViolation name) by ring position. */
  readonly faultText: Map<number, string>;
  /** Ext slot of an agent slot, allocating it on first use. */
  of(agentSlot: number): number;
  /** Ext slot of an agent slot, or -1 when it has none (read paths). */
  peek(agentSlot: number): number;
  /** Release the agent's ext slot (agent removed). */
  release(agentSlot: number): void;
  readonly count: number;
  byteLength(): number;
}

/**
 * @param extColumn the agent table's `ext` column (ext slot + 1 per agent slot).
 *
 * @example
 * const ext = createAgentExt(table.cols.ext);
 * const e = ext.of(slot); ext.cols.faultCount[e]++;
 */
export function createAgentExt(extColumn: Int32Array, maxSlots = 1 << 22): AgentExt {
  const set = createColumnSet(EXT_COLUMNS, { initialCapacity: 256, maxCapacity: maxSlots });
  const c = set.cols;
  const faultText = new Map<number, string>();
  const free: number[] = [];
  let high = 0;
  let count = 0;

  return {
    cols: c,
    faultText,
    of(agentSlot: number): number {
      const cur = extColumn[agentSlot];
      if (cur > 0) return cur - 1;
      let e: number;
      if (free.length > 0) e = free.pop()!;
      else {
        e = high++;
        if (e >= set.capacity) set.ensure(e + 1);
      }
      c.faultCount[e] = 0;
      c.policyChanges[e] = 0;
      c.violations[e] = 0;
      c.humanReviews[e] = 0;
      c.decisions[e] = 0;
      c.backoffMs[e] = 0;
      c.cleanWindows[e] = 0;
      c.faultHead[e] = 0;
      c.faultLen[e] = 0;
      c.resSlot[e] = 0;
      c.lastExitUs[e] = -1;
      c.lastExitCode[e] = 0;
      extColumn[agentSlot] = e + 1;
      count++;
      set.step(high);
      return e;
    },
    peek(agentSlot: number): number {
      return extColumn[agentSlot] - 1;
    },
    release(agentSlot: number): void {
      const e = extColumn[agentSlot] - 1;
      if (e < 0) return;
      for (let i = 0; i < RECENT_FAULTS; i++) faultText.delete(e * RECENT_FAULTS + i);
      extColumn[agentSlot] = 0;
      free.push(e);
      count--;
    },
    get count() {
      return count;
    },
    byteLength(): number {
      return set.byteLength();
    },
  };
}
