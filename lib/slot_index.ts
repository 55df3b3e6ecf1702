/**
 * An index from a u32 key to a table slot, on typed arrays.
 *
 * Keys below `directLimit` (2^22 by default: every Linux pid, and the ids the supervisor
 * allocates from 1000 up) live in a direct-address table: one array read, one cache miss, 4
 * bytes per key. The table is a resizable buffer that doubles in place to cover the largest
 * key seen, so it costs memory only up to that key. Larger keys (ids chosen by a spec) go to a
 * hash with incremental rehashing:
 *
 * Buckets hold `slot + 1` (0 = empty) and no keys: the key of a bucket is read from the
 * table's own key column (`keys[slot]`), which halves the index's memory. Linear probing with
 * backward-shift deletion keeps probes short without tombstones. When the load passes 3/4,
 * a table of twice the size is started and every mutating call moves a few old buckets into it,
 * so no single call pays for a whole rehash (a 1M-entry rehash is ~10 ms). While both tables
 * exist, lookups try the new one, then the old; deletions mark old buckets `-1` (skipped).
 */
const EMPTY = 0;
const DEAD = -1;
const MIGRATE_PER_STEP = 8;
const GOLDEN = 0x9e3779b1;

export interface SlotIndex {
  /** Slot for `key`, or -1. */
  get(key: number): number;
  /** Add `key` → `slot`; the key must not be present. */
  set(key: number, slot: number): void;
  /** Remove `key`; returns whether it was present. */
  delete(key: number): boolean;
  readonly size: number;
  byteLength(): number;
}

/**
 * @param keys the table column holding each slot's key (read on every probe; must stay in
 *   place while the slot is indexed).
 *
 * @example
 * const ids = new Uint32Array(8); ids[2] = 1000;
 * const index = createSlotIndex(ids); index.set(1000, 2); index.get(1000); // 2
 */
export function createSlotIndex(keys: Uint32Array | Int32Array, initialBuckets = 1024, directLimit = 1 << 22): SlotIndex {
  const directBuf = new ArrayBuffer(0, { maxByteLength: directLimit * 4 });
  const direct = new Int32Array(directBuf); // slot + 1 per key; 0 = absent
  let bits = Math.max(4, Math.ceil(Math.log2(initialBuckets)));
  // The hash starts small: with the direct table in front, it only holds unusual keys.
  let cur = new Int32Array(1 << bits);
  let curShift = 32 - bits;
  let old: Int32Array | null = null;
  let oldShift = 0;
  let cursor = 0;
  let size = 0;

  function probe(table: Int32Array, shift: number, key: number): number {
    const mask = table.length - 1;
    let i = Math.imul(key, GOLDEN) >>> shift;
    for (;;) {
      const b = table[i];
      if (b === EMPTY) return -1;
      if (b !== DEAD && keys[b - 1] === key) return i;
      i = (i + 1) & mask;
    }
  }

  function insert(table: Int32Array, shift: number, key: number, slot: number): void {
    const mask = table.length - 1;
    let i = Math.imul(key, GOLDEN) >>> shift;
    while (table[i] !== EMPTY) i = (i + 1) & mask;
    table[i] = slot + 1;
  }

  // Backward-shift deletion (only on the current table, which never holds DEAD marks).
  function removeAt(table: Int32Array, shift: number, i: number): void {
    const mask = table.length - 1;
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const b = table[j];
      if (b === EMPTY) break;
      const home = Math.imul(keys[b - 1], GOLDEN) >>> shift;
      // Move b into the hole when its home is not cyclically inside (hole, j].
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        table[hole] = b;
        hole = j;
      }
    }
    table[hole] = EMPTY;
  }

  function migrate(): void {
    if (old === null) return;
    const end = Math.min(cursor + MIGRATE_PER_STEP, old.length);
    for (let i = cursor; i < end; i++) {
      const b = old[i];
      if (b > 0) insert(cur, curShift, keys[b - 1], b - 1);
    }
    cursor = end;
    if (cursor === old.length) old = null;
  }

  function growDirect(key: number): void {
    let n = Math.max(1024, direct.length);
    while (n <= key) n *= 2;
    directBuf.resize(Math.min(n, directLimit) * 4);
  }

  return {
    get(key: number): number {
      if (key < directLimit) return key < direct.length && key >= 0 ? direct[key] - 1 : -1;
      let i = probe(cur, curShift, key);
      if (i >= 0) return cur[i] - 1;
      if (old !== null) {
        i = probe(old, oldShift, key);
        if (i >= 0) return old[i] - 1;
      }
      return -1;
    },
    set(key: number, slot: number): void {
      if (key < directLimit) {
        if (key >= direct.length) growDirect(key);
        direct[key] = slot + 1;
        // Fault in the page 1024 keys ahead (read-write of the same value: safe if it is live).
        const ahead = key + 1024;
        if (ahead < direct.length) direct[ahead] = direct[ahead];
        size++;
        return;
      }
      migrate();
      if (old === null && (size + 1) * 4 > cur.length * 3) {
        old = cur;
        oldShift = curShift;
        cursor = 0;
        bits++;
        cur = new Int32Array(1 << bits);
        curShift = 32 - bits;
        migrate();
      }
      insert(cur, curShift, key, slot);
      size++;
    },
    delete(key: number): boolean {
      if (key < directLimit) {
        if (key < 0 || key >= direct.length || direct[key] === 0) return false;
        direct[key] = 0;
        size--;
        return true;
      }
      migrate();
      let found = false;
      const i = probe(cur, curShift, key);
      if (i >= 0) {
        removeAt(cur, curShift, i);
        found = true;
      }
      if (old !== null) {
        const j = probe(old, oldShift, key);
        if (j >= 0) {
          old[j] = DEAD;
          found = true;
        }
      }
      if (found) size--;
      return found;
    },
    get size() {
      return size;
    },
    byteLength(): number {
      return directBuf.byteLength + cur.byteLength + (old === null ? 0 : old.byteLength);
    },
  };
}
