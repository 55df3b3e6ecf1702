/**
 * Interned fixed-width numeric profiles (limit sets, recovery sets). Agents store a u16
 * profile index instead of their own copy: most agents share the defaults, so per-agent
 * overrides cost 2 bytes per agent plus one row per distinct override. Row 0 is the global
 * default and is mutable in place (changing the defaults changes every agent that uses them);
 * other rows are immutable once interned.
 */
export interface ProfileTable {
  readonly width: number;
  readonly values: Float64Array;
  readonly count: number;
  /** Index of the row equal to `row` (interned), or -1 when the table is full. */
  intern(row: ArrayLike<number>): number;
  /** Overwrite the default row (index 0). */
  setDefault(row: ArrayLike<number>): void;
  row(index: number): number[];
}

export const MAX_PROFILES = 65535;

/**
 * @example
 * const t = createProfileTable([1, 2]);
 * t.intern([3, 4]); // 1
 * t.intern([3, 4]); // 1 again
 */
export function createProfileTable(defaults: ArrayLike<number>): ProfileTable {
  const width = defaults.length;
  let values = new Float64Array(width * 16);
  let count = 1;
  const index = new Map<string, number>();
  values.set(Array.from(defaults), 0);

  return {
    width,
    get values() {
      return values;
    },
    get count() {
      return count;
    },
    intern(row: ArrayLike<number>): number {
      const key = Array.from(row).join(",");
      const hit = index.get(key);
      if (hit !== undefined) return hit;
      if (count >= MAX_PROFILES) return -1;
      if ((count + 1) * width > values.length) {
        const bigger = new Float64Array(values.length * 2);
        bigger.set(values);
        values = bigger;
      }
      values.set(Array.from(row), count * width);
      index.set(key, count);
      return count++;
    },
    setDefault(row: ArrayLike<number>): void {
      values.set(Array.from(row), 0);
    },
    row(i: number): number[] {
      return Array.from(values.subarray(i * width, (i + 1) * width));
    },
  };
}
