/**
 * bench/host — real-process figures:
 *  - crash → replacement process running, kill -9 of the agent, 20 times, zero backoff;
 *  - time to start 100 agents (one write of 100 spawn lines);
 *  - daemon CPU (% of one core) and RSS with 100 and 1000 idle agents at a 1 s window.
 * The daemon runs as a child process; agents are `sleep` processes it starts.
 *
 * Run: `npm run bench:host`.
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

function pids(mnt: string): number[] {
  return readdirSync(`${mnt}/by-pid`).map(Number);
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

const base = join(tmpdir(), `agentsys-bench-host-${process.pid}`);
const rows: string[] = [];
console.log(`# bench/host — node ${process.version}, ${new Date().toISOString()}`);

{
  // crash → replacement running
  const mnt = join(base, "crash");
  const d = await startAgentsys(mnt, ["--window", "1000", "--grace", "1000"]);
  ctl(mnt, "recovery default base_ms=0\nspawn 100 victim none auto_restart=true max_restarts=65535 -- sleep 100000\n");
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const [old] = pids(mnt);
    const t0 = performance.now();
    process.kill(old, "SIGKILL");
    for (;;) {
      const now = pids(mnt);
      if (now.length === 1 && now[0] !== old) break;
    }
    times.push(performance.now() - t0);
    await sleep(20);
  }
  rows.push(`| crash (kill -9) → replacement running, zero backoff, 20 kills | p50 ${pct(times, 0.5).toFixed(2)} ms, p95 ${pct(times, 0.95).toFixed(2)} ms |`);
  await stopServer(d, mnt);
}

for (const n of [100, 1000]) {
  const mnt = join(base, `idle${n}`);
  const d = await startAgentsys(mnt, ["--window", "1000", "--grace", "1000"]);
  const lines = Array.from({ length: n }, (_, i) => `spawn ${100 + i} idle-${i} none -- sleep 100000`).join("\n") + "\n";
  const t0 = performance.now();
  ctl(mnt, lines);
  const startMs = performance.now() - t0;
  if (pids(mnt).length !== n) throw new Error(`expected ${n} agents`);
  if (n === 100) rows.push(`| time to start 100 agents (one write of 100 spawn lines) | ${startMs.toFixed(0)} ms (${(startMs / n).toFixed(2)} ms/agent) |`);
  await sleep(3000);
  const c0 = cpuTicks(d.pid!);
  const w0 = performance.now();
  await sleep(10_000);
  const cpu = ((cpuTicks(d.pid!) - c0) * 10) / (performance.now() - w0); // ticks are 10 ms
  rows.push(`| daemon with ${n} idle agents, 1 s window: CPU, RSS | ${(cpu * 100).toFixed(1)} % of a core, ${rssMiB(d.pid!).toFixed(0)} MiB |`);
  await stopServer(d, mnt);
}

console.log("");
console.log("| measure | agentsys |");
console.log("|---|---:|");
for (const r of rows) console.log(r);
rmSync(base, { recursive: true, force: true });
