import t from "tap";
import { CAP, ERRNO, EXIT_DECISION, LIFECYCLE_NOTICE, LIFECYCLE_NOTICE_NAMES, SYS, createConstantRandom, AgentSupervisor, createManualClock } from "../../lib/mod.ts";
import { createTestSupervisor } from "./harness.ts";

t.test("onAgentSpawn() registers with the given id, or allocates from 1000 skipping taken ids", async (t) => {
  const { sup } = createTestSupervisor();
  t.equal(sup.onAgentSpawn(10, { agent_id: 100, name: "a" }), 100);
  t.equal(sup.onAgentSpawn(11, { agent_id: 1001, name: "b" }), 1001);
  t.equal(sup.onAgentSpawn(12, { name: "c" }), 1000);
  t.equal(sup.onAgentSpawn(13, { agent_id: 0, name: "d" }), 1002, "0 allocates; 1001 is taken");
  t.equal(sup.agentCount(), 4);
  t.equal(sup.activeCount(), 4);
  t.equal(sup.getAgentByPid(12)?.agent_id, 1000);
  t.equal(sup.getAgent(100)?.state, "running");
  t.same(sup.listAgents().map((a) => a.agent_id), [100, 1000, 1001, 1002]);
});

t.test("onAgentSpawn() refuses bad input and changes nothing", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(10, { agent_id: 100, name: "a" });
  const before = JSON.stringify(sup.telemetry.snapshot());
  t.equal(sup.onAgentSpawn(11, { agent_id: 100, name: "dup" }), ERRNO.EBUSY, "id has a live process");
  t.match(sup.lastReason, /agent 100: it is running/);
  t.equal(sup.onAgentSpawn(10, { agent_id: 101, name: "pid taken" }), ERRNO.EEXIST);
  t.equal(sup.onAgentSpawn(0, { name: "bad pid" }), ERRNO.EINVAL);
  t.equal(sup.onAgentSpawn(12, { name: "root", capabilities: ["Admin"] }), ERRNO.EPERM);
  t.match(sup.lastReason, /PrivilegeEscalation/);
  t.equal(sup.onAgentSpawn(12, { name: "x", capabilities: ["Teleport" as "FsBasic"] }), ERRNO.EINVAL);
  t.equal(sup.onAgentSpawn(12, { name: "y".repeat(300) }), ERRNO.EINVAL);
  t.equal(JSON.stringify(sup.telemetry.snapshot()), before, "state unchanged");
  t.equal(sup.agentCount(), 1);
  t.equal(sup.onAgentSpawn(12, { name: "agentd", capabilities: ["Admin"] }, { allowAdmin: true }) > 0, true, "fleet file may grant Admin");
});

t.test("onAgentExit() with code 0 ends in exited; counters are live (fix)", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(10, { agent_id: 100, name: "a", auto_restart: true });
  t.equal(sup.onAgentExit(10, 0), EXIT_DECISION.none);
  const a = sup.getAgent(100)!;
  t.equal(a.state, "exited");
  t.equal(a.active, false);
  t.equal(a.last_exit_code, 0);
  t.equal(a.exit_count, 1);
  t.equal(sup.activeCount(), 0, "Active Agents is the live count");
  t.equal(sup.agentCount(), 1, "the record stays, like a systemd unit");
  t.equal(sup.onAgentExit(10, 0), ERRNO.ESRCH, "pid no longer mapped");
});

t.test("a crasher restarts with growing delays and ends failed after max_restarts", async (t) => {
  const { sup, clock } = createTestSupervisor();
  (sup.ctx as { random: () => number }).random = createConstantRandom(0.5);
  const heard: string[] = [];
  sup.onLifecycle((kind, id, arg) => heard.push(`${LIFECYCLE_NOTICE_NAMES[kind]}:${id}:${arg}`));
  let pid = 100;
  t.equal(sup.onAgentSpawn(pid, { agent_id: 7, name: "crasher", auto_restart: true, max_restarts: 3 }), 7);
  const delays: number[] = [];
  for (let i = 0; i < 3; i++) {
    clock.advanceUs(1000);
    t.equal(sup.onAgentExit(pid, -11), EXIT_DECISION.restart);
    t.equal(sup.getAgent(7)!.state, "backoff");
    delays.push(sup.backoffMs(7));
    t.equal(sup.onAgentSpawn(++pid, { agent_id: 7, name: "crasher" }), 7);
  }
  t.same(delays, [100, 200, 400], "base 100 ms, doubling");
  clock.advanceUs(1000);
  t.equal(sup.onAgentExit(pid, -11), EXIT_DECISION.failed);
  const a = sup.getAgent(7)!;
  t.equal(a.state, "failed");
  t.equal(a.restart_count, 3);
  t.equal(a.spawn_count, 4);
  t.equal(a.fault_count, 4, "each signal death is a Crashed fault");
  t.equal(sup.ctx.sys[SYS.restarts], 3, "total_restarts counts real restarts (fix)");
  t.ok(heard.includes("failed:7:3"));
  t.ok(heard.includes("restartScheduled:7:400"));
  t.equal(sup.onAgentSpawn(999, { agent_id: 7, name: "crasher" }) > 0, true, "a new spawn of a failed agent is allowed");
});

