import t from "tap";
import { alive, startDaemon, until, type Daemon } from "../fs/daemon.ts";

const AGENTS = new URL("../../fixtures/agents/", import.meta.url).pathname;
const WINDOW = 200;
const GRACE = 600;

async function field(d: Daemon, id: number, name: string): Promise<string> {
  const r = await d.sh(`cat "$M/agents/${id}/status" 2>/dev/null`);
  return new RegExp(`^${name}: (.*)$`, "m").exec(r.stdout)?.[1] ?? "";
}

async function spawnAgent(d: Daemon, line: string): Promise<void> {
  const r = await d.sh(`echo "${line}" > "$M/ctl"`);
  if (r.code !== 0) throw new Error(`spawn failed: ${r.stderr}`);
}

t.test("real agents: each fixture produces its fault and action", async (t) => {
  const d = await startDaemon(t, ["--window", String(WINDOW), "--grace", String(GRACE)]);
  const node = process.execPath;
  const backend = /enforcement: (.*)$/m.exec(d.log())?.[1] ?? "(not logged)";
  t.comment(`enforcement backend on this machine: ${backend}`);
  t.match(backend, /CPU throttle by (cgroup v1|SIGSTOP\/SIGCONT)/);

  t.test("crasher restarts with growing delays and ends failed after max_restarts", async (t) => {
    // 200 ms, then 400 ms: a margin over the spawner's and the machine's jitter.
    t.equal((await d.sh('echo "base_ms=200" > "$M/recovery"')).code, 0, "default backoff base 200 ms");
    await spawnAgent(d, `spawn 20 crasher none auto_restart=true max_restarts=2 -- ${node} ${AGENTS}crasher.cjs`);
    t.ok(await until(async () => (await field(d, 20, "State")) === "failed", 15_000), "failed");
    t.equal(await field(d, 20, "Spawn count"), "3", "ran 1 + 2 restarts");
    t.equal(await field(d, 20, "Last exit code"), String(128 + 11), "SIGSEGV");
    const events = (await d.sh('grep " 20 " "$M/events"')).stdout;
    t.equal((events.match(/Fault 20 Crashed signal=11/g) ?? []).length, 3, "every death is a Crashed fault");
    t.match(events, /Failed 20 restarts=2/);
    const m = /total_restarts":(\d+)/.exec((await d.sh('cat "$M/telemetry"')).stdout);
    t.equal(m?.[1], "2", "total_restarts counts the two real restarts");
    // delays: Restart events' timestamps minus the preceding Exit's grow (200 ms, then ~400 ms)
    const lines = events.trim().split("\n").map((l) => l.split(" "));
    const exits = lines.filter((l) => l[2] === "Exit").map((l) => Number(l[1]));
    const restarts = lines.filter((l) => l[2] === "Restart").map((l) => Number(l[1]));
    const delays = restarts.map((r, i) => (r - exits[i]) / 1000);
    t.equal(delays.length, 2);
    t.ok(delays[1] > delays[0], `delays grow: ${delays.map((x) => x.toFixed(0)).join(" ms, ")} ms`);
  });

  t.test("exit-nonzero without auto_restart ends exited with its code", async (t) => {
    await spawnAgent(d, `spawn 21 quitter none -- ${node} ${AGENTS}exit-nonzero.cjs`);
    t.ok(await until(async () => (await field(d, 21, "State")) === "exited", 5000));
    t.equal(await field(d, 21, "Last exit code"), "3");
    t.equal(await field(d, 21, "Fault count"), "0");
  });

  t.test("balloon is killed at the memory limit", async (t) => {
    await spawnAgent(d, `spawn 22 balloon none -- ${node} ${AGENTS}balloon.cjs`);
    await d.sh('echo "limits 22 memory_limit_bytes=150000000" > "$M/ctl"');
    t.ok(await until(async () => (await field(d, 22, "State")) === "exited", 10_000), "killed");
    const m = (await d.sh('cat "$M/agents/22/metrics"')).stdout;
    t.match(m, /Memory exceeded: \d+ bytes used, limit 150000000 bytes/);
    // SIGKILL from the kernel at the cgroup limit, or SIGTERM from the Kill action when a sample
    // saw it first: both are the memory limit at work.
    t.match(await field(d, 22, "Last exit code"), /^(137|143)$/, "killed by a signal");
    t.notMatch((await d.sh('cat "$M/events"')).stdout, /Fault 22 Crashed/, "a memory kill is not a crash");
  });

  t.test("spinner is throttled and its CPU share drops", async (t) => {
    await spawnAgent(d, `spawn 23 spinner none -- ${node} ${AGENTS}spinner.cjs`);
    await d.sh('echo "limits 23 cpu_quota_us=250000" > "$M/ctl"');
    t.ok(await until(async () => (await field(d, 23, "State")) === "throttled", 5000), "throttled");
    const cpu = async () => Number(/CPU\(us\)[\s\S]*?^ +23 +\d+ +\d+ +\d+ +(\d+)/m.exec((await d.sh('cat "$M/status"')).stdout)?.[1] ?? 0);
    await new Promise((r) => setTimeout(r, 500));
    const c0 = await cpu();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    const share = (await cpu() - c0) / ((Date.now() - t0) * 1000);
    t.ok(share < 0.45, `CPU share while throttled: ${(share * 100).toFixed(0)} % (unthrottled: ~100 %)`);
    await d.sh('echo "kill 23" > "$M/ctl"');
  });

  t.test("flooder raises SyscallFlood", async (t) => {
    await spawnAgent(d, `spawn 24 flooder none -- ${node} ${AGENTS}flooder.cjs`);
    t.ok(await until(async () => /Fault 24 SyscallFlood rate=\d+ threshold=1000/.test((await d.sh('cat "$M/events"')).stdout), 5000));
    t.equal(await field(d, 24, "State"), "throttled", "default action: Throttle");
    await d.sh('echo "kill 24" > "$M/ctl"');
  });

  t.test("hang is restarted by the watchdog", async (t) => {
    await spawnAgent(d, `spawn 25 hang none -- ${node} ${AGENTS}hang.cjs`);
    await d.sh('echo "limits 25 watchdog_timeout_us=800000" > "$M/ctl"');
    t.ok(await until(async () => Number(await field(d, 25, "Spawn count")) >= 2, 10_000), "restarted");
    t.match((await d.sh('cat "$M/events"')).stdout, /Fault 25 Unresponsive idle_time=\d+ threshold=800000/);
    await d.sh('echo "kill 25" > "$M/ctl"');
  });

  t.test("a well-behaved heartbeat agent stays running and its output is in log", async (t) => {
    await spawnAgent(d, `spawn 26 beat none -- ${node} ${AGENTS}heartbeat.cjs`);
    await d.sh('echo "limits 26 watchdog_timeout_us=1000000" > "$M/ctl"');
    t.ok(await until(async () => /^beat 5$/m.test((await d.sh('cat "$M/agents/26/log"')).stdout), 10_000), "log has its lines");
    t.equal(await field(d, 26, "State"), "running");
    t.equal(await field(d, 26, "Fault count"), "0");
  });

  t.test("SIGTERM ignorer dies by SIGKILL after the grace", async (t) => {
    await spawnAgent(d, `spawn 27 stubborn none -- ${node} ${AGENTS}sigterm-ignorer.cjs`);
    await until(async () => /./.test((await d.sh('ls "$M/by-pid"')).stdout));
    await new Promise((r) => setTimeout(r, 300)); // let it install its handler
    const t0 = Date.now();
    await d.sh('echo "stop 27" > "$M/ctl"');
    t.ok(await until(async () => (await field(d, 27, "State")) === "exited", 5000));
    t.ok(Date.now() - t0 >= GRACE - 50, `took ${Date.now() - t0} ms (grace ${GRACE})`);
    t.equal(await field(d, 27, "Last exit code"), "137", "SIGKILL");
    t.match((await d.sh('cat "$M/agents/27/log"')).stdout, /ignoring SIGTERM/);
  });

  t.test("a forking agent's children die with it", async (t) => {
    await spawnAgent(d, `spawn 28 forker none -- ${node} ${AGENTS}forker.cjs`);
    t.ok(await until(async () => /children/.test((await d.sh('cat "$M/agents/28/log"')).stdout), 5000));
    const kids = /children ([\d ]+)/.exec((await d.sh('cat "$M/agents/28/log"')).stdout)![1].trim().split(" ").map(Number);
    t.equal(kids.length, 3);
    t.ok(kids.every(alive), "children run");
    await d.sh('echo "stop 28" > "$M/ctl"');
    t.ok(await until(() => kids.every((k) => !alive(k)), 5000), "all children gone");
  });

  t.test("readiness notify: starting until the agent writes a newline to its notify fd", async (t) => {
    const spec = { agent_id: 29, name: "slow-start", readiness: "notify", command: node, args: [`${AGENTS}ready.cjs`] };
    await spawnAgent(d, `spawn ${JSON.stringify(spec).replace(/"/g, '\\"')}`);
    t.equal(await field(d, 29, "State"), "starting");
    t.ok(await until(async () => (await field(d, 29, "State")) === "running", 5000), "running after readiness");
    t.match((await d.sh('cat "$M/agents/29/log"')).stdout, /^ready$/m);
  });

  t.test("an agent runs as its spec's user", async (t) => {
    const spec = { agent_id: 30, name: "as-nobody", user: "nobody", command: "sleep", args: ["1000"] };
    await spawnAgent(d, `spawn ${JSON.stringify(spec).replace(/"/g, '\\"')}`);
    const pid = Number(/^PID: (\d+)$/m.exec((await d.sh('cat "$M/agents/30/status"')).stdout)?.[1]);
    const uid = (await d.sh(`awk '/^Uid:/ {print $2}' /proc/${pid}/status`)).stdout.trim();
    const nobody = (await d.sh("id -u nobody")).stdout.trim();
    t.equal(uid, nobody, `pid ${pid} runs as uid ${nobody}`);
    const bad = await d.sh(`echo 'spawn {"agent_id":31,"name":"x","user":"no-such-user-here","command":"sleep","args":["1"]}' > "$M/ctl"`);
    t.match(bad.stderr, /Invalid argument/);
    t.match((await d.sh('tail -n 1 "$M/last_error"')).stdout, /no such user "no-such-user-here"/);
  });

  t.test("counters reconcile: spawns = exits + active", async (t) => {
    const j = JSON.parse((await d.sh('cat "$M/telemetry"')).stdout);
    const s = j.system_metrics;
    t.equal(s.total_spawns, s.total_exits + s.active_agents);
  });
});

t.test("a refused spawn never runs its command", async (t) => {
  const d = await startDaemon(t);
  const marker = `${d.mount}-ran`;
  t.teardown(() => d.sh(`rm -f ${marker}`).then(() => {}));
  for (const [line, why] of [
    [`spawn {"agent_id":30,"name":"admin","capabilities":["Admin"],"command":"touch","args":["${marker}"]}`, "Admin"],
    [`spawn {"agent_id":31,"name":"cycle","depends_on":[31],"command":"touch","args":["${marker}"]}`, "a dependency on itself"],
  ]) {
    const r = await d.sh("cat > $M/ctl", `${line}\n`);
    t.not(r.code, 0, `refused: ${why}`);
  }
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await d.sh(`test -e ${marker} && echo ran || echo not`)).stdout, "not\n", "the command never ran");
  t.equal((await d.sh(`ls ${d.mount}-state/logs`)).stdout, "", "and left no log file");
  t.equal((await d.sh("cat $M/status")).stdout.match(/Total Spawns: +(\d+)/)?.[1], "0");
});
