import t from "tap";
import { startDaemon, until, type Daemon } from "./daemon.ts";

async function state(d: Daemon, id: number): Promise<string> {
  const r = await d.sh(`cat "$M/agents/${id}/status"`);
  return /^State: (\w+)$/m.exec(r.stdout)?.[1] ?? `(none: ${r.stderr.trim()})`;
}

async function line(d: Daemon, file: string, id: number, re: RegExp): Promise<string> {
  const r = await d.sh(`cat "$M/agents/${id}/${file}"`);
  return re.exec(r.stdout)?.[1] ?? "";
}

t.test("every ctl verb changes state visibly", async (t) => {
  const d = await startDaemon(t);
  const ok = async (cmd: string, file = "ctl") => {
    const r = await d.sh(`echo "${cmd}" > "$M/${file}"`);
    t.equal(r.code, 0, `${cmd} → ${file}: ${r.stderr.trim()}`);
  };
  await ok("spawn 100 planner FsBasic auto_restart=true -- sleep 1000");
  await ok("spawn 0 worker none -- sleep 1000");
  t.equal(await state(d, 100), "running");
  t.equal(await state(d, 1000), "running", "id 0 allocates from 1000");

  await ok("policy-update 100 +DocBasic");
  t.equal(await line(d, "policy", 100, /^Capability list: (.*)$/m), "FsBasic DocBasic");
  await ok("policy-update 100 scope path=/data max_ops_per_sec=10");
  t.equal(await line(d, "policy", 100, /^Scope: +(.*)$/m), "path=/data max_ops_per_sec=10");
  await ok("policy-update 100 norestart");
  t.equal(await line(d, "policy", 100, /^Auto-restart: +(\w+)$/m), "Disabled");
  await ok("policy-update 100 restart 5");
  t.equal(await line(d, "policy", 100, /^Max restarts: +(\d+)$/m), "5");

  await ok("limits 100 memory_limit_bytes=2048 cpu_quota_us=500000");
  t.equal(await line(d, "limits", 100, /Memory Limit: +(.*)$/m), "2048 bytes");
  await ok("limits 1000 unlimited");
  t.equal(await line(d, "limits", 1000, /CPU Quota: +(.*)$/m), "unlimited");
  await ok("recovery 1000 permissive");
  await ok("fault 1000 MemoryExceeded used=1 limit=0");
  t.equal(await state(d, 1000), "running", "permissive: Alert only");
  t.equal(await line(d, "status", 1000, /^Fault count: (\d+)$/m), "1");

  await ok("throttle 100");
  t.equal(await state(d, 100), "throttled");
  await ok("unthrottle 100");
  t.equal(await state(d, 100), "running");
  await ok("heartbeat 100");
  await ok("compliance 100 HumanOversight reviewer_id=bob action=approved");
  t.match((await d.sh('cat "$M/agents/100/risk"')).stdout, /Human Reviews: +1/);
  await ok("risk 100 High");
  t.match((await d.sh('cat "$M/agents/100/risk"')).stdout, /High \(requires oversight\)/);
  await ok("profile 100 llm 1200 ok");
  await ok("profile 100 llm 800 fail");
  t.match((await d.sh('cat "$M/agents/100/profile"')).stdout, /Success Rate: +50%/);
  await ok("profile-reset 100");
  t.match((await d.sh('cat "$M/agents/100/profile"')).stdout, /No profile data for agent 100/);
  await ok("dep 1000 100 Required");
  t.match((await d.sh('cat "$M/agents/1000/deps"')).stdout, /- Agent 100/);

  await ok("restart 100");
  t.ok(await until(async () => (await state(d, 100)) === "running" && (await line(d, "status", 100, /^Spawn count: (\d+)$/m)) === "2"), "restarted with a new process");

  await ok("stop 100");
  t.ok(await until(async () => (await state(d, 100)) === "exited"), "stopped");
  t.ok(await until(async () => (await state(d, 1000)) !== "running"), "Required dependent stopped by the cascade");
  await ok("reset 100");
  await ok("remove 100");
  t.match(await state(d, 100), /none/, "removed");

  // per-agent ctl takes the same verbs without the id
  await ok("spawn 200 other FsBasic -- sleep 1000");
  await ok("kill", "agents/200/ctl");
  t.ok(await until(async () => (await state(d, 200)) === "exited"));
  t.equal(await line(d, "status", 200, /^Last exit code: (\d+)$/m), "137");
  // the policy file takes patches
  await ok("+Capture", "agents/200/policy");
  t.equal(await line(d, "policy", 200, /^Capability list: (.*)$/m), "FsBasic Capture");
});

