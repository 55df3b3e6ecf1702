/**
 * Growable typed-array columns without stop-the-world copies.
 *
 * Each column is a length-tracking typed array over a resizable ArrayBuffer whose
 * `maxByteLength` reserves address space for the table's maximum capacity. Growing resizes the
 * buffer in place (the engine commits more pages; nothing is copied), so references held by
 * callers stay valid. Resizing every column at once costs a few µs per column; to keep every
 * single operation short, `ColumnSet.step()` resizes one column per call once the table is
 * within two calls per column of full, and capacity doubles when the last column has grown.
 *
 * Growing only reserves: the kernel allocates (and zeroes) a page on its first write, and
 * with ~20 columns crossing a page boundary together every 512 slots, one insert in 512 paid
 * ~20 page faults (10–20 µs, measured). `step()` therefore also pre-faults one column's page
 * `PREFAULT_AHEAD` slots ahead of the high-water mark, round-robin, so faults are spread one
 * per call.
 */
const PREFAULT_AHEAD = 2048;

/** Touch byte `i` of `bytes` so its page is faulted in now (a read-write of the same value). */
function prefault(bytes: Uint8Array, i: number): void {
  if (i < bytes.length) bytes[i] = bytes[i];
}
export const COLUMN_TYPES = {
  u8: Uint8Array,
  u16: Uint16Array,
  u32: Uint32Array,
  i32: Int32Array,
  f64: Float64Array,
} as const;
export type ColumnType = keyof typeof COLUMN_TYPES;
type ColumnArray<T extends ColumnType> = InstanceType<(typeof COLUMN_TYPES)[T]>;

/** Column declarations: name → [type, elements per slot]. */
export type ColumnSpec = Readonly<Record<string, readonly [ColumnType, number]>>;
export type Columns<S extends ColumnSpec> = { readonly [K in keyof S]: ColumnArray<S[K][0]> };

export interface ColumnSet<S extends ColumnSpec> {
  readonly cols: Columns<S>;
  /** Slots usable now (every column holds at least this many). */
  readonly capacity: number;
  readonly maxCapacity: number;
  /** Advance growth by at most one column; call once per insert with the live count. */
  step(used: number): void;
  /** Grow until `slots` fit, synchronously (the fallback when `step` could not keep up). */
  ensure(slots: number): boolean;
  /** Bytes currently committed by all columns. */
  byteLength(): number;
}

export interface ColumnSetOptions {
  initialCapacity: number;
  maxCapacity: number;
}

/**
 * Create a set of columns.
 *
 * @example
 * const set = createColumnSet({ pid: ["i32", 1], ring: ["f64", 10] }, { initialCapacity: 64, maxCapacity: 1 << 20 });
 * set.cols.pid[3] = 42;
 */
export function createColumnSet<S extends ColumnSpec>(spec: S, options: ColumnSetOptions): ColumnSet<S> {
  const { maxCapacity } = options;
  let capacity = Math.min(options.initialCapacity, maxCapacity);
  const names = Object.keys(spec);
  const buffers: ArrayBuffer[] = [];
  const unit: number[] = [];
  const cols: Record<string, unknown> = {};
  for (const name of names) {
    const [type, stride] = spec[name];
    const Ctor = COLUMN_TYPES[type];
    const bytesPerSlot = Ctor.BYTES_PER_ELEMENT * stride;
    const buf = new ArrayBuffer(capacity * bytesPerSlot, { maxByteLength: maxCapacity * bytesPerSlot });
    buffers.push(buf);
    unit.push(bytesPerSlot);
    cols[name] = new Ctor(buf);
  }
  // One byte view per column keeps the pre-fault access monomorphic (one element kind).
  const byteViews = buffers.map((b) => new Uint8Array(b));
  let faultCursor = 0;
  // Index of the next column to grow to `target`; -1 when not growing.
  let next = -1;
  let target = capacity;

  function growOne(): void {
    buffers[next].resize(target * unit[next]);
    next++;
    if (next === buffers.length) {
      capacity = target;
      next = -1;
    }
  }

  return {
    cols: cols as Columns<S>,
    get capacity() {
      return capacity;
    },
    maxCapacity,
    step(used: number): void {
      const k = faultCursor;
      faultCursor = k + 1 === byteViews.length ? 0 : k + 1;
      prefault(byteViews[k], (used + PREFAULT_AHEAD) * unit[k]);
      if (next >= 0) growOne();
      // Start early enough that one column per call finishes before the table is full, late
      // enough that capacity stays within a few slots of a power of two above `used`.
      else if (used + 2 * buffers.length >= capacity && capacity < maxCapacity) {
        target = Math.min(capacity * 2, maxCapacity);
        next = 0;
        growOne();
      }
    },
    ensure(slots: number): boolean {
      if (slots > maxCapacity) return false;
      while (capacity < slots) {
        if (next < 0) {
          target = Math.min(Math.max(capacity * 2, slots), maxCapacity);
          next = 0;
        }
        growOne();
      }
      return true;
    },
    byteLength(): number {
      let n = 0;
      for (const b of buffers) n += b.byteLength;
      return n;
    },
  };
}