t.test("restart_count resets after a healthy run of 60 s", async (t) => {
  const { sup, clock } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 5, name: "x", auto_restart: true, max_restarts: 2 });
  sup.onAgentExit(1, 1);
  sup.onAgentSpawn(2, { agent_id: 5, name: "x" });
  t.equal(sup.getAgent(5)!.restart_count, 1);
  clock.advanceUs(61_000_000);
  t.equal(sup.onAgentExit(2, 1), EXIT_DECISION.restart);
  t.equal(sup.getAgent(5)!.restart_count, 1, "reset to 0, then this restart counted");
  const d = sup.backoffMs(5);
  t.ok(d >= 80 && d <= 120, `first-attempt delay again (${d} ms)`);
});

t.test("non-zero exit without auto_restart ends in exited, no restart", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 5, name: "x" });
  t.equal(sup.onAgentExit(1, 3), EXIT_DECISION.none);
  t.equal(sup.getAgent(5)!.state, "exited");
  t.equal(sup.getAgent(5)!.last_exit_code, 3);
  t.equal(sup.getAgent(5)!.fault_count, 0, "an exit code is not a crash");
});

t.test("stop() and kill: stopping, then exited on exit; no Crashed fault for our signal", async (t) => {
  const { sup } = createTestSupervisor();
  const heard: number[][] = [];
  sup.onLifecycle((k, id, arg) => heard.push([k, id, arg]));
  sup.onAgentSpawn(1, { agent_id: 5, name: "x", auto_restart: true });
  t.equal(sup.stop(5), 0);
  t.equal(sup.getAgent(5)!.state, "stopping");
  t.same(heard.find((h) => h[0] === LIFECYCLE_NOTICE.stopRequested), [LIFECYCLE_NOTICE.stopRequested, 5, 0]);
  t.equal(sup.stop(5, true), 0, "kill escalates");
  t.same(heard.filter((h) => h[0] === LIFECYCLE_NOTICE.stopRequested).at(-1), [LIFECYCLE_NOTICE.stopRequested, 5, 1]);
  t.equal(sup.onAgentExit(1, -15), EXIT_DECISION.none);
  t.equal(sup.getAgent(5)!.state, "exited");
  t.equal(sup.getAgent(5)!.fault_count, 0);
  t.equal(sup.stop(99), ERRNO.ESRCH);
});

t.test("restart() restarts now with counters cleared; from failed too", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 5, name: "x", auto_restart: true, max_restarts: 0 });
  t.equal(sup.onAgentExit(1, -6), EXIT_DECISION.failed);
  t.equal(sup.restart(5), 0);
  t.equal(sup.getAgent(5)!.state, "backoff");
  t.equal(sup.backoffMs(5), 0, "immediate");
  t.equal(sup.onAgentSpawn(2, { agent_id: 5, name: "x" }), 5);
  t.equal(sup.restart(5), 0, "restart of a running agent: stop first");
  t.equal(sup.getAgent(5)!.state, "stopping");
  t.equal(sup.onAgentExit(2, -15), EXIT_DECISION.restart);
  t.equal(sup.backoffMs(5), 0);
  t.equal(sup.onAgentSpawn(3, { agent_id: 5, name: "x" }), 5);
  t.equal(sup.getAgent(5)!.restart_count, 0);
  t.equal(sup.ctx.sys[SYS.restarts], 2);
});

