import { createColumnSet, type ColumnSet } from "./_columns.ts";
import { createNameArena, type NameArena } from "./name_arena.ts";
import { createSlotIndex, type SlotIndex } from "./slot_index.ts";
import { ERRNO } from "./errno.ts";

/**
 * The agent registry as a struct of typed arrays indexed by slot (SPEC §2). Every component
 * of the core reads and writes these columns; none keeps per-agent objects. Rarely used
 * per-agent data (fault rings, compliance counters, patches) lives in `agent_ext.ts`, reached
 * through the `ext` column, so a plain registered agent stays small.
 */
export const AGENT_COLUMNS = {
  id: ["u32", 1],
  gen: ["u8", 1], // bumped when the slot is freed, so stale handles are refused
  state: ["u8", 1], // STATE code
  flags: ["u8", 1], // FLAG bits
  risk: ["u8", 1], // RISK code
  limitsProfile: ["u16", 1], // index into LimitsProfiles; 0 = the global defaults
  recoveryProfile: ["u16", 1], // index into RecoveryProfiles; 0 = the global defaults
  restartCount: ["u16", 1],
  maxRestarts: ["u16", 1],
  pid: ["i32", 1], // 0 when no process; next free slot + 1 while the slot is free
  spawnedAtUs: ["f64", 1],
  lastActivityUs: ["f64", 1],
  spawnCount: ["u32", 1],
  cpuUs: ["f64", 1],
  memBytes: ["f64", 1],
  syscallCount: ["f64", 1],
  caps: ["u32", 1], // capability bitmask
  scope: ["u16", 1], // index into the scope table; 0 = unrestricted
  complianceEvents: ["u32", 1],
  nameOff: ["u32", 1], // offset in the name arena
  ext: ["i32", 1], // extension slot + 1; 0 = none yet
} as const;

export const FLAG = {
  used: 1,
  autoRestart: 2,
  ready: 4, // readiness seen: the watchdog is armed
  restartRequested: 8, // stopping in order to restart
  stopRequested: 16, // stopping for good (kill/stop/cascade): no restart
  faultRestart: 32, // stopping because a Restart recovery action: restart through the rules
  notifyPending: 64, // `readiness: notify` agent: stays `starting` until ready
} as const;

export const HANDLE_SLOT_BITS = 22;
const SLOT_MASK = (1 << HANDLE_SLOT_BITS) - 1;
const GEN_MASK = 0xff;
export const MAX_AGENTS = 1 << HANDLE_SLOT_BITS;

export interface AgentTableOptions {
  initialCapacity?: number;
  maxAgents?: number;
}

export interface AgentTable {
  readonly cols: ColumnSet<typeof AGENT_COLUMNS>["cols"];
  /** Slots in use (any state). */
  readonly count: number;
  /** One past the highest slot ever used: iterate `0..highWater` and test `FLAG.used`. */
  readonly highWater: number;
  readonly capacity: number;
  readonly maxAgents: number;
  /** Allocate a slot for `id`: slot ≥ 0, or EEXIST / ENOSPC / EINVAL (name too long). */
  alloc(id: number, name: string): number;
  /** Free a slot (its id, pid and name are unindexed; its generation moves on). */
  free(slot: number): void;
  slotOfId(id: number): number;
  slotOfPid(pid: number): number;
  /** Set the slot's pid (0 = none), keeping the pid index in step. EEXIST if pid is taken. */
  setPid(slot: number, pid: number): number;
  name(slot: number): string;
  setName(slot: number, name: string): boolean;
  /** Handle = generation (8 bits) << 22 | slot; names only this slot's current tenant. */
  handle(slot: number): number;
  /** Slot for a handle, or -1 when the agent it named is gone. */
  slotOfHandle(handle: number): number;
  /** Live slots in ascending AgentId order (cold path: renderers). */
  sortedSlots(): number[];
  /** Bytes held by columns, indexes and the name arena. */
  byteLength(): number;
}

/**
 * @example
 * const table = createAgentTable({ initialCapacity: 16 });
 * const slot = table.alloc(1000, "planner");
 * table.setPid(slot, 4242);
 * table.slotOfPid(4242) === slot; // true
 */
