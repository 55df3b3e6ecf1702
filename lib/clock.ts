/**
 * Injectable time source. The core never reads the system clock directly, so tests can drive
 * time by hand and every timestamp (SIS `Timestamp`, µs since daemon start) is reproducible.
 *
 * @example
 * const clock = createManualClock();
 * clock.advanceUs(1_500);
 * clock.nowUs(); // 1500
 */
export interface Clock {
  /** Microseconds since the clock (the daemon) started; monotonic. */
  nowUs(): number;
  /** Wall-clock milliseconds since the Unix epoch, for audit records. */
  wallMs(): number;
}

/** A manual clock for tests: time moves only when told to. */
export interface ManualClock extends Clock {
  advanceUs(us: number): void;
  setUs(us: number): void;
}

/** The real clock: `performance.now()` (monotonic, µs resolution), anchored at creation. */
export function createSystemClock(): Clock {
  const start = performance.now();
  return {
    nowUs: () => Math.floor((performance.now() - start) * 1000),
    wallMs: () => Date.now(),
  };
}

/** A clock that starts at `startUs` (default 0) and a wall time of `wallStartMs`. */
export function createManualClock(startUs = 0, wallStartMs = Date.UTC(2026, 0, 1)): ManualClock {
  let now = startUs;
  return {
    nowUs: () => now,
    wallMs: () => wallStartMs + Math.floor(now / 1000),
    advanceUs(us: number) {
      if (!(us >= 0)) throw new RangeError(`Cannot advance clock: step ${us} is negative`);
      now += us;
    },
    setUs(us: number) {
      if (!(us >= now)) throw new RangeError(`Cannot set clock to ${us}: it is before ${now}`);
      now = us;
    },
  };
}
