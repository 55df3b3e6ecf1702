/**
 * bench/host — real-process figures, in one run without and with the sandbox (docs/sandbox.md):
 *  - crash → replacement running: kill -9 of the agent's own command (inside the sandbox: the
 *    process bwrap runs), until the replacement command runs, 20 times, zero backoff;
 *  - spawn → command running, one agent at a time, 100 agents (p50/p95);
 *  - time to start 100 agents (one write of 100 spawn lines);
 *  - daemon CPU (% of one core) and RSS with 100 (and, unsandboxed, 1000) idle agents at a 1 s window.
 * The daemon runs as a child process; agents are `sleep` processes it starts, each with an
 * argument of its own so that its command can be found in /proc.
 *
 * Run: `npm run bench:host`. BENCH_IDLE=0 skips the idle measures (they take 13 s each).
 */
import { closeSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { startAgentsys, stopServer } from "./_daemon.ts";

function ctl(mnt: string, text: string): void {
  const fd = openSync(`${mnt}/ctl`, "w");
  writeSync(fd, text);
  closeSync(fd);
}

/** Pids of processes whose command line is exactly `args` (space-joined). */
function findCommand(args: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (e.charCodeAt(0) > 57) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, "latin1").split("\0").slice(0, -1).join(" ") === args) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "latin1");
  const x = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return Number(x[11]) + Number(x[12]);
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

async function waitFor<T>(fn: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out");
    await sleep(0);
  }
}

const base = join(tmpdir(), `agentsys-bench-host-${process.pid}`);
const MODES = [
  { name: "no sandbox", args: ["--no-sandbox"] },
  { name: "sandbox", args: [] as string[] },
];
type Row = { measure: string; values: string[]; ratio?: string };
const rows: Row[] = [];
const row = (measure: string, values: number[], fmt: (v: number) => string) =>
  rows.push({ measure, values: values.map(fmt), ratio: values.length === 2 && values[0] > 0 ? `${(values[1] / values[0]).toFixed(2)}×` : "" });
console.log(`# bench/host — node ${process.version}, ${new Date().toISOString()}`);

{
  const p50: number[] = [];
  const p95: number[] = [];
  for (const [m, mode] of MODES.entries()) {
    const mnt = join(base, `crash${m}`);
    const d = await startAgentsys(mnt, ["--window", "1000", "--grace", "1000", ...mode.args]);
    const cmd = `sleep 100000${m}`;
    ctl(mnt, `recovery default base_ms=0\nspawn 100 victim none auto_restart=true max_restarts=65535 -- ${cmd}\n`);
    let [old] = await waitFor(() => findCommand(cmd).length === 1 && findCommand(cmd));
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      process.kill(old, "SIGKILL");
      [old] = await waitFor(() => {
        const now = findCommand(cmd);
        return now.length === 1 && now[0] !== old && now;
      });
      times.push(performance.now() - t0);
      await sleep(20);
    }
    p50.push(pct(times, 0.5));
    p95.push(pct(times, 0.95));
    await stopServer(d, mnt);
  }
  row("crash (kill -9) → replacement command running, zero backoff, 20 kills: p50", p50, (v) => `${v.toFixed(2)} ms`);
  row("… p95", p95, (v) => `${v.toFixed(2)} ms`);
}

{
  const p50: number[] = [];
  const p95: number[] = [];
  const batch: number[] = [];
  for (const [m, mode] of MODES.entries()) {
    const mnt = join(base, `spawn${m}`);
    const d = await startAgentsys(mnt, ["--window", "0", "--grace", "200", ...mode.args]);
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const cmd = `sleep 2000${m}${String(i).padStart(3, "0")}`;
      const t0 = performance.now();
      ctl(mnt, `spawn ${100 + i} one-${i} none -- ${cmd}\n`);
      await waitFor(() => findCommand(cmd).length === 1);
      times.push(performance.now() - t0);
    }
    p50.push(pct(times, 0.5));
    p95.push(pct(times, 0.95));
    const lines = Array.from({ length: 100 }, (_, i) => `spawn ${300 + i} batch-${i} none -- sleep 3000${m}${String(i).padStart(3, "0")}`).join("\n") + "\n";
    const t0 = performance.now();
    ctl(mnt, lines);
    await waitFor(() => Array.from({ length: 100 }, (_, i) => `sleep 3000${m}${String(i).padStart(3, "0")}`).every((c) => findCommand(c).length === 1), 60_000);
    batch.push(performance.now() - t0);
    await stopServer(d, mnt);
  }
  row("spawn → command running, one at a time, 100 agents: p50", p50, (v) => `${v.toFixed(2)} ms`);
  row("… p95", p95, (v) => `${v.toFixed(2)} ms`);
  row("100 agents from one write of 100 spawn lines, all commands running", batch, (v) => `${v.toFixed(0)} ms`);
}

if (process.env.BENCH_IDLE !== "0") {
  for (const n of [100, 1000]) {
    const cpu: number[] = [];
    const rss: number[] = [];
    for (const [m, mode] of MODES.entries()) {
      if (n === 1000 && m === 1) continue; // 1000 sandboxes: 3000 processes more than the machine's budget for a bench
      const mnt = join(base, `idle${n}-${m}`);
      const d = await startAgentsys(mnt, ["--window", "1000", "--grace", "1000", ...mode.args]);
      ctl(mnt, Array.from({ length: n }, (_, i) => `spawn ${100 + i} idle-${i} none -- sleep 100000`).join("\n") + "\n");
      await sleep(3000);
      const c0 = cpuTicks(d.pid!);
      const w0 = performance.now();
      await sleep(10_000);
      cpu.push(((cpuTicks(d.pid!) - c0) * 10) / (performance.now() - w0)); // ticks are 10 ms
      rss.push(rssMiB(d.pid!));
      await stopServer(d, mnt);
    }
    row(`daemon with ${n} idle agents, 1 s window: CPU`, cpu, (v) => `${(v * 100).toFixed(1)} % of a core`);
    row(`… RSS`, rss, (v) => `${v.toFixed(0)} MiB`);
  }
}

console.log("");
console.log(`| measure | ${MODES.map((m) => m.name).join(" | ")} | sandbox / no sandbox |`);
console.log(`|---|${MODES.map(() => "---:").join("|")}|---:|`);
for (const r of rows) console.log(`| ${r.measure} | ${r.values.join(" | ")}${r.values.length < MODES.length ? " | –" : ""} | ${r.ratio || "–"} |`);
rmSync(base, { recursive: true, force: true });