t.test("reset() clears the restart count and lifts failed to exited", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 5, name: "x", auto_restart: true, max_restarts: 1 });
  sup.onAgentExit(1, 1);
  sup.onAgentSpawn(2, { agent_id: 5, name: "x" });
  sup.onAgentExit(2, 1);
  t.equal(sup.getAgent(5)!.state, "failed");
  t.equal(sup.reset(5), 0);
  t.equal(sup.getAgent(5)!.state, "exited");
  t.equal(sup.getAgent(5)!.restart_count, 0);
  t.equal(sup.reset(6), ERRNO.ESRCH);
});

t.test("a restarted process keeps its AgentId and live policy", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 5, name: "x", auto_restart: true, capabilities: ["FsBasic"] });
  t.equal(sup.policy.applyPatch(5, { type: "AddCapability", capability: "Capture" }), 0);
  sup.onAgentExit(1, -9);
  sup.onAgentSpawn(2, { agent_id: 5, name: "x", capabilities: [] });
  t.equal(sup.policy.checkCapability(5, CAP.Capture), true);
  t.equal(sup.policy.checkCapability(5, CAP.FsBasic), true);
});

t.test("cascade: when an agent exits for good its Required dependents are stopped, furthest first", async (t) => {
  const { sup } = createTestSupervisor();
  const stops: number[] = [];
  sup.onLifecycle((k, id) => k === LIFECYCLE_NOTICE.stopRequested && stops.push(id));
  sup.onAgentSpawn(1, { agent_id: 102, name: "db" });
  sup.onAgentSpawn(2, { agent_id: 101, name: "api", depends_on: [102] });
  sup.onAgentSpawn(3, { agent_id: 100, name: "ui", depends_on: [101] });
  sup.onAgentSpawn(4, { agent_id: 103, name: "cache", depends_on: [{ id: 102, type: "Optional" }] });
  sup.onAgentExit(1, 0);
  t.same(stops, [100, 101], "ui before api; the Optional dependent keeps running");
  t.equal(sup.getAgent(103)!.state, "running");
  t.equal(sup.onAgentSpawn(5, { agent_id: 104, name: "loop", depends_on: [104] }), ERRNO.EINVAL, "self-dependency");
});

t.test("readiness notify: starting until ready; heartbeats arm the watchdog", async (t) => {
  const { sup, clock } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 5, name: "x", readiness: "notify", limits: { watchdog_timeout_us: 1000 } });
  t.equal(sup.getAgent(5)!.state, "starting");
  clock.advanceUs(5000);
  t.equal(sup.faults.checkWatchdog(5, clock.nowUs()), false, "not armed before readiness");
  t.equal(sup.markReady(5), 0);
  t.equal(sup.getAgent(5)!.state, "running");
  clock.advanceUs(999);
  t.equal(sup.faults.checkWatchdog(5, clock.nowUs()), false);
  clock.advanceUs(2);
  t.equal(sup.faults.checkWatchdog(5, clock.nowUs()), true);
  t.equal(sup.touchAgent(5), true);
  t.equal(sup.faults.checkWatchdog(5, clock.nowUs()), false);
  t.equal(sup.touchAgent(404), false);
});

t.test("remove() forgets an agent without a process; EBUSY with one", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 5, name: "x" });
  t.equal(sup.remove(5), ERRNO.EBUSY);
  sup.onAgentExit(1, 0);
  t.equal(sup.remove(5), 0);
  t.equal(sup.hasAgent(5), false);
  t.equal(sup.agentCount(), 0);
});

t.test("specOf() keeps a copy of specs with a command, for respawning", async (t) => {
  const { sup } = createTestSupervisor();
  const spec = { agent_id: 5, name: "x", command: "/bin/sleep", args: ["100"] };
  sup.onAgentSpawn(1, spec);
  spec.args[0] = "changed";
  t.same(sup.specOf(5)?.args, ["100"], "not aliased to the caller's object");
  sup.onAgentSpawn(2, { agent_id: 6, name: "hook-only" });
  t.equal(sup.specOf(6), undefined);
});

t.test("AgentSupervisor works with the system clock and Math.random by default", async (t) => {
  const sup = new AgentSupervisor();
  t.equal(sup.onAgentSpawn(1, { name: "x" }), 1000);
  const clock = createManualClock(5);
  t.equal(clock.nowUs(), 5);
  t.throws(() => clock.advanceUs(-1), RangeError);
  t.throws(() => clock.setUs(1), RangeError);
});