export function createAgentTable(options: AgentTableOptions = {}): AgentTable {
  const maxAgents = Math.min(options.maxAgents ?? MAX_AGENTS, MAX_AGENTS);
  const set = createColumnSet(AGENT_COLUMNS, {
    initialCapacity: Math.min(options.initialCapacity ?? 1024, maxAgents),
    maxCapacity: maxAgents,
  });
  const c = set.cols;
  const ids: SlotIndex = createSlotIndex(c.id, 16);
  const pids: SlotIndex = createSlotIndex(c.pid, 16);
  const names: NameArena = createNameArena();
  let count = 0;
  let highWater = 0;
  // Free slots form a stack linked through the pid column (free slots have no process).
  let freeHead = -1;

  function compactNames(): void {
    const live: number[] = [];
    const slots: number[] = [];
    for (let s = 0; s < highWater; s++) {
      if (c.flags[s] & FLAG.used) {
        live.push(c.nameOff[s]);
        slots.push(s);
      }
    }
    names.compact(live, (i, off) => {
      c.nameOff[slots[i]] = off;
    });
  }

  const table: AgentTable = {
    cols: c,
    get count() {
      return count;
    },
    get highWater() {
      return highWater;
    },
    get capacity() {
      return set.capacity;
    },
    maxAgents,
    alloc(id: number, name: string): number {
      if (ids.get(id) >= 0) return ERRNO.EEXIST;
      let slot: number;
      if (freeHead >= 0) {
        slot = freeHead;
        freeHead = c.pid[slot] - 1;
      } else {
        if (highWater >= maxAgents) return ERRNO.ENOSPC;
        if (highWater >= set.capacity && !set.ensure(highWater + 1)) return ERRNO.ENOSPC;
        slot = highWater++;
      }
      const off = names.add(name);
      if (off < 0) {
        c.pid[slot] = freeHead + 1;
        freeHead = slot;
        return ERRNO.EINVAL;
      }
      c.id[slot] = id;
      c.flags[slot] = FLAG.used;
      c.state[slot] = 0;
      c.risk[slot] = 0;
      c.limitsProfile[slot] = 0;
      c.recoveryProfile[slot] = 0;
      c.restartCount[slot] = 0;
      c.maxRestarts[slot] = 0;
      c.pid[slot] = 0;
      c.spawnedAtUs[slot] = 0;
      c.lastActivityUs[slot] = 0;
      c.spawnCount[slot] = 0;
      c.cpuUs[slot] = 0;
      c.memBytes[slot] = 0;
      c.syscallCount[slot] = 0;
      c.caps[slot] = 0;
      c.scope[slot] = 0;
      c.complianceEvents[slot] = 0;
      c.nameOff[slot] = off;
      c.ext[slot] = 0;
      ids.set(id, slot);
      count++;
      set.step(highWater);
      return slot;
    },
    free(slot: number): void {
      if (!(c.flags[slot] & FLAG.used)) return;
      ids.delete(c.id[slot]);
      if (c.pid[slot] > 0) pids.delete(c.pid[slot]);
      names.free(c.nameOff[slot]);
      c.flags[slot] = 0;
      c.gen[slot] = (c.gen[slot] + 1) & GEN_MASK;
      c.pid[slot] = freeHead + 1;
      freeHead = slot;
      count--;
      if (names.garbage > 1 << 16 && names.garbage > names.used - names.garbage) compactNames();
    },
    slotOfId(id: number): number {
      return ids.get(id);
    },
    slotOfPid(pid: number): number {
      return pid > 0 ? pids.get(pid) : -1;
    },
    setPid(slot: number, pid: number): number {
      const prev = c.pid[slot];
      if (prev === pid) return 0;
      if (pid > 0 && pids.get(pid) >= 0) return ERRNO.EEXIST;
      if (prev > 0) pids.delete(prev);
      c.pid[slot] = pid;
      if (pid > 0) pids.set(pid, slot);
      return 0;
    },
    name(slot: number): string {
      return names.get(c.nameOff[slot]);
    },
    setName(slot: number, name: string): boolean {
      const off = names.add(name);
      if (off < 0) return false;
      names.free(c.nameOff[slot]);
      c.nameOff[slot] = off;
      return true;
    },
    handle(slot: number): number {
      return ((c.gen[slot] << HANDLE_SLOT_BITS) | slot) >>> 0;
    },
    slotOfHandle(handle: number): number {
      const slot = handle & SLOT_MASK;
      if (slot >= highWater || !(c.flags[slot] & FLAG.used)) return -1;
      return c.gen[slot] === handle >>> HANDLE_SLOT_BITS ? slot : -1;
    },
    sortedSlots(): number[] {
      const out: number[] = [];
      let ascending = true;
      for (let s = 0; s < highWater; s++) {
        if (!(c.flags[s] & FLAG.used)) continue;
        if (out.length > 0 && c.id[s] < c.id[out[out.length - 1]]) ascending = false;
        out.push(s);
      }
      // Slots are usually taken in id order (fleets, ascending spawns): no sort then.
      return ascending ? out : out.sort((a, b) => c.id[a] - c.id[b]);
    },
    byteLength(): number {
      return set.byteLength() + ids.byteLength() + pids.byteLength() + names.byteLength();
    },
  };
  return table;
}
