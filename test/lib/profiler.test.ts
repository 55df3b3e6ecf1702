import t from "tap";
import { PROFILE_SAMPLES, Profiler } from "../../lib/mod.ts";

t.test("Profiler success rate 0.7 (SIS unit case) and latency stats", async (t) => {
  const p = new Profiler();
  for (let i = 1; i <= 10; i++) p.record(100, "llm", i * 10, i <= 7);
  const s = p.stats(100, "llm")!;
  t.equal(s.count, 10);
  t.equal(s.success_rate, 0.7);
  t.equal(s.min_us, 10);
  t.equal(s.max_us, 100);
  t.equal(s.avg_us, 55);
  t.equal(s.median_us, 50);
  t.equal(s.p95_us, 100);
  t.equal(s.p99_us, 100);
  t.equal(p.stats(100, "nope"), undefined);
});

t.test("Profiler keeps a ring of 100 samples for percentiles; lifetime count and extremes", async (t) => {
  const p = new Profiler();
  for (let i = 1; i <= 250; i++) p.record(1, "op", i, true);
  const s = p.stats(1, "op")!;
  t.equal(s.count, 250);
  t.equal(s.min_us, 1, "lifetime min");
  t.equal(s.median_us, 200, "median of the last 100 (151..250)");
  t.equal(s.p99_us, 249);
  t.equal(PROFILE_SAMPLES, 100);
});

t.test("summary() aggregates like SIS `profile`; reset() clears", async (t) => {
  const p = new Profiler();
  for (let i = 0; i < 10; i++) p.record(5, "a", 100, i < 7);
  for (let i = 0; i < 10; i++) p.record(5, "b", 300, true);
  t.same(p.summary(5), {
    total_operations: 20,
    successful: 17,
    failed: 3,
    success_rate: 0.85,
    avg_latency_us: 200,
    peak_latency_us: 300,
  });
  t.same(p.operations(5).map((o) => o.operation), ["a", "b"]);
  t.equal(p.summary(6), undefined);
  t.equal(p.hasAgent(5), true);
  p.reset(5);
  t.equal(p.hasAgent(5), false);
  p.record(6, "x", 1, true);
  p.reset();
  t.equal(p.summary(6), undefined);
});