t.test("bad input: the shell's write error, nothing changes, last_error says why", async (t) => {
  const d = await startDaemon(t);
  await d.sh('echo "spawn 100 planner FsBasic -- sleep 1000" > "$M/ctl"');
  const before = (await d.sh('cat "$M/telemetry" | sed "s/\\"timestamp\\":[0-9]*//"')).stdout;
  const cases: [string, string, RegExp, RegExp][] = [
    ["ctl", "frobnicate 100", /Invalid argument/, /unknown verb "frobnicate"/],
    ["ctl", "kill abc", /Invalid argument/, /token 1 "abc": expected an agent id/],
    ["ctl", "kill 999", /No such process/, /no such agent/],
    ["ctl", "policy-update 100 +Admin", /Operation not permitted/, /PrivilegeEscalation/],
    ["ctl", "policy-update 100 +Teleport", /Invalid argument/, /unknown capability "Teleport"/],
    ["ctl", "limits 100 memory_limit_bytes=-5", /Invalid argument/, /memory_limit_bytes/],
    ["ctl", "spawn 100 again FsBasic -- sleep 1", /Device or resource busy/, /it is running/],
    ["ctl", "dep 100 100", /Invalid argument/, /cannot depend on itself/],
    ["agents/100/policy", "+Admin", /Operation not permitted/, /PrivilegeEscalation/],
    ["agents/100/ctl", "explode", /Invalid argument/, /unknown verb/],
    ["limits", "cpu_quota_us=abc", /Invalid argument/, /cpu_quota_us/],
    ["recovery", "Crashed=Pray", /Invalid argument/, /Crashed/],
  ];
  for (const [file, cmd, shellErr, reason] of cases) {
    const r = await d.sh(`echo "${cmd}" > "$M/${file}"`);
    t.equal(r.code, 1, `${cmd}: exit status 1`);
    t.match(r.stderr, shellErr, `${cmd}: ${r.stderr.trim()}`);
    const last = (await d.sh('tail -n 1 "$M/last_error"')).stdout;
    t.match(last, reason, `last_error explains "${cmd}": ${last.trim()}`);
  }
  const after = (await d.sh('cat "$M/telemetry" | sed "s/\\"timestamp\\":[0-9]*//"')).stdout;
  const strip = (s: string) => s.replace(/"recent_events":\[.*?\],"total/, '"total');
  t.equal(strip(after), strip(before), "no counter or agent changed");
  t.match((await d.sh('cat "$M/agents/100/policy"')).stdout, /Capability list: FsBasic\n/, "Admin not granted");
});

t.test("several lines per write: all checked first, then applied in order until one is refused", async (t) => {
  const d = await startDaemon(t);
  await d.sh('echo "spawn 100 a none -- sleep 1000" > "$M/ctl"');
  // One write(2) (bash's printf would write line by line): python's os.write.
  const write1 = (text: string) =>
    d.sh(`python3 -c 'import os,sys; fd=os.open(os.environ["M"]+"/ctl", os.O_WRONLY|os.O_TRUNC); os.write(fd, sys.argv[1].encode())' "${text}"`);
  const r = await write1("policy-update 100 +FsBasic\npolicy-update 100 +Bogus\npolicy-update 100 +Capture\n");
  t.equal(r.code, 1);
  t.match(r.stderr, /Invalid argument/);
  t.match((await d.sh('cat "$M/agents/100/policy"')).stdout, /Capability list: \(none\)\n/, "a malformed line: nothing applied");
  const run = await write1("policy-update 100 +FsBasic\npolicy-update 999 +DocBasic\npolicy-update 100 +Capture\n");
  t.equal(run.code, 1);
  t.match((await d.sh('cat "$M/agents/100/policy"')).stdout, /Capability list: FsBasic\n/, "refused at run time: line 1 applied, line 3 not");
  t.match((await d.sh('tail -n 4 "$M/audit"')).stdout, /write ok via=\/ctl\[owner\] "\/ctl: policy-update 100 \+FsBasic"/, "the applied line is audited as accepted");
  const ok = await write1("policy-update 100 +DocBasic\npolicy-update 100 -FsBasic");
  t.equal(ok.code, 0, "a last line without newline counts");
  t.match((await d.sh('cat "$M/agents/100/policy"')).stdout, /Capability list: DocBasic\n/);
  const append = await d.sh('echo "policy-update 100 +Capture" >> "$M/ctl"');
  t.equal(append.code, 0, ">> works (offset ignored)");
});

t.test("ctl answers on the descriptor that wrote", async (t) => {
  const d = await startDaemon(t);
  const py = `
import os, sys
fd = os.open(os.environ["M"] + "/ctl", os.O_RDWR)
os.write(fd, b"spawn 0 x none -- sleep 1000\\n")
print(os.read(fd, 4096).decode(), end="")
try:
    os.write(fd, b"kill 424242\\n")
except OSError as e:
    print("errno", e.errno)
print(os.read(fd, 4096).decode(), end="")
`;
  const r = await d.sh(`python3 -c '${py.replace(/'/g, "'\\''")}'`);
  t.equal(r.stdout, "ok 1000\nerrno 3\nerror ESRCH: Cannot kill agent 424242: no such agent\n", r.stderr);
});

t.test("global limits and recovery files set the defaults", async (t) => {
  const d = await startDaemon(t);
  t.equal((await d.sh('echo "memory_limit_bytes=4096" > "$M/limits"')).code, 0);
  t.match((await d.sh('cat "$M/limits"')).stdout, /memory_limit_bytes=4096\n/);
  t.equal((await d.sh('echo unlimited > "$M/limits"')).code, 0);
  t.match((await d.sh('cat "$M/limits"')).stdout, /^cpu_quota_us=0\n/);
  t.equal((await d.sh('printf "strict\\nSyscallFlood=Alert\\nbase_ms=250\\n" > "$M/recovery"')).code, 0);
  const rec = (await d.sh('cat "$M/recovery"')).stdout;
  t.match(rec, /CpuQuotaExceeded=Kill\n/);
  t.match(rec, /SyscallFlood=Alert\n/);
  t.match(rec, /base_ms=250\n/);
  const audit = (await d.sh('cat "$M/audit"')).stdout;
  t.match(audit, /write ok via=\/recovery/, "control writes are audited");
});

t.test("words are split as sh splits them: sh -c gets its script whole", async (t) => {
  const d = await startDaemon(t);
  // As a user types it: bash's double quotes keep the single quotes, \$\$ reaches ctl as $$.
  const r = await d.sh(`echo "spawn 200 c FsBasic -- sh -c 'sleep 1; kill -SEGV \\$\\$'" > "$M/ctl"`);
  t.equal(r.code, 0, r.stderr);
  t.equal(await state(d, 200), "running", "sh runs its script (sleep 1)");
  const events = async () => (await d.sh('cat "$M/events"')).stdout;
  t.ok(await until(async () => /Fault 200 Crashed signal=11/.test(await events()), 10_000), "the agent dies of SIGSEGV: Fault 200 Crashed signal=11");
  t.equal(await line(d, "status", 200, /^Last exit code: (\d+)$/m), String(128 + 11));
  t.notMatch((await d.sh('cat "$M/agents/200/log"')).stdout, /Unterminated quoted string|Syntax error/, "not of a shell syntax error");

  t.equal((await d.sh(`echo "policy-update 200 scope path='/srv/my dir' max_ops_per_sec=10" > "$M/ctl"`)).code, 0);
  t.equal(await line(d, "policy", 200, /^Scope: +(.*)$/m), "path=/srv/my dir max_ops_per_sec=10", "a quoted scope path");
  t.equal((await d.sh(`echo "fault 200 PolicyViolation reason='wrote /etc'" > "$M/ctl"`)).code, 0);
  t.equal((await d.sh(`echo "fault 200 PolicyViolation reason=can't write /etc" > "$M/ctl"`)).code, 0);
  const ev = await events();
  t.match(ev, /Fault 200 PolicyViolation reason="wrote \/etc"\n/, "a quoted reason is one word");
  t.match(ev, /Fault 200 PolicyViolation reason="can't write \/etc"\n/, "an unquoted one the rest of the line");

  // A quoting error is refused, at its character in the line as written to that file.
  const bad = await d.sh(`echo "fault PolicyViolation reason='oops" > "$M/agents/200/ctl"`);
  t.match(bad.stderr, /Invalid argument/);
  t.match((await d.sh('tail -n 1 "$M/last_error"')).stdout, /unterminated single quote: the ' at character 30 is never closed/);
});