t.test("invariant: spawns = exits + active, restarts = Restart events, after a random storm", async (t) => {
  const { sup, clock } = createTestSupervisor(3);
  const rnd = (() => { let x = 12345; return () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff); })();
  let pid = 1;
  const live = new Map<number, number>(); // id -> pid
  for (let i = 0; i < 40; i++) live.set(sup.onAgentSpawn(pid, { name: `a${i}`, auto_restart: rnd() < 0.7, max_restarts: 2 }), pid++);
  for (let step = 0; step < 2000; step++) {
    clock.advanceUs(Math.floor(rnd() * 5_000_000));
    const ids = [...live.keys()];
    if (ids.length === 0) break;
    const id = ids[Math.floor(rnd() * ids.length)];
    const r = rnd();
    if (r < 0.5) {
      const d = sup.onAgentExit(live.get(id)!, rnd() < 0.5 ? -11 : 1);
      live.delete(id);
      if (d === EXIT_DECISION.restart) live.set(sup.onAgentSpawn(pid, { agent_id: id, name: "r" }), pid++);
    } else if (r < 0.6) sup.stop(id);
    else if (r < 0.7) sup.onFault(id, { type: "CpuQuotaExceeded", used: 2_000_000, quota: 1_000_000 });
    else sup.touchAgent(id);
  }
  const s = sup.ctx.sys;
  t.equal(s[SYS.spawns], s[SYS.exits] + s[SYS.active]);
  t.equal(s[SYS.active], live.size);
  const restartEvents = sup.telemetry.snapshot().recent_events.filter((e) => "Restart" in e).length;
  t.ok(s[SYS.restarts] > 0);
  t.ok(restartEvents <= s[SYS.restarts], "ring holds at most every restart");
});

t.test("update() replaces a spec in place: live fields at once, process fields flagged for a restart", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(10, { agent_id: 100, name: "base", command: "sleep", args: ["1"] });
  sup.onAgentSpawn(11, { agent_id: 101, name: "a", command: "sleep", args: ["1"], capabilities: ["FsBasic"], depends_on: [100] });
  sup.markReady(101);
  t.equal(sup.update(101, { name: "a", command: "sleep", args: ["1"], capabilities: ["DocBasic"], limits: { cpu_quota_us: 5000 }, auto_restart: true }), 0, "no process field changed");
  const a = sup.getAgent(101)!;
  t.same(a.capabilities, ["DocBasic"], "capabilities replaced, enforced at once");
  t.ok(sup.policy.checkCapability(101, CAP.DocBasic));
  t.notOk(sup.policy.checkCapability(101, CAP.FsBasic));
  t.equal(sup.limits.of(101)!.cpu_quota_us, 5000);
  t.equal(a.auto_restart, true);
  t.same(sup.deps.dependsOn(101), [], "dependencies replaced (none now)");
  t.equal(a.pid, 11, "same process");
  t.equal(a.state, "running");
  t.equal(sup.specOf(101)!.capabilities![0], "DocBasic", "the stored spec is the new one");
  t.equal(sup.update(101, { name: "a", command: "sleep", args: ["2"], depends_on: [100] }), 1, "args changed: restart needed");
  t.same(sup.deps.dependsOn(101), [{ id: 100, type: "Required" }]);
  t.equal(sup.specOf(101)!.args![0], "2");
});

t.test("update() refuses bad specs and changes nothing", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(10, { agent_id: 100, name: "base", command: "sleep" });
  sup.onAgentSpawn(11, { agent_id: 101, name: "a", command: "sleep", capabilities: ["FsBasic"], depends_on: [100] });
  const before = JSON.stringify([sup.getAgent(101), sup.specOf(101), sup.deps.dependsOn(101), sup.limits.of(101)]);
  t.equal(sup.update(999, { name: "x" }), ERRNO.ESRCH);
  t.equal(sup.update(101, { name: "a", capabilities: ["Admin"] }), ERRNO.EPERM);
  t.equal(sup.update(101, { name: "a", agent_id: 102 }), ERRNO.EINVAL);
  t.equal(sup.update(100, { name: "base", depends_on: [101] }), ERRNO.EINVAL, "a cycle");
  t.equal(JSON.stringify([sup.getAgent(101), sup.specOf(101), sup.deps.dependsOn(101), sup.limits.of(101)]), before, "unchanged");
});
