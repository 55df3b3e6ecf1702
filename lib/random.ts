/**
 * Injectable random source: a function returning a float in [0, 1). The supervisor uses it
 * only for restart jitter; tests pass a seeded one so backoff delays are exact.
 *
 * @example
 * const rnd = createSeededRandom(42);
 * const x = rnd(); // same sequence for the same seed
 */
export type Random = () => number;

/** mulberry32: tiny, fast and good enough for jitter (not for anything secret). */
export function createSeededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A constant source, for tests that want jitter pinned to one end or the middle. */
export function createConstantRandom(value: number): Random {
  return () => value;
}
