import t from "tap";
import { readFile } from "node:fs/promises";
import { alive, sh, startDaemon, until } from "./daemon.ts";

async function mounted(path: string): Promise<boolean> {
  return (await readFile("/proc/self/mounts", "utf8")).split("\n").some((l) => l.split(" ")[1] === path);
}

t.test("SIGTERM stops the agents, unmounts and exits 0", async (t) => {
  const d = await startDaemon(t);
  await d.sh('echo "spawn 7 a none -- sleep 1000" > "$M/ctl"');
  const pid = Number((await d.sh('ls "$M/by-pid"')).stdout.trim());
  t.ok(alive(pid), `agent ${pid} runs`);
  t.equal(await d.stop("SIGTERM"), 0);
  t.equal(await mounted(d.mount), false, "no mount left");
  t.ok(await until(() => !alive(pid)), "the agent was stopped");
});

t.test("SIGTERM while a client holds a file of the tree open: the daemon still exits at once", async (t) => {
  const d = await startDaemon(t);
  const flag = `${d.mount}-held`;
  t.teardown(() => sh(`rm -f '${flag}' '${flag}.go'`));
  // An idle holder: an open descriptor keeps the mount busy, nothing is in flight.
  const holder = d.sh(`exec 3< "$M/status"; touch '${flag}'; while [ ! -e '${flag}.go' ]; do sleep 0.05; done; cat <&3 >/dev/null 2>&1 && echo read-ok || echo read-failed`);
  t.ok(await until(async () => (await sh(`test -e '${flag}'`)).code === 0), "the holder has the file open");
  const t0 = performance.now();
  t.equal(await d.stop("SIGTERM"), 0, "exit 0");
  const ms = Math.round(performance.now() - t0);
  t.ok(ms < 3000, `exited in ${ms} ms, not when the holder lets go`);
  t.equal(await mounted(d.mount), false, "no mount left");
  await sh(`touch '${flag}.go'`);
  t.equal((await holder).stdout.trim(), "read-failed", "the holder's descriptor is dead (ENOTCONN), not served by nobody");
});

t.test("kill -9 of the daemon, then up again on the same mountpoint mounts cleanly", async (t) => {
  const d1 = await startDaemon(t);
  await d1.sh('echo "spawn 7 a none -- sleep 1000" > "$M/ctl"');
  const orphan = Number((await d1.sh('ls "$M/by-pid"')).stdout.trim());
  t.teardown(() => {
    if (alive(orphan)) process.kill(-orphan, "SIGKILL"); // a pid we started, left by the kill -9
  });
  t.not(await d1.stop("SIGKILL"), 0);
  // auto_unmount's watchdog removes the mount; a stale one would be cleared by the next start
  const d2 = await startDaemon(t, [], d1.mount);
  const r = await d2.sh('cat "$M/status"');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Active Agents: {3}1/, "the agent that survived the daemon is re-adopted (journal)");
  t.equal(Number((await d2.sh('ls "$M/by-pid"')).stdout.trim()), orphan, "with the same pid");
  t.equal((await d2.sh('echo "spawn 8 b none -- sleep 1000" > "$M/ctl"')).code, 0);
  t.equal(await d2.stop("SIGTERM"), 0);
  t.equal(await mounted(d1.mount), false);
  t.notOk(alive(orphan), "a clean stop stops re-adopted agents too");
});

t.test("a dead mount (daemon and its auto_unmount watchdog both killed) is cleared at start", async (t) => {
  const d1 = await startDaemon(t);
  // fuse-native's is fusermount (auto_unmount); the devfuse backend's is its own sh.
  const watchdog = Number((await sh(`pgrep -P ${d1.child.pid} -f 'fusermount|agentsys-watchdog'`)).stdout.trim().split("\n")[0]);
  if (!(watchdog > 0)) return void t.fail("the unmount watchdog not found"); // never kill(0): our own group
  process.kill(watchdog, "SIGKILL");
  await d1.stop("SIGKILL", false); // no watchdog left to unmount: the mount stays dead
  const dead = await sh(`stat '${d1.mount}' 2>&1`);
  t.match(dead.stdout, /Transport endpoint is not connected/, "the mount is dead (ENOTCONN)");
  const d2 = await startDaemon(t, [], d1.mount);
  t.equal((await d2.sh('cat "$M/status" > /dev/null')).code, 0, "a new daemon mounts over it and serves");
});

t.test("a live mountpoint is refused, not stacked", async (t) => {
  const d1 = await startDaemon(t);
  const backend = process.env.AGENTSYS_BACKEND ? `--backend ${process.env.AGENTSYS_BACKEND}` : "";
  const r = await sh(`node dist/bin/agentsys.js up --mount '${d1.mount}' --state '${d1.mount}-other-state' ${backend}`, {}, undefined, 8000);
  await sh(`rm -rf '${d1.mount}-other-state'`);
  t.equal(r.code, 1, "second daemon exits 1");
  t.match(r.stderr, /Mountpoint in use/);
  const same = await sh(`node dist/bin/agentsys.js up --mount '${d1.mount}-elsewhere' --state '${d1.mount}-state'`, {}, undefined, 8000);
  await sh(`rmdir '${d1.mount}-elsewhere' 2>/dev/null; true`);
  t.equal(same.code, 1, "a second daemon on the same state directory exits 1");
  t.match(same.stderr, new RegExp(`state directory .* is in use by agentsys daemon ${d1.child.pid}`));
  t.equal((await d1.sh('cat "$M/status" > /dev/null')).code, 0, "the first daemon still serves");
});

t.test("--keep-agents: SIGTERM unmounts but leaves the agents running", async (t) => {
  const d = await startDaemon(t, ["--keep-agents"]);
  await d.sh('echo "spawn 7 a none -- sleep 1000" > "$M/ctl"');
  const pid = Number((await d.sh('ls "$M/by-pid"')).stdout.trim());
  t.teardown(() => {
    if (alive(pid)) process.kill(-pid, "SIGKILL"); // a pid we started
  });
  t.equal(await d.stop("SIGTERM"), 0);
  t.equal(await mounted(d.mount), false, "unmounted");
  t.ok(alive(pid), "the agent still runs");
});
