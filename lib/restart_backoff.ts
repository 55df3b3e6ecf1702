/**
 * Restart delay of SPEC §4: `min(cap, base · 2^(n−1))` for the n-th restart, then ±20 % jitter
 * so a fleet that crashed together does not restart together. The jitter is applied after the
 * cap, on purpose: agents parked at the cap must stay spread too.
 *
 * @example
 * restartDelayMs(3, 100, 30_000, 0.5); // 400 (0.5 = no jitter)
 */
export const JITTER = 0.2;

export function restartDelayMs(attempt: number, baseMs: number, capMs: number, random01: number): number {
  const n = Math.max(1, attempt);
  // 2^(n−1) overflows to Infinity for large n, which min() then caps.
  const raw = Math.min(capMs, baseMs * Math.pow(2, n - 1));
  return Math.max(0, Math.round(raw * (1 + JITTER * (2 * random01 - 1))));
}
