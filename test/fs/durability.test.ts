import { execFileSync } from "node:child_process";
import { mkdirSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import t from "tap";
import { alive, sh, startDaemon, until, type Daemon } from "./daemon.ts";
import { agentsys, cliFor } from "../cli/cli.ts";

/**
 * Durability through the interface users use: acknowledged writes survive kill -9 of the daemon
 * (looped), agents are re-adopted with their pids and counters, a tampered journal is caught,
 * a full state directory refuses writes without half-applying them.
 */

const info = async (cli: ReturnType<typeof cliFor>, id: number) => JSON.parse((await cli("info", String(id), "--json")).stdout);

t.test("kill -9 right after acknowledged writes, five times: nothing acknowledged is lost", async (t) => {
  let d: Daemon = await startDaemon(t, ["--window", "200"]);
  const mount = d.mount;
  const state = `${mount}-state`;
  const cli = cliFor(mount);
  t.equal((await cli("spawn", "100", "keeper", "FsBasic", "auto_restart=true", "--", "sleep", "600")).code, 0);
  t.equal((await cli("spawn", "101", "flaky", "none", "auto_restart=true", "max_restarts=1000", "--", "sh", "-c", "sleep 0.3; exit 3")).code, 0);
  const keeper = (await info(cli, 100)).pid;
  let restarts = 0;
  for (let round = 1; round <= 5; round++) {
    const cap = round % 2 ? "+DocBasic" : "-DocBasic";
    t.equal((await cli("policy-update", "100", cap)).code, 0, `round ${round}: policy acknowledged`);
    t.equal((await d.sh(`echo "limits 100 cpu_quota_us=${round * 100000}" > $M/ctl`)).code, 0);
    t.equal((await d.sh(`echo "compliance 100 HumanOversight reviewer_id=r${round} action=approved" > $M/ctl`)).code, 0);
    restarts = (await info(cli, 101)).restart_count;
    await d.stop("SIGKILL");
    d = await startDaemon(t, ["--window", "200"], mount);
    const a = await info(cli, 100);
    t.equal(a.pid, keeper, `round ${round}: agent 100 re-adopted with its pid`);
    t.equal(a.state, "running");
    t.same(a.capabilities, round % 2 ? ["FsBasic", "DocBasic"] : ["FsBasic"], `round ${round}: the policy patch is there`);
    t.equal(a.limits.cpu_quota_us, round * 100000, `round ${round}: the limit is there`);
    t.equal(a.risk.human_reviews, round, `round ${round}: every compliance event is there`);
    t.ok((await info(cli, 101)).restart_count >= restarts, `round ${round}: the restart counter continues (${restarts} →)`);
    const audit = (await cli("audit", "--agent", "100", "--state", state)).stdout;
    t.match(audit, new RegExp(`limits 100 cpu_quota_us=${round * 100000}`), `round ${round}: the write is in the audit trail`);
    const verify = await agentsys(["audit", "verify", "--state", state]);
    t.equal(verify.code, 0, `round ${round}: ${verify.stdout}${verify.stderr}`);
  }
  t.ok(alive(keeper));
  await d.stop("SIGTERM");
  t.ok(await until(() => !alive(keeper)), "a clean stop stops the re-adopted agent");
});

t.test("a clean stop and start brings the agents back, like services at boot", async (t) => {
  let d = await startDaemon(t);
  const cli = cliFor(d.mount);
  t.equal((await cli("spawn", "100", "a", "FsBasic", "--", "sleep", "600")).code, 0);
  t.equal((await cli("spawn", "101", "b", "none", "--", "sleep", "600")).code, 0);
  t.equal((await cli("stop", "101")).code, 0);
  t.ok(await until(async () => (await info(cli, 101)).state === "exited"));
  const before = (await info(cli, 100)).pid;
  await d.stop("SIGTERM");
  t.notOk(alive(before));
  d = await startDaemon(t, [], d.mount);
  t.ok(await until(async () => (await info(cli, 100)).state === "running"), "running agents start again");
  t.not((await info(cli, 100)).pid, before);
  t.equal((await info(cli, 101)).state, "exited", "an agent stopped by its operator stays stopped");
});

t.test("a tampered journal is detected, never silently accepted", async (t) => {
  let d = await startDaemon(t);
  const state = `${d.mount}-state`;
  const cli = cliFor(d.mount);
  t.equal((await cli("spawn", "100", "a", "none", "--", "sleep", "600")).code, 0);
  for (const cap of ["+FsBasic", "+DocBasic", "-FsBasic"]) t.equal((await cli("policy-update", "100", cap)).code, 0);
  await d.stop("SIGTERM");
  const db = new Database(join(state, "agentsys.db"));
  const victim = (db.prepare("SELECT seq FROM audit WHERE detail LIKE '%+DocBasic%'").get() as { seq: number }).seq;
  db.prepare("UPDATE audit SET detail = 'nothing to see' WHERE seq = ?").run(victim);
  db.close();
  const v = await agentsys(["audit", "verify", "--state", state]);
  t.equal(v.code, 1);
  t.match(v.stderr, new RegExp(`EBADMSG: .*entry ${victim} was edited`));
  d = await startDaemon(t, [], d.mount);
  t.match(d.log(), new RegExp(`AUDIT CHAIN BROKEN: entry ${victim} was edited`), "the daemon says so at start");
  t.match((await cli("audit")).stdout, /ChainBroken EBADMSG/, "and records it in the trail");
  await d.stop("SIGTERM");
  const db2 = new Database(join(state, "agentsys.db"));
  db2.prepare("UPDATE agents SET record = '{\"v\":1,' WHERE id = 100").run();
  db2.close();
  const up = await sh(`node dist/bin/agentsys.js up --mount '${d.mount}' --state '${state}'`, {}, undefined, 8000);
  t.equal(up.code, 1, "a corrupt agent record: the daemon refuses to start");
  t.match(up.stderr, /record of agent 100 is corrupt/);
});

t.test("a full state directory: ENOSPC to the writer, nothing half-applied", { skip: process.getuid?.() !== 0 ? "needs root to mount a tmpfs" : false }, async (t) => {
  const mount = join(tmpdir(), `agentsys-test-enospc-${process.pid}`);
  const state = `${mount}-state`;
  mkdirSync(state, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", state]);
  const unmountState = () => {
    execFileSync("umount", ["-l", state]);
    rmdirSync(state);
  };
  let d: Daemon;
  try {
    d = await startDaemon(t, [], mount);
  } catch (e) {
    unmountState();
    throw e;
  }
  t.teardown(unmountState); // after the daemon's own teardown (registered first) has stopped it
  const cli = cliFor(d.mount);
  t.equal((await cli("spawn", "100", "a", "FsBasic", "--", "sleep", "600")).code, 0);
  const fill = await d.sh(`dd if=/dev/zero of='${state}/fill' bs=64k 2>&1; sync`);
  t.match(fill.stdout, /No space left on device/, "the state directory is full");
  const big = "x".repeat(60_000);
  const spawn = JSON.stringify({ agent_id: 200, name: "big", command: "sleep", args: ["600"], env: { BIG: big } });
  const w = await d.sh(`python3 -c 'import os,sys; fd=os.open(os.environ["M"]+"/ctl", os.O_WRONLY); os.write(fd, sys.stdin.buffer.read())'`, `spawn ${spawn}\n`);
  t.not(w.code, 0, "the spawn is refused");
  t.match(w.stderr, /No space left on device/, "with ENOSPC");
  t.ok(await until(async () => (await cli("info", "200")).code === 1), "the agent that could not be journaled is gone");
  t.match((await d.sh("tail -n 1 $M/last_error")).stdout, /ENOSPC: the write could not be made durable/);
  const update = JSON.stringify({ name: "a", capabilities: ["FsBasic", "Capture"], command: "sleep", args: ["600"], env: { BIG: big } });
  const u = await d.sh(`python3 -c 'import os,sys; fd=os.open(os.environ["M"]+"/ctl", os.O_WRONLY); os.write(fd, sys.stdin.buffer.read())'`, `update 100 ${update}\n`);
  t.match(u.stderr, /No space left on device/, "an update that grows the record is refused too");
  const a = await info(cli, 100);
  t.same(a.capabilities, ["FsBasic"], "and undone: the policy is as before");
  t.equal(a.spec.env, undefined, "the spec too");
  await d.sh(`rm -f '${state}/fill'`);
  const again = await d.sh(`python3 -c 'import os,sys; fd=os.open(os.environ["M"]+"/ctl", os.O_WRONLY); os.write(fd, sys.stdin.buffer.read())'`, `spawn ${spawn}\n`);
  t.equal(again.code, 0, `with room again the same write succeeds ${again.stderr}`);
  t.equal((await info(cli, 200)).state, "running");
});
