import t from "tap";
import { restartDelayMs } from "../../lib/restart_backoff.ts";

t.test("restartDelayMs() doubles from the base and stops at the cap", async (t) => {
  const mid = 0.5; // no jitter
  t.same([1, 2, 3, 4, 5].map((n) => restartDelayMs(n, 100, 30_000, mid)), [100, 200, 400, 800, 1600]);
  t.equal(restartDelayMs(20, 100, 30_000, mid), 30_000);
  t.equal(restartDelayMs(5000, 100, 30_000, mid), 30_000, "no overflow for huge attempts");
});

t.test("restartDelayMs() jitters by at most ±20 %", async (t) => {
  t.equal(restartDelayMs(1, 100, 30_000, 0), 80);
  t.equal(restartDelayMs(1, 100, 30_000, 0.999999), 120);
  t.equal(restartDelayMs(20, 100, 30_000, 0), 24_000, "jitter applies at the cap too");
  t.equal(restartDelayMs(3, 0, 30_000, 0.9), 0, "zero base means immediate");
});
