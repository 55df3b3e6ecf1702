/**
 * The system event ring (SPEC §4, §6.2): a fixed number of events in typed arrays, oldest
 * overwritten first. Pushing is allocation-free; strings (a fault's reason) go to a side array
 * indexed by ring position. Kinds 0–4 are SIS's; 5+ are agentsys's and appear in the `events`
 * file but not in SIS's `telemetry` JSON (whose consumers know only SIS variants).
 */
export const EVENT_KIND = {
  Spawn: 0,
  Exit: 1,
  Fault: 2,
  Restart: 3,
  PolicyChange: 4,
  // agentsys extensions
  StateChange: 5, // a = new STATE code, b = old
  Failed: 6, // a = restart count
  Action: 7, // a = ACTION code taken, b = FAULT code that caused it
} as const;
export const EVENT_NAMES = ["Spawn", "Exit", "Fault", "Restart", "PolicyChange", "StateChange", "Failed", "Action"] as const;
export const SIS_EVENT_KINDS = 5;

export interface EventRing {
  readonly capacity: number;
  /** Events held now (≤ capacity). */
  readonly length: number;
  /** Events ever pushed (also the sequence number of the next one). */
  readonly total: number;
  readonly kind: Uint8Array;
  readonly agent: Uint32Array;
  readonly ts: Float64Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly c: Float64Array;
  push(kind: number, agent: number, ts: number, a: number, b: number, c: number): void;
  /** Attach text to the event just pushed. */
  setText(text: string): void;
  text(pos: number): string;
  /** Ring position of the i-th oldest held event (0 = oldest). */
  at(i: number): number;
  clear(): void;
  byteLength(): number;
}

/**
 * @example
 * const ring = createEventRing(3);
 * for (let i = 0; i < 5; i++) ring.push(EVENT_KIND.Spawn, i, i, 0, 0, 0);
 * ring.agent[ring.at(0)]; // 2: a ring of 3 keeps the last 3
 */
export function createEventRing(capacity = 1024): EventRing {
  if (!(capacity >= 1 && Number.isInteger(capacity))) {
    throw new RangeError(`Cannot create event ring: capacity ${capacity} is not a positive integer`);
  }
  const kind = new Uint8Array(capacity);
  const agent = new Uint32Array(capacity);
  const ts = new Float64Array(capacity);
  const a = new Float64Array(capacity);
  const b = new Float64Array(capacity);
  const c = new Float64Array(capacity);
  const texts: (string | undefined)[] = new Array(capacity).fill(undefined);
  let total = 0;
  let start = 0; // total count at which clear() was last called
  let last = -1;

  return {
    capacity,
    get length() {
      return Math.min(total - start, capacity);
    },
    get total() {
      return total;
    },
    kind,
    agent,
    ts,
    a,
    b,
    c,
    push(k: number, id: number, t: number, x: number, y: number, z: number): void {
      const p = total % capacity;
      kind[p] = k;
      agent[p] = id;
      ts[p] = t;
      a[p] = x;
      b[p] = y;
      c[p] = z;
      if (texts[p] !== undefined) texts[p] = undefined;
      last = p;
      total++;
    },
    setText(text: string): void {
      if (last >= 0) texts[last] = text;
    },
    text(pos: number): string {
      return texts[pos] ?? "";
    },
    at(i: number): number {
      const held = Math.min(total - start, capacity);
      return (total - held + i) % capacity;
    },
    clear(): void {
      start = total;
    },
    byteLength(): number {
      return capacity * (1 + 4 + 8 * 4);
    },
  };
}
