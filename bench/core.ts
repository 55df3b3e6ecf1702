/**
 * bench/core — ns/op of the core's hot paths at 1k, 100k and 1M agents, the worst single
 * spawn while the table grows from 0 to 1M, and bytes per agent.
 *
 * Run: `npm run bench` (builds, then `node --expose-gc dist/bench/core.js`). Figures are
 * printed as a Markdown table for docs/performance.md. Every figure is measured in this
 * process; compare ratios, not absolute times, across machines.
 */
import { PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
import { AgentSupervisor, CAP, EVENT_KIND, createSeededRandom, renderStatus, type AgentSpec } from "../lib/mod.ts";

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const now = () => performance.now();
const SCALES = [1_000, 100_000, 1_000_000];
const OPS = 200_000; // per measured batch for the cheap ops
const BATCH = 10_000; // spawns/exits measured per scale (the table grows by this much)

interface Row {
  scale: number;
  spawn: number;
  exit: number;
  touch: number;
  policy: number;
  telemetry: number;
  fault: number;
  event: number;
  statusMs: number;
}

function fill(sup: AgentSupervisor, from: number, to: number, spec: AgentSpec): void {
  for (let i = from; i < to; i++) {
    spec.agent_id = 1000 + i;
    spec.name = `agent-${i}`;
    sup.onAgentSpawn(1_000_000 + i, spec);
  }
}

function nsPer(ops: number, ms: number): number {
  return (ms * 1e6) / ops;
}

/** Median of three runs of `fn`, each doing `ops` operations, in ns/op. */
function measure(ops: number, fn: () => void): number {
  const r: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = now();
    fn();
    r.push(nsPer(ops, now() - t0));
  }
  return r.sort((a, b) => a - b)[1];
}

function benchScale(scale: number, sequential = false): Row {
  const sup = new AgentSupervisor({ initialCapacity: 1024 });
  const spec: AgentSpec = { name: "", capabilities: ["FsBasic", "DocBasic"], auto_restart: true };
  fill(sup, 0, scale, spec);
  // Warm the exit path too, so every scale measures optimized code.
  for (let i = 0; i < Math.min(scale, 20_000); i++) sup.onAgentExit(1_000_000 + i, 0);
  for (let i = 0; i < Math.min(scale, 20_000); i++) {
    spec.agent_id = 1000 + i;
    spec.name = `agent-${i}`;
    sup.onAgentSpawn(1_000_000 + i, spec);
  }
  const rnd = createSeededRandom(scale);
  const ids = new Uint32Array(OPS);
  // Random ids over the whole table (every access a likely cache miss), or a sequential sweep.
  for (let i = 0; i < OPS; i++) ids[i] = 1000 + (sequential ? i % scale : Math.floor(rnd() * scale));
  let sink = 0;

  // spawn-register and exit: BATCH new agents on top of `scale`, then their exits; five
  // rounds (each removes its agents again), median reported.
  const spawns: number[] = [];
  const exits: number[] = [];
  for (let round = 0; round < 5; round++) {
    gc();
    let t0 = now();
    fill(sup, scale, scale + BATCH, spec);
    spawns.push(nsPer(BATCH, now() - t0));
    t0 = now();
    for (let i = scale; i < scale + BATCH; i++) sup.onAgentExit(1_000_000 + i, 0);
    exits.push(nsPer(BATCH, now() - t0));
    for (let i = scale; i < scale + BATCH; i++) sup.remove(1000 + i);
  }
  const spawn = spawns.sort((a, b) => a - b)[2];
  const exit = exits.sort((a, b) => a - b)[2];

  const touch = measure(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += sup.touchAgent(ids[i]) ? 1 : 0;
  });
  const policy = measure(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += sup.policy.checkCapability(ids[i], CAP.DocBasic) ? 1 : 0;
  });
  const telemetry = measure(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += sup.telemetry.recordSyscall(ids[i], 1) ? 1 : 0;
  });
  const fault = measure(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += sup.faults.checkSample(ids[i], 500_000, 50_000_000, 10, 1000);
  });
  const events = sup.ctx.events;
  const event = measure(OPS, () => {
    for (let i = 0; i < OPS; i++) events.push(EVENT_KIND.Spawn, ids[i], i, 0, 0, 0);
  });
  const renders = scale >= 1_000_000 ? 1 : scale >= 100_000 ? 3 : 50;
  const t0 = now();
  for (let i = 0; i < renders; i++) sink += renderStatus(sup).length;
  const statusMs = (now() - t0) / renders;
  if (sink === 42) console.log("");
  return { scale, spawn, exit, touch, policy, telemetry, fault, event, statusMs };
}

interface Growth {
  worstUs: number;
  p999Us: number;
  p9999Us: number;
  over10us: number;
  /** The same, leaving out ops that overlapped a garbage-collection pause. */
  worstNoGcUs: number;
  over10usNoGc: number;
  gcPauses: number;
  gcWorstMs: number;
  /** An empty timed op in the same loop shape: the machine's own noise (timer ticks, steal). */
  noiseWorstUs: number;
  noiseOver10us: number;
}

/** Time n empty ops exactly like `growth` times spawns. */
function noise(n: number): { worstUs: number; over10us: number } {
  const sink = new Float64Array(1);
  let worst = 0;
  let over = 0;
  for (let i = 0; i < n; i++) {
    const t0 = now();
    sink[0] = i;
    const d = now() - t0;
    if (d > worst) worst = d;
    if (d > 0.01) over++;
  }
  return { worstUs: worst * 1000, over10us: over };
}

