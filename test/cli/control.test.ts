import { spawn } from "node:child_process";
import t from "tap";
import { alive, childEnv, clean, startDaemon, until } from "../fs/daemon.ts";
import { BIN, cliFor } from "./cli.ts";

const FIXTURES = new URL("../../fixtures/agents/", import.meta.url).pathname;

/** Follow a streaming command (`events -f`, `logs -f`) until `want` appears, then stop it. */
function followUntil(mount: string, args: string[], want: RegExp, act: () => Promise<unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(...clean(process.execPath, [BIN, ...args]), { env: childEnv({ AGENTSYS_ROOT: mount }), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`"${args.join(" ")}" never printed ${want}; got:\n${out}`));
    }, 15_000);
    child.stdout.on("data", (b) => {
      out += b;
      if (want.test(out)) {
        clearTimeout(timer);
        child.kill("SIGTERM");
        resolve(out);
      }
    });
    // Start acting once the follower has printed its first snapshot (or had nothing to print).
    setTimeout(() => void act().catch(reject), 500);
  });
}

t.test("control commands change the daemon, and refusals change nothing", async (t) => {
  const d = await startDaemon(t, ["--grace", "1000"]);
  const cli = cliFor(d.mount);
  const json = async (id: number) => JSON.parse((await cli("info", String(id), "--json")).stdout);
  t.equal((await cli("spawn", "100", "planner", "FsBasic", "auto_restart=true", "--", "sleep", "600")).code, 0);
  const first = await json(100);

  t.test("policy-update: granted, revoked, Admin refused with EPERM", async (t) => {
    t.same(await cli("policy-update", "100", "+DocBasic"), { code: 0, stdout: "", stderr: "" });
    t.same((await json(100)).capabilities, ["FsBasic", "DocBasic"]);
    t.equal((await cli("policy-update", "100", "-FsBasic")).code, 0);
    const admin = await cli("policy-update", "100", "+Admin");
    t.equal(admin.code, 1);
    t.match(admin.stderr, /^agentsys policy-update: EPERM: .*Admin.*\n$/);
    t.same((await json(100)).capabilities, ["DocBasic"], "nothing changed");
    t.match(await cli("policy-update", "100", "+Bogus"), { code: 1, stderr: /EINVAL/ });
    t.equal((await cli("policy-update", "100", "scope", "path=/srv", "max_ops_per_sec=10")).code, 0);
    t.same((await json(100)).policy.scope, { path_prefix: "/srv", max_ops_per_sec: 10 });
    t.equal((await cli("policy-update", "100", "restart", "7")).code, 0);
    t.equal((await json(100)).max_restarts, 7);
    t.equal((await cli("policy-update", "100", "scope", "path=/srv/my dir")).code, 0, "each argument one word");
    t.same((await json(100)).policy.scope, { path_prefix: "/srv/my dir" });
  });

  t.test("restart gives a new process; stop ends it for good; reset; kill", async (t) => {
    t.equal((await cli("restart", "100")).code, 0);
    t.ok(await until(async () => (await json(100)).pid !== first.pid && (await json(100)).state === "running"), "restarted with a new pid");
    t.ok(await until(() => !alive(first.pid)), "the old process is gone");
    const second = await json(100);
    t.equal((await cli("stop", "100")).code, 0);
    t.ok(await until(async () => (await json(100)).state === "exited"), "stop: exited, no restart");
    t.notOk(alive(second.pid));
    t.equal((await cli("reset", "100")).code, 0);
    t.equal((await cli("restart", "100")).code, 0, "an exited agent can be restarted");
    t.ok(await until(async () => (await json(100)).state === "running"));
    const third = await json(100);
    t.equal((await cli("kill", "100")).code, 0);
    t.ok(await until(async () => !alive(third.pid) && (await json(100)).state === "exited"), "kill: gone at once, no restart");
    t.match(await cli("kill", "999"), { code: 1, stderr: /^agentsys kill: ESRCH: .*999.*\n$/ });
    t.match(await cli("stop", "x"), { code: 2 });
  });

  t.test("spawn passes each argument as one word, spaces and quotes included", async (t) => {
    t.equal((await cli("spawn", "210", "my agent", "none", "max_restarts=2", "--", "sleep", "600")).code, 0);
    const a = await json(210);
    t.equal(a.name, "my agent");
    t.equal(a.max_restarts, 2);
    t.match(await cli("spawn", "211", "x", "none", "it's=1", "--", "sleep", "600"), { code: 1, stderr: /EINVAL/ }, "an unknown key, however quoted, is refused");
    t.equal((await cli("kill", "210")).code, 0);
  });

  t.test("spawn refusals: bad capability, taken id, bad syntax", async (t) => {
    t.match(await cli("spawn", "200", "x", "Bogus", "--", "sleep", "1"), { code: 1, stderr: /EINVAL/ });
    t.equal((await cli("spawn", "201", "x", "none", "--", "sleep", "600")).code, 0);
    t.match(await cli("spawn", "201", "x", "none", "--", "sleep", "600"), { code: 1, stderr: /EBUSY/ });
    t.match(await cli("spawn", "201", "x"), { code: 2, stderr: /missing argument/ });
    t.match(await cli("spawn", "200", "x", "none", "pid=5", "--", "sleep", "1"), { code: 2, stderr: /pid=N/ });
    t.match(await cli("spawn", "200", "x", "none", "--", "/nonexistent/agent"), { code: 1, stderr: /ENOENT/ });
    const list = JSON.parse((await cli("list", "--json")).stdout).map((a: { agent_id: number }) => a.agent_id);
    t.notOk(list.includes(200), "refused spawns registered nothing");
  });

  t.test("profile-reset clears samples", async (t) => {
    t.equal((await d.sh(`echo "profile 201 op 100 ok" > $M/ctl`)).code, 0);
    t.equal(JSON.parse((await cli("profile", "201", "--json")).stdout).total_operations, 1);
    t.equal((await cli("profile-reset", "201")).code, 0);
    t.equal(JSON.parse((await cli("profile", "201", "--json")).stdout), null);
    t.equal((await cli("profile-reset")).code, 0);
  });

  t.test("events -f and audit -f print new entries as they happen", async (t) => {
    const ev = await followUntil(d.mount, ["events", "-f", "-n", "1"], /Spawn 300 pid=\d+/, () => cli("spawn", "300", "late", "none", "--", "sleep", "600"));
    t.match(ev, /Spawn 300/);
    const au = await followUntil(d.mount, ["audit", "-f", "--agent", "300", "--json"], /"result":"ok"/, () => cli("policy-update", "300", "+FsBasic"));
    const last = JSON.parse(au.trim().split("\n").pop()!);
    t.equal(last.agent_id, 300);
  });

  t.test("logs -f follows the agent's output", async (t) => {
    t.equal((await cli("spawn", "301", "beat", "none", "--", process.execPath, `${FIXTURES}heartbeat.cjs`)).code, 0);
    const out = await followUntil(d.mount, ["logs", "301", "-f"], /beat [3-9]/, async () => {});
    t.match(out, /beat 1\n(.|\n)*beat [3-9]/);
  });
});
