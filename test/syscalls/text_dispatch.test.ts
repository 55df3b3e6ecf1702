import fc from "fast-check";
import t from "tap";
import { AgentSupervisor, createManualClock, ERRNO } from "../../lib/mod.ts";
import { applyTextCommands, checkCommand, decodeTextCommand, quoteShellWord, type DispatchContext } from "../../syscalls/mod.ts";

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

t.test("decodeTextCommand() splits words as sh does", async (t) => {
  t.same(decode("spawn 200 c FsBasic -- sh -c 'sleep 1; kill -SEGV $$'"), {
    op: "spawn",
    spec: { name: "c", capabilities: ["FsBasic"], agent_id: 200, command: "sh", args: ["-c", "sleep 1; kill -SEGV $$"] },
  });
  t.same(decode(`spawn 7 'my agent' none "max_restarts=2" cwd='/srv/my dir' -- printf "%s\\n" a\\ b '' "it's"`), {
    op: "spawn",
    spec: { name: "my agent", capabilities: [], agent_id: 7, max_restarts: 2, cwd: "/srv/my dir", command: "printf", args: ["%s\\n", "a b", "", "it's"] },
  }, "key=value tokens are words too; a value's type comes from its text, quoted or not");
  t.same(decode("'kill' \"12\""), { op: "kill", agent: 12 }, "the verb and the id are words");
  t.same(decode("spawn 7 a none '--' x"), { op: "spawn", spec: { name: "a", capabilities: [], agent_id: 7, command: "x", args: [] } }, "'--' is -- (sh cannot tell them apart either)");
  t.same(decode("policy-update 5 scope path='/srv/my dir' max_ops_per_sec=3"), { op: "policy-update", agent: 5, patch: { type: "UpdateScope", scope: { path_prefix: "/srv/my dir", max_ops_per_sec: 3 } } });
  t.same(decode("dep 1 '2' Optional"), { op: "dep", agent: 1, on: 2, type: "Optional" });
  t.same(decode(`spawn {"name":"it's \\"q\\"","agent_id":7}`), { op: "spawn", spec: { name: 'it\'s "q"', agent_id: 7 } }, "JSON forms are read as written");
  t.same(decode(`update '7' {"name":"a b"}`), { op: "update", agent: 7, spec: { name: "a b" } });
});

t.test("fault and compliance: an unquoted reason= takes the rest of the line, a quoted one is a word", async (t) => {
  // What the decoder reads (the schema then takes only reason for PolicyViolation).
  const fault = (line: string) => {
    const d = decodeTextCommand(line);
    return d.ok ? (d.value as { fault: unknown }).fault : d.reason;
  };
  t.same(fault("fault 3 PolicyViolation reason='wrote /etc' severity=High"), { type: "PolicyViolation", reason: "wrote /etc", severity: "High" });
  t.same(fault(`fault 3 PolicyViolation reason="it's \\"bad\\"" attempted='rm -rf /'`), { type: "PolicyViolation", reason: 'it\'s "bad"', attempted: "rm -rf /" });
  t.same(fault(`fault 3 PolicyViolation reason=can't write "/etc" severity=High`), { type: "PolicyViolation", reason: `can't write "/etc" severity=High` }, "unquoted: exactly as written, quotes and all");
  t.same(fault("fault 3 PolicyViolation attempted='rm -rf /' reason=oops"), { type: "PolicyViolation", attempted: "rm -rf /", reason: "oops" });
  t.same(fault("fault 3 PolicyViolation 'reason=a b' severity=High"), { type: "PolicyViolation", reason: "a b", severity: "High" }, "a quoted key: a word");
  t.same(fault("fault 3 PolicyViolation reason="), { type: "PolicyViolation", reason: "" });
  t.same(fault("fault 3 PolicyViolation noreason=x reason=y z"), { type: "PolicyViolation", noreason: "x", reason: "y z" }, "reason= is a word's start, not any text");
  t.same(fault("fault 3 Crashed signal='11'"), { type: "Crashed", signal: 11 });
  t.same(decode("fault 3 PolicyViolation reason='wrote /etc'"), { op: "fault", agent: 3, fault: { type: "PolicyViolation", reason: "wrote /etc" } }, "checked too");
  t.same(decode("fault 3 PolicyViolation reason=wrote /etc, then /var"), { op: "fault", agent: 3, fault: { type: "PolicyViolation", reason: "wrote /etc, then /var" } });
  t.same((decode(`compliance 3 DecisionMade decision_type="loan review" confidence=0.5 human_reviewed=false`) as { event: unknown }).event, {
    type: "DecisionMade",
    decision_type: "loan review",
    confidence: 0.5,
    human_reviewed: false,
  });
  t.same((decode("compliance 3 PolicyViolation violation_type='data exfiltration' severity=High") as { event: unknown }).event, { type: "PolicyViolation", violation_type: "data exfiltration", severity: "High" });
});

