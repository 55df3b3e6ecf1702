import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmdirSync } from "node:fs";
import { readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { agentsys } from "../cli/cli.ts";
import { alive, clean, childEnv, startDaemon, until, type Daemon } from "../fs/daemon.ts";
import { crashLoopFleet, FIRST, sleeperFleet } from "./fleet.ts";
import { runLoad, scaled } from "./load.ts";

/**
 * Chaos: kill -9 of the daemon under load, then a restart (clean mount, agents
 * re-adopted, nothing acknowledged lost); 50 agents killed at once; a fork bomb; a reader
 * holding a descriptor across a daemon restart; the state directory filling up while agents
 * crash-loop. Short in CI, longer under STRESS=1.
 */
const FIXTURES = new URL("../../fixtures/agents/", import.meta.url).pathname;

interface AgentsJson {
  system: { total_spawns: number; total_exits: number; active_agents: number; total_restarts: number };
  agents: { agent_id: number; pid: number; state: string; active: boolean; spawn_count: number; exit_count: number; risk: { decisions: number } }[];
}
const agentsJson = async (mount: string) => JSON.parse(await readFile(`${mount}/agents.json`, "utf8")) as AgentsJson;

t.test("kill -9 under load, restart: clean mount, agents re-adopted, nothing acknowledged lost; then 50 agents killed at once", async (t) => {
  const N = 50;
  const fleet = `/tmp/agentsys-chaos-fleet-${process.pid}.yaml`;
  await sleeperFleet(fleet, N);
  t.teardown(() => rm(fleet, { force: true }));
  let d: Daemon = await startDaemon(t, ["--fleet", fleet, "--window", "500"]);
  const mount = d.mount;
  t.ok(await until(async () => (await agentsJson(mount)).agents.filter((a) => a.state === "running").length === N, 20_000), "the fleet runs");
  const pids = new Map((await agentsJson(mount)).agents.map((a) => [a.agent_id, a.pid]));

  // Every write a client saw succeed is counted; a compliance decision is a counter, so
  // "nothing acknowledged lost" is: journaled decisions ≥ acknowledged ones, per agent.
  const ids = [...pids.keys()];
  const writes = ids.map((id) => ({ path: "ctl", data: `compliance ${id} DecisionMade decision_type=chaos confidence=0.5 human_reviewed=false\n` }));
  const reads = ["status", "agents.json", "events", ...ids.slice(0, 5).map((id) => `agents/${id}/status`)];
  const clients = 16;
  const load = runLoad(clients, { mount, durationMs: scaled(30_000, 120_000), reads, writes, writeShare: 0.5, stopOnDisconnect: true });
  await new Promise((r) => setTimeout(r, scaled(3000, 60_000)));
  await d.stop("SIGKILL");
  const res = await load;
  t.equal(res.stuck, 0, "no client hung when the daemon died under it");
  const acked = res.acks.reduce((a, b) => a + b, 0);
  t.ok(acked > 50, `${acked} writes acknowledged before the kill`);

  d = await startDaemon(t, ["--window", "500"], mount);
  const after = await agentsJson(mount);
  t.equal(after.agents.length, N, "every agent is back");
  t.equal(after.agents.filter((a) => a.pid === pids.get(a.agent_id) && a.state === "running").length, N, "re-adopted with the same pids");
  const lost = after.agents.filter((a) => a.risk.decisions < res.acks[ids.indexOf(a.agent_id)]);
  t.same(lost.map((a) => a.agent_id), [], "no acknowledged write lost");
  const extra = after.agents.reduce((n, a) => n + a.risk.decisions, 0) - acked;
  t.ok(extra >= 0 && extra <= clients, `at most one unacknowledged write per client was journaled (${extra})`);
  const verify = await agentsys(["audit", "verify", "--state", `${mount}-state`]);
  t.equal(verify.code, 0, `audit chain verifies: ${verify.stdout}${verify.stderr}`);
  t.comment(`chaos kill -9: ${acked} acknowledged writes from ${clients} clients, ${extra} in flight journaled, ${N} agents re-adopted`);

  // Burst: every agent killed by signal at the same moment.
  const before = await agentsJson(mount);
  const t0 = Date.now();
  for (const a of before.agents) process.kill(a.pid, "SIGKILL");
  t.ok(
    await until(async () => {
      const j = await agentsJson(mount);
      return j.agents.filter((a) => a.state === "running" && a.pid !== pids.get(a.agent_id) && alive(a.pid)).length === N;
    }, 30_000, 50),
    `all ${N} killed agents running again`,
  );
  t.comment(`chaos burst: ${N} agents killed at once, all running again after ${Date.now() - t0} ms`);
  const j = await agentsJson(mount);
  t.equal(j.system.total_spawns, j.system.total_exits + j.system.active_agents, "spawns = exits + active");
  t.ok(j.system.total_restarts - before.system.total_restarts >= N, "one restart each");
  t.equal((await d.sh("cat $M/status")).code, 0, "the daemon answers");

  // The restarts went through the daemon's spawner process; when the daemon dies, it goes too.
  const spawners = await childrenOf(d.child.pid!, "spawner_main");
  t.equal(spawners.length, 1, "one spawner process");
  // Agents outlive a killed daemon (for re-adoption): these are ours to end.
  t.teardown(() => {
    for (const a of j.agents) if (alive(a.pid)) process.kill(a.pid, "SIGKILL");
  });
  await d.stop("SIGKILL");
  t.ok(await until(() => spawners.every((p) => !alive(p)), 5000), "the spawner exits with its daemon");
});

/** Pids of `parent`'s children whose command line contains `name`. */
async function childrenOf(parent: number, name: string): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(`/proc/${e}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid !== parent) continue;
    if ((await readFile(`/proc/${e}/cmdline`, "utf8").catch(() => "")).includes(name)) out.push(Number(e));
  }
  return out;
}

t.test("a fork bomb is contained by the agent's pids limit and killed whole", async (t) => {
  const d = await startDaemon(t, ["--pids-max", "64", "--window", "500"]);
  const root = /processes by cgroup v1 pids\.max=64 \(([^)]+)\)/.exec(d.log())?.[1];
  if (!root) {
    t.comment("skipped: no writable cgroup v1 pids hierarchy here (only the process group kill applies)");
    return;
  }
  // No CPU, memory or syscall limit: the pids limit alone must hold it (with the defaults, the
  // sampler kills it within a window for its summed memory or syscall rate).
  const spec = { agent_id: 300, name: "bomb", command: "python3", args: [`${FIXTURES}forkbomb.py`], limits: { cpu_quota_us: 0, memory_limit_bytes: 0, syscall_rate_limit: 0, watchdog_timeout_us: 0 } };
  t.equal((await d.sh(`echo 'spawn ${JSON.stringify(spec)}' > $M/ctl`)).code, 0);
  const current = async () => Number((await readFile(`${root}/300/pids.current`, "utf8").catch(() => "0")).trim());
  t.ok(await until(async () => (await current()) >= 60, 10_000), "the bomb reaches the limit");
  let slowest = 0;
  let failed = 0;
  const end = Date.now() + scaled(3000, 30_000);
  while (Date.now() < end) {
    const t0 = Date.now();
    if ((await d.sh("cat $M/status >/dev/null")).code !== 0) failed++;
    slowest = Math.max(slowest, Date.now() - t0);
  }
  t.equal(failed, 0, "every status read during the bomb succeeded");
  // The kernel's own high-water mark of the group (pids.peak, Linux ≥ 6.1), else sampled.
  const peak = Number((await readFile(`${root}/300/pids.peak`, "utf8").catch(async () => String(await current()))).trim());
  t.ok(peak <= 64, `never more than 64 processes (peak ${peak})`);
  t.ok(slowest < 5000, `the daemon kept answering (slowest status ${slowest} ms)`);
  const events = Number(/^max (\d+)/m.exec(await readFile(`${root}/300/pids.events`, "utf8"))?.[1] ?? 0);
  t.ok(events > 0, `forks were refused at the limit (${events})`);
  const members = (await readFile(`${root}/300/cgroup.procs`, "utf8")).split("\n").filter(Boolean).map(Number);
  t.equal((await d.sh(`echo "kill 300" > $M/ctl`)).code, 0);
  t.ok(await until(async () => members.every((p) => !alive(p)) && (await current()) === 0, 10_000), "kill ends every process of the bomb");
  t.comment(`chaos fork bomb: pids.max 64, peak ${peak}, ${events} forks refused, slowest status ${slowest} ms, ${members.length} processes killed`);
});

t.test("a reader holding a descriptor across a daemon restart gets an error, not a hang", async (t) => {
  for (const how of ["SIGKILL", "SIGTERM"] as const) {
    let d = await startDaemon(t);
    const mount = d.mount;
    const py = `
import os, sys
fd = os.open(sys.argv[1] + "/status", os.O_RDONLY)
os.read(fd, 100)
print("ready", flush=True)
sys.stdin.readline()
try:
    os.lseek(fd, 0, 0)
    os.read(fd, 100)
    print("read ok", flush=True)
except OSError as e:
    print("error", e.errno, flush=True)
`;
    const reader = spawn(...clean("python3", ["-c", py, mount]), { env: childEnv(), stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    reader.stdout.on("data", (b) => (out += b));
    t.ok(await until(() => out.includes("ready"), 5000), `${how}: the reader holds status open`);
    await d.stop(how, true);
    d = await startDaemon(t, [], mount);
    const t0 = Date.now();
    reader.stdin.end("\n");
    t.ok(await until(() => /error|read ok/.test(out), 10_000), `${how}: the held descriptor answers`);
    t.match(out, /error (107|103|5|19)\b/, `${how}: with an error (${out.trim().split("\n").pop()}) after ${Date.now() - t0} ms`);
    t.equal((await d.sh("cat $M/status")).code, 0, `${how}: the new daemon serves the mount`);
    await d.stop();
  }
});

t.test("the state directory filling up while agents crash-loop", { skip: process.getuid?.() !== 0 ? "needs root to mount a tmpfs" : false }, async (t) => {
  const mount = join(tmpdir(), `agentsys-test-chaos-full-${process.pid}`);
  const state = `${mount}-state`;
  mkdirSync(state, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", state]);
  const fleet = `/tmp/agentsys-chaos-full-${process.pid}.yaml`;
  await crashLoopFleet(fleet, 10, 0.3);
  let d: Daemon;
  try {
    d = await startDaemon(t, ["--fleet", fleet, "--window", "500"], mount);
  } catch (e) {
    execFileSync("umount", ["-l", state]);
    throw e;
  }
  t.teardown(async () => {
    execFileSync("umount", ["-l", state]);
    rmdirSync(state);
    await rm(fleet, { force: true });
  });
  t.ok(await until(async () => (await agentsJson(mount)).system.total_restarts > 10, 15_000), "agents crash-loop");
  const fill = await d.sh(`dd if=/dev/zero of='${state}/fill' bs=64k 2>&1; sync`);
  t.match(fill.stdout, /No space left on device/, "the state directory is full");
  const restartsFull = (await agentsJson(mount)).system.total_restarts;
  await new Promise((r) => setTimeout(r, scaled(3000, 30_000)));
  const j = await agentsJson(mount);
  t.ok(j.system.total_restarts > restartsFull + 10, "supervision goes on while nothing can be journaled");
  const w = await d.sh(`echo "policy-update ${FIRST} +DocBasic" > $M/ctl`);
  t.not(w.code, 0, "a control write is refused");
  t.match(w.stderr, /No space left on device/, "with ENOSPC");
  await d.sh(`rm -f '${state}/fill'`);
  t.ok(await until(async () => (await d.sh(`echo "policy-update ${FIRST} +DocBasic" > $M/ctl`)).code === 0, 10_000), "with room again, writes succeed");
  await d.stop("SIGTERM");
  const verify = await agentsys(["audit", "verify", "--state", state]);
  t.equal(verify.code, 0, `the audit chain verifies: ${verify.stdout}${verify.stderr}`);
  const lost = await agentsys(["audit", "--state", state, "--json"]);
  const gaps = lost.stdout.split("\n").filter((l) => l.includes('"EventsLost"')).length;
  t.comment(`chaos state dir full: ${j.system.total_restarts - restartsFull} restarts while full; EventsLost entries ${gaps}`);
  t.equal(d.child.exitCode, 0, "the daemon stopped cleanly");
  t.same(await readdir(state).then((f) => f.filter((n) => n === "fill")), [], "cleaned up");
});
