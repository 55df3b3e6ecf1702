/**
 * bench/durability — what the journal costs and buys, in one run:
 *  1. acknowledged control writes per second from one client (each `limits` line its own
 *     write(2), acknowledged only once journaled), journal on vs `--ephemeral`, with 100 agents;
 *  2. daemon restart after kill -9 until all 100 agents are re-adopted (same pids), median
 *     of rounds; and the same for a clean restart (agents started again).
 * `npm run bench:durability`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgentsys, stopServer } from "./_daemon.ts";

const AGENTS = Number(process.env.AGENTS ?? 100);
const SECONDS = Number(process.env.SECONDS ?? 3);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function spawnFleet(mnt: string): void {
  const lines = Array.from({ length: AGENTS }, (_, i) => `spawn ${100 + i} a${i} FsBasic -- sleep 600`).join("\n") + "\n";
  const w = spawnSync("sh", ["-c", `cat > ${mnt}/ctl`], { input: lines });
  if (w.status !== 0) throw new Error(`spawn failed: ${w.stderr}`);
}

/** One client, sequential acknowledged writes for SECONDS: writes/s. */
function writesPerSecond(mnt: string): number {
  const py = `
import os, time
fd = os.open("${mnt}/ctl", os.O_WRONLY)
n = 0; end = time.time() + ${SECONDS}
while time.time() < end:
    os.write(fd, ("limits 150 cpu_quota_us=%d\\n" % (100000 + n % 1000)).encode()); n += 1
print(n / ${SECONDS})
`;
  return Number(execFileSync("python3", ["-c", py], { encoding: "utf8" }).trim());
}

function agentsJson(mnt: string): { agents: { pid: number; state: string }[] } | null {
  try {
    return JSON.parse(readFileSync(`${mnt}/agents.json`, "utf8"));
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const base = join(tmpdir(), `agentsys-bench-dur-${process.pid}`);
  const rate: Record<string, number[]> = { journal: [], ephemeral: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of ["journal", "ephemeral"] as const) {
      const mnt = `${base}-${mode}-${r}`;
      const d = await startAgentsys(mnt, ["--window", "1000", ...(mode === "ephemeral" ? ["--ephemeral"] : [])]);
      try {
        spawnFleet(mnt);
        rate[mode].push(writesPerSecond(mnt));
      } finally {
        await stopServer(d, mnt);
        spawnSync("rm", ["-rf", `${mnt}-state`]);
      }
    }
  }
  console.log(`${AGENTS} agents; one client, sequential acknowledged writes for ${SECONDS} s; ${ROUNDS} rounds interleaved\n`);
  console.log(`| daemon | writes/s (median) | range |\n|---|---:|---:|`);
  for (const [k, xs] of Object.entries(rate)) console.log(`| ${k === "journal" ? "journal (SQLite WAL, fsync per write)" : "--ephemeral (no journal)"} | ${Math.round(med(xs)).toLocaleString("en")} | ${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))} |`);
  console.log(`\njournal / ephemeral: ${(med(rate.journal) / med(rate.ephemeral)).toFixed(2)}`);

  // Restart to fully re-adopted (kill -9), and clean restart to all running again.
  const mnt = `${base}-restart`;
  let d = await startAgentsys(mnt, ["--window", "1000"]);
  spawnFleet(mnt);
  const pids = agentsJson(mnt)!.agents.map((a) => a.pid).sort();
  const adopt: number[] = [];
  const boot: number[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      d.kill("SIGKILL");
      await new Promise((res) => d.once("exit", res));
      spawnSync("fusermount", ["-uz", mnt]);
      const t0 = process.hrtime.bigint();
      d = await startAgentsys(mnt, ["--window", "1000"]);
      for (;;) {
        const j = agentsJson(mnt);
        if (j && j.agents.length === AGENTS && j.agents.every((a) => a.state === "running") && j.agents.map((a) => a.pid).sort().join() === pids.join()) break;
      }
      adopt.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    for (let r = 0; r < ROUNDS; r++) {
      await stopServer(d, mnt);
      const t0 = process.hrtime.bigint();
      d = await startAgentsys(mnt, ["--window", "1000"]);
      for (;;) {
        const j = agentsJson(mnt);
        if (j && j.agents.length === AGENTS && j.agents.every((a) => a.state === "running" && a.pid > 0)) break;
        await new Promise((res) => setTimeout(res, 5));
      }
      boot.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    await stopServer(d, mnt);
    spawnSync("rm", ["-rf", `${mnt}-state`]);
  }
  console.log(`\n| restart (${AGENTS} agents) | ms, median of ${ROUNDS} | range |\n|---|---:|---:|`);
  console.log(`| kill -9, start → all re-adopted (same pids) | ${med(adopt).toFixed(0)} | ${Math.min(...adopt).toFixed(0)}–${Math.max(...adopt).toFixed(0)} |`);
  console.log(`| clean stop, start → all running again | ${med(boot).toFixed(0)} | ${Math.min(...boot).toFixed(0)}–${Math.max(...boot).toFixed(0)} |`);
}

await main();
