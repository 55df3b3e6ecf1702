/**
 * bench/cli — what a CLI call costs a user: wall time of `agentsys list`, `list --json`,
 * `info`, `top --once` and a control command, against `cat status` (the floor: one process
 * start and one read of the tree) and `node -e 0` (the floor for any Node CLI), interleaved
 * round-robin and repeated, on a daemon with 100 idle agents. `npm run bench:cli`.
 */
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgentsys, stopServer } from "./_daemon.ts";

const BIN = join(new URL("../../", import.meta.url).pathname, "dist/bin/agentsys.js");
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const AGENTS = Number(process.env.AGENTS ?? 100);

function timeRun(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const mnt = join(tmpdir(), `agentsys-bench-cli-${process.pid}`);
  const daemon = await startAgentsys(mnt, ["--window", "1000"]);
  try {
    const env = { ...process.env, AGENTSYS_ROOT: mnt };
    const lines = Array.from({ length: AGENTS }, (_, i) => `spawn ${100 + i} a${i} FsBasic -- sleep 600`).join("\n") + "\n";
    const w = spawnSync("sh", ["-c", `cat > ${mnt}/ctl`], { input: lines });
    if (w.status !== 0) throw new Error(`spawn failed: ${w.stderr}`);
    const cases: [string, string, string[]][] = [
      ["node -e 0", process.execPath, ["-e", "0"]],
      ["cat status", "cat", [`${mnt}/status`]],
      ["agentsys list", process.execPath, [BIN, "list"]],
      ["agentsys list --json", process.execPath, [BIN, "list", "--json"]],
      ["agentsys info 150", process.execPath, [BIN, "info", "150"]],
      ["agentsys top --once", process.execPath, [BIN, "top", "--once"]],
      ["agentsys policy-update", process.execPath, [BIN, "policy-update", "150", "+DocBasic"]],
    ];
    const times = new Map(cases.map(([n]) => [n, [] as number[]]));
    for (let r = 0; r < ROUNDS; r++) for (const [n, cmd, args] of cases) times.get(n)!.push(timeRun(cmd, args, env));
    const base = pct(times.get("cat status")!, 50);
    console.log(`${AGENTS} agents, ${ROUNDS} rounds interleaved; wall ms per call (process start included)\n`);
    console.log("| command | p50 ms | p95 ms | × cat status |\n|---|---:|---:|---:|");
    for (const [n] of cases) {
      const xs = times.get(n)!;
      console.log(`| \`${n}\` | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 95).toFixed(1)} | ${(pct(xs, 50) / base).toFixed(1)} |`);
    }
  } finally {
    await stopServer(daemon, mnt);
  }
}

await main();