/**
 * Spawn 1M agents one by one, timing each call: worst op, tail percentiles, ops over 10 µs.
 * GC pauses (observed through perf_hooks) are attributed separately: the bench itself makes
 * garbage (names), and a scavenge can land inside any timed call.
 */
async function growth(n: number): Promise<Growth> {
  gc();
  const pauses: PerformanceEntry[] = [];
  const obs = new PerformanceObserver((list) => pauses.push(...list.getEntries()));
  obs.observe({ entryTypes: ["gc"] });
  const starts = new Float64Array(n);
  const sup = new AgentSupervisor({ initialCapacity: 1024 });
  const spec: AgentSpec = { name: "", capabilities: ["FsBasic"] };
  const times = new Float64Array(n);
  const names: string[] = new Array(1024);
  for (let i = 0; i < n; i++) {
    if ((i & 1023) === 0) for (let k = 0; k < 1024; k++) names[k] = `agent-${i + k}`;
    spec.name = names[i & 1023];
    spec.agent_id = 1000 + i;
    const t0 = now();
    sup.onAgentSpawn(1_000_000 + i, spec);
    times[i] = now() - t0;
    starts[i] = t0;
  }
  await new Promise((r) => setTimeout(r, 50)); // let the observer deliver
  obs.disconnect();
  const overlapsGc = (i: number) => pauses.some((p) => p.startTime < starts[i] + times[i] && p.startTime + p.duration > starts[i]);
  let over = 0;
  let overNoGc = 0;
  let worstNoGc = 0;
  for (let i = 0; i < n; i++) {
    if (times[i] <= 0.01) continue;
    over++;
    if (overlapsGc(i)) continue;
    overNoGc++;
    if (times[i] > worstNoGc) worstNoGc = times[i];
  }
  const sorted = times.slice().sort();
  const base = noise(n);
  return {
    noiseWorstUs: base.worstUs,
    noiseOver10us: base.over10us,
    worstUs: sorted[n - 1] * 1000,
    p999Us: sorted[Math.floor(n * 0.999)] * 1000,
    p9999Us: sorted[Math.floor(n * 0.9999)] * 1000,
    over10us: over,
    worstNoGcUs: worstNoGc * 1000,
    over10usNoGc: overNoGc,
    gcPauses: pauses.length,
    gcWorstMs: pauses.reduce((m, p) => Math.max(m, p.duration), 0),
  };
}

/** Heap + array bytes per agent at `n` agents (after a full GC), minus the empty baseline. */
function bytesPerAgent(n: number): { total: number; arrays: number; heap: number } {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const sup = new AgentSupervisor({ initialCapacity: 1024 });
  const base = sup.ctx.table.byteLength() + sup.ctx.ext.byteLength() + sup.resources.byteLength();
  const spec: AgentSpec = { name: "", capabilities: ["FsBasic"] };
  fill(sup, 0, n, spec);
  gc();
  const heap = process.memoryUsage().heapUsed - heap0;
  const arrays = sup.ctx.table.byteLength() + sup.ctx.ext.byteLength() + sup.resources.byteLength() - base;
  if (!sup.hasAgent(1000)) throw new Error("bench lost its agents");
  return { total: (heap + arrays) / n, arrays: arrays / n, heap: heap / n };
}

const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
console.log(`# bench/core — node ${process.version}, ${new Date().toISOString()}`);
console.log("");
console.log("| agents | spawn-register ns | exit ns | touch ns | policy check ns | telemetry record ns | fault check ns | event push ns | status render ms |");
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const [scale, sequential] of [...SCALES.map((x) => [x, false] as const), [1_000_000, true] as const]) {
  const r = benchScale(scale, sequential);
  console.log(`| ${scale.toLocaleString("en")}${sequential ? " (sequential ids)" : ""} | ${f(r.spawn)} | ${f(r.exit)} | ${f(r.touch)} | ${f(r.policy)} | ${f(r.telemetry)} | ${f(r.fault)} | ${f(r.event)} | ${r.statusMs.toFixed(2)} |`);
}
await growth(1_000_000); // first run: cold JIT; the figures below are the second run
const g = await growth(1_000_000);
console.log("");
console.log(`Growth 0 → 1,000,000 agents, one spawn-register timed at a time (second run in the process): worst ${g.worstUs.toFixed(1)} µs, p99.9 ${g.p999Us.toFixed(2)} µs, p99.99 ${g.p9999Us.toFixed(2)} µs, ops over 10 µs: ${g.over10us}`);
console.log(`  of which overlapping none of the ${g.gcPauses} GC pauses (longest ${g.gcWorstMs.toFixed(2)} ms): ${g.over10usNoGc} ops over 10 µs, worst ${g.worstNoGcUs.toFixed(1)} µs`);
console.log(`  baseline, 1,000,000 empty timed ops in the same process: ${g.noiseOver10us} over 10 µs, worst ${g.noiseWorstUs.toFixed(1)} µs`);
const b = bytesPerAgent(1_000_000);
console.log(`Bytes per agent at 1,000,000 agents: ${b.total.toFixed(1)} (typed arrays ${b.arrays.toFixed(1)}, JS heap ${b.heap.toFixed(1)})`);
