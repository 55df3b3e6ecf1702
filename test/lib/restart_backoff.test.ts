import t from "tap";
import { nextRestart, restartDelayMs } from "../../lib/restart_backoff.ts";

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

t.test("nextRestart: the series grows, resets after a long run, and ends at max_restarts", async (t) => {
  const b = [100, 30_000, 60_000] as const;
  t.same(nextRestart(0, 3, 1_000, b, 0.5), { failed: false, count: 1, delayMs: 100 }, "first restart: base");
  t.same(nextRestart(2, 3, 1_000, b, 0.5), { failed: false, count: 3, delayMs: 400 }, "third: base · 4");
  t.same(nextRestart(3, 3, 1_000, b, 0.5), { failed: true, count: 3 }, "the counter reached max_restarts: failed");
  t.same(nextRestart(3, 3, 60_000_000, b, 0.5), { failed: false, count: 1, delayMs: 100 }, "a run of reset_after_ms starts the series again");
  t.same(nextRestart(0, 0, 1_000, b, 0.5), { failed: true, count: 0 }, "max_restarts 0: never restarted");
});