t.test("an unterminated quote or a trailing backslash is refused at its character, never quoted", async (t) => {
  const bad: [string, string][] = [
    ["spawn 1 a none -- sh -c 'echo hi", "unterminated single quote: the ' at character 25 is never closed"],
    [`spawn 1 a none -- echo "x`, 'unterminated double quote: the " at character 24 is never closed'],
    ["kill 1\\", "trailing backslash at character 7: nothing follows it to quote"],
    ["'kill 1", "unterminated single quote: the ' at character 1 is never closed"],
    ["update '7 {}", "unterminated single quote: the ' at character 8 is never closed"],
    ["fault 3 PolicyViolation severity='High reason=x", "unterminated single quote: the ' at character 34 is never closed"],
    ["fault 3 PolicyViolation reason='x", "unterminated single quote: the ' at character 32 is never closed"],
    ["policy-update 5 scope path='/srv", "unterminated single quote: the ' at character 28 is never closed"],
  ];
  for (const [line, reason] of bad) {
    const d = decodeTextCommand(line);
    t.same(d, { ok: false, reason }, line);
  }
  const secret = "sk-live-0123456789abcdefghij";
  const d = decodeTextCommand(`spawn 1 a none env="${secret}`);
  t.ok(!d.ok && !d.reason.includes(secret), "the reason does not echo the line");
  const long = decodeTextCommand(`spawn 1 a none '${"y ".repeat(40)}'`);
  t.match(!long.ok && long.reason, /^token 4 \(a 80-character token\): expected key=value$/, "nor a long quoted token");
});

t.test("applyTextCommands(): a quoting error's position counts in the line as written", async (t) => {
  const c = ctx();
  t.equal(applyTextCommands(c, "spawn 1 a none pid=10").code, 0);
  const policy = applyTextCommands(c, "scope path='/srv", (l) => `policy-update 1 ${l}`);
  t.equal(policy.code, ERRNO.EINVAL);
  t.equal(policy.reason, "unterminated single quote: the ' at character 12 is never closed", "not 28, as in the prefixed line");
  const ctl = applyTextCommands(c, "fault PolicyViolation reason='x", (l) => l.replace(/^fault/, "fault 1"));
  t.equal(ctl.reason, "unterminated single quote: the ' at character 30 is never closed");
  const other = applyTextCommands(c, "fault Crashed oops reason=can't", (l) => l.replace(/^fault/, "fault 1"));
  t.equal(other.reason, 'token 3 "oops": expected key=value', "other reasons stay the decoder's");
});

t.test("property: spawn arguments quoted with quoteShellWord() arrive exactly", async (t) => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: "binary" }), { minLength: 1, maxLength: 6 }), fc.string({ unit: "binary", minLength: 1 }), (argv, name) => {
      const d = decodeTextCommand(`spawn 7 ${quoteShellWord(name)} none -- ${argv.map(quoteShellWord).join(" ")}`);
      if (!d.ok) return false;
      const spec = (d.value as { spec: { name: string; command: string; args: string[] } }).spec;
      return spec.name === name && JSON.stringify([spec.command, ...spec.args]) === JSON.stringify(argv);
    }),
    { numRuns: 2000, seed: Number(process.env.FUZZ_SEED ?? 4321) },
  );
  t.pass("2000 generated command lines");
});
