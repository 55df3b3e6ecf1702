import { execFileSync } from "node:child_process";
import t from "tap";
import { CALLERS_KNOWN, sh, startDaemon } from "./daemon.ts";

/**
 * Access control (SPEC §9) as the kernel enforces it with default_permissions:
 * everyone reads, control files are the daemon owner's, an agent running as another user owns
 * its own agents/<id>/ctl (self-service verbs only) and nothing of other agents.
 */
const USERS = ["agentsys-test-a", "agentsys-test-b"];

t.test("unprivileged users: read yes, control no; an agent acts only on itself", { skip: process.getuid?.() !== 0 ? "needs root (useradd, setpriv)" : false }, async (t) => {
  const created: string[] = [];
  for (const u of USERS) {
    if ((await sh(`id -u ${u}`)).code !== 0) {
      execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", u]);
      created.push(u);
    }
  }
  const d = await startDaemon(t).catch(async (e) => {
    for (const u of created) await sh(`userdel ${u}`);
    throw e;
  });
  t.teardown(async () => {
    await d.stop(); // the users' agents end with the daemon; then the users can go
    for (const u of created) await sh(`userdel ${u}`);
  });
  await d.sh("chmod 755 $M"); // the mountpoint directory itself (the tree inside has its own modes)
  for (const [id, u] of [[100, USERS[0]], [101, USERS[1]]] as const) {
    const r = await d.sh(`echo '${JSON.stringify({ agent_id: id, name: u, user: u, command: "sleep", args: ["600"] })}' | sed 's/^/spawn /' > $M/ctl`);
    t.equal(r.code, 0, r.stderr);
  }
  const as = (u: string, cmd: string) => d.sh(`setpriv --reuid=${u} --regid=${u} --clear-groups bash -c '${cmd}'`);
  const a = USERS[0];

  const status = await as(a, "cat $M/status");
  t.equal(status.code, 0, "an unprivileged user reads status");
  t.match(status.stdout, /Active Agents: +2/);
  t.equal((await as(a, "cat $M/agents/101/status > /dev/null")).code, 0, "and other agents' files");

  const ctl = await as(a, "echo kill 101 > $M/ctl");
  t.not(ctl.code, 0);
  t.match(ctl.stderr, /Permission denied/, "EACCES on the daemon's ctl");
  t.not((await as(a, "echo memory_limit_bytes=1 > $M/limits")).code, 0, "and on the defaults");
  t.match((await as(a, "printf x > $M/syscall")).stderr, /Permission denied/, "and on the shim");

  const own = await as(a, "echo heartbeat > $M/agents/100/ctl");
  t.equal(own.code, 0, `an agent's user writes its own ctl ${own.stderr}`);
  const other = await as(a, "echo kill > $M/agents/101/ctl");
  t.match(other.stderr, /Permission denied/, "but not another agent's");
  const lift = await as(a, "echo limits cpu_quota_us=0 > $M/agents/100/ctl");
  t.match(lift.stderr, /Operation not permitted/, "nor lift its own limits (EPERM: self-service verbs only)");
  t.match((await as(a, "echo +Capture > $M/agents/100/policy")).stderr, /Permission denied/, "nor grant itself capabilities");
  const stat = await d.sh("stat -c '%U %a' $M/agents/100/ctl $M/agents/100/policy $M/ctl");
  // SPEC §9: the agent's user owns its policy too, where the daemon can tell who writes.
  t.equal(stat.stdout, `${a} 200\n${CALLERS_KNOWN ? a : "root"} 644\nroot 600\n`, "owners and modes");
  const caps = await d.sh("grep 'Capability list' $M/agents/100/policy");
  t.equal(caps.stdout, "Capability list: (none)\n", "nothing changed");
  const audit = await d.sh("grep -cF 'EPERM via=/agents/100/ctl[agent-user:' $M/audit");
  t.equal(audit.stdout.trim(), "1", "the refused self-service write is audited");
});
