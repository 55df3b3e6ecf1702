import { Type, type Static } from "@sinclair/typebox";

/**
 * Restart backoff (SPEC §4), all of it: the parameters and their defaults, the schema specs and
 * commands check them with, the delay formula, and the rule that resets or ends the series.
 * The supervisor applies the rule at an exit; the host only runs the timer it is told.
 */

/** Parameters, per agent through its recovery profile (else the daemon's defaults). */
export interface RestartBackoff {
  base_ms: number;
  cap_ms: number;
  /** A run that lasted this long clears the restart counter. */
  reset_after_ms: number;
}

export const DEFAULT_BACKOFF: Readonly<RestartBackoff> = { base_ms: 100, cap_ms: 30_000, reset_after_ms: 60_000 };

/** The parameters' names, in this order everywhere (profile rows, `recovery` lines, messages). */
export const BACKOFF_FIELDS = ["base_ms", "cap_ms", "reset_after_ms"] as const satisfies readonly (keyof RestartBackoff)[];

/** Partial parameters in a spec, a fleet file or a `recovery` command. */
export const BackoffSpec = Type.Object(
  {
    base_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
    cap_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
    reset_after_ms: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type BackoffSpec = Static<typeof BackoffSpec>;

/** ±20 % */
export const JITTER = 0.2;

/**
 * Delay of the n-th restart: `min(cap, base · 2^(n−1))`, then ±20 % jitter so a fleet that
 * crashed together does not restart together. The jitter is applied after the cap, on purpose:
 * agents parked at the cap must stay spread too.
 *
 * @example
 * restartDelayMs(3, 100, 30_000, 0.5); // 400 (0.5 = no jitter)
 */
export function restartDelayMs(attempt: number, baseMs: number, capMs: number, random01: number): number {
  const n = Math.max(1, attempt);
  // 2^(n−1) overflows to Infinity for large n, which min() then caps.
  const raw = Math.min(capMs, baseMs * Math.pow(2, n - 1));
  return Math.max(0, Math.round(raw * (1 + JITTER * (2 * random01 - 1))));
}

/**
 * What an abnormal exit that restarts leads to: the restart counter after it (a run of at least
 * `reset_after_ms` starts the series again) and the delay, or `failed` once the counter has
 * reached `max_restarts` — no more restarts until `restart` or `reset`.
 */
export function nextRestart(restartCount: number, maxRestarts: number, ranUs: number, backoff: readonly [base: number, cap: number, resetAfter: number], random01: number): { failed: true; count: number } | { failed: false; count: number; delayMs: number } {
  const [base, cap, resetAfter] = backoff;
  const count = ranUs >= resetAfter * 1000 ? 0 : restartCount;
  if (count >= maxRestarts) return { failed: true, count };
  return { failed: false, count: count + 1, delayMs: restartDelayMs(count + 1, base, cap, random01) };
}
