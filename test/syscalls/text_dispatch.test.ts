import t from "tap";
import { AgentSupervisor, createManualClock, ERRNO } from "../../lib/mod.ts";
import { applyTextCommands, checkCommand, decodeTextCommand, type DispatchContext } from "../../syscalls/mod.ts";

function ctx(): DispatchContext {
  return { sup: new AgentSupervisor({ clock: createManualClock() }), caller: {} };
}

function decode(line: string): unknown {
  const d = decodeTextCommand(line);
  if (!d.ok) throw new Error(d.reason);
  const c = checkCommand(d.value);
  if (!c.ok) throw new Error(c.reason);
  return c.command;
}

t.test("decodeTextCommand() + checkCommand() turn every verb into its command", async (t) => {
  t.same(decode("spawn 100 planner FsBasic,DocBasic auto_restart=true max_restarts=2 risk=High -- sleep 5 --flag"), {
    op: "spawn",
    spec: { name: "planner", capabilities: ["FsBasic", "DocBasic"], agent_id: 100, auto_restart: true, max_restarts: 2, risk_level: "High", command: "sleep", args: ["5", "--flag"] },
  });
  t.same(decode("spawn 0 hook none pid=4242"), { op: "spawn", spec: { name: "hook", capabilities: [] }, pid: 4242 });
  t.same(decode('spawn {"name":"j","agent_id":7}'), { op: "spawn", spec: { name: "j", agent_id: 7 } });
  t.same(decode('update 7 {"name":"j","capabilities":["FsBasic"]}'), { op: "update", agent: 7, spec: { name: "j", capabilities: ["FsBasic"] } });
  for (const v of ["kill", "stop", "restart", "reset", "throttle", "unthrottle", "remove", "heartbeat", "ready"]) {
    t.same(decode(`${v} 12`), { op: v, agent: 12 });
  }
  t.same(decode("limits 5 memory_limit_bytes=100"), { op: "limits", agent: 5, limits: { memory_limit_bytes: 100 } });
  t.same(decode("limits default unlimited"), { op: "default-limits", limits: { cpu_quota_us: 0, memory_limit_bytes: 0, syscall_rate_limit: 0, watchdog_timeout_us: 0 } });
  t.same(decode("recovery 5 strict Crashed=Restart cap_ms=1000"), { op: "recovery", agent: 5, preset: "strict", actions: { Crashed: "Restart" }, backoff: { cap_ms: 1000 } });
  t.same(decode("dep 1 2"), { op: "dep", agent: 1, on: 2, type: "Required" });
  t.same(decode("fault 3 PolicyViolation reason=wrote to /etc/passwd twice"), { op: "fault", agent: 3, fault: { type: "PolicyViolation", reason: "wrote to /etc/passwd twice" } });
  t.same(decode("fault 3 Crashed signal=11"), { op: "fault", agent: 3, fault: { type: "Crashed", signal: 11 } });
  t.same(decode("compliance 3 DecisionMade decision_type=loan confidence=0.5 human_reviewed=true"), {
    op: "compliance",
    agent: 3,
    event: { type: "DecisionMade", decision_type: "loan", confidence: 0.5, human_reviewed: true },
  });
  t.same(decode("profile-reset"), { op: "profile-reset" });
  t.same(decode("profile 3 llm 12.5 fail"), { op: "profile", agent: 3, operation: "llm", duration_us: 12.5, success: false });
  t.same(decode("risk 3 Minimal"), { op: "risk", agent: 3, level: "Minimal" });
});

t.test("bad lines are refused with the token and what was expected", async (t) => {
  const bad: [string, RegExp][] = [
    ["", /empty command/],
    ["zap 1", /unknown verb "zap"/],
    ["kill", /token 1: expected an agent id/],
    ["kill 1 2", /expected end of line/],
    ["kill 99999999999", /expected an agent id/],
    ["spawn 1 x", /expected: spawn/],
    ["spawn 1 x FsBasic --", /expected a command after "--"/],
    ["spawn {bad json", /spawn JSON/],
    ["update 7", /expected: update <id> \{JSON AgentSpec\}/],
    ["update 7 {nope", /update JSON/],
    ["update x {}", /token 1 "x": expected an agent id/],
    ['update 7 {"name":"j","colour":1}', /invalid command at \/spec\/colour/],
    ["spawn 1 x Teleport -- a", /invalid command at \/spec\/capabilities\/0/],
    ["fault 1 Crashed signal=abc", /invalid command at \/fault\/signal/],
    ["fault 1 Exploded", /invalid command at \/fault\/type: unknown type "Exploded"/],
    ["limits 1 memory_limit_bytes=-1", /memory_limit_bytes/],
    ["limits 1", /expected: limits/],
    ["recovery 1 Crashed=Pray", /invalid command at \/actions\/Crashed/],
    ["recovery 1 colour=red", /recovery key "colour"/],
    ["dep 1 2 Sometimes", /invalid command at \/type/],
    ["profile 1 op x ok", /expected a duration/],
    ["risk 1 Extreme", /invalid command at \/level/],
  ];
  for (const [line, why] of bad) {
    const d = decodeTextCommand(line);
    const reason = !d.ok ? d.reason : (() => {
      const c = checkCommand(d.value);
      return c.ok ? "(accepted)" : c.reason;
    })();
    t.match(reason, why, `"${line}": ${reason}`);
  }
});

t.test("applyTextCommands() applies in order and stops at the first failure", async (t) => {
  const c = ctx();
  const r = applyTextCommands(c, "spawn 1 a FsBasic pid=10\n# comment\n\nspawn 2 b none pid=11\nkill 9\nspawn 3 c none pid=12\n");
  t.equal(r.code, ERRNO.ESRCH);
  t.equal(r.line, "kill 9");
  t.same(r.results.map((x) => x.code), [1, 2, ERRNO.ESRCH]);
  t.equal(c.sup.hasAgent(3), false, "nothing after the failing line");
  t.same(r.applied, ["spawn 1 a FsBasic pid=10", "spawn 2 b none pid=11"], "the lines before it stay applied");
  const bad = applyTextCommands(c, "spawn 7 g none pid=17\nkill banana\n");
  t.equal(bad.code, ERRNO.EINVAL);
  t.equal(c.sup.hasAgent(7), false, "a malformed line anywhere: nothing runs");
  t.same(bad.applied, []);
  const ok = applyTextCommands(c, "kill", (line) => `${line} 1`);
  t.equal(ok.code, 0, "prefix turns per-agent lines into full commands");
  t.equal(c.sup.getAgent(1)?.state, "stopping");
  t.equal(applyTextCommands(c, "spawn 5 x none -- sleep 1").code, ERRNO.ENOSYS, "no host: no process can start");
  t.equal(applyTextCommands(c, "spawn 5 x none").code, ERRNO.EINVAL, "neither command nor pid");
  t.equal(applyTextCommands(c, "x".repeat(70_000)).code, ERRNO.E2BIG);
});
