import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { existsSync } from "node:fs";
import { chmod, chown, copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { CALLERS_KNOWN, startDaemon, until, type Daemon } from "./daemon.ts";

/**
 * Capabilities that bind (SPEC §10, docs/sandbox.md): a hostile agent (fixtures/agents/escape.cjs)
 * tries every way out it can think of, each attempt checked with the errno it sees; the same
 * agent with capabilities granted gets exactly those; patches to a running agent hold at once.
 */
const ROOT = new URL("../../", import.meta.url).pathname;
const ESCAPE = join(ROOT, "fixtures/agents/escape.cjs");
const LAUNCHER = join(ROOT, "native/build/agentsys-sandbox-exec");
const NODE = "/usr/bin/node";
const DYNAMIC = 0x70000000;
const skip =
  process.getuid?.() !== 0 ? "needs root (per-agent uids)" : !existsSync("/usr/bin/bwrap") ? "needs bubblewrap (bin/setup installs it)" : !existsSync(LAUNCHER) ? "needs the launcher (native/build.sh)" : !existsSync(NODE) ? "needs /usr/bin/node" : false;

interface Attempt {
  try: string;
  ok: boolean;
  run: string;
  errno?: string;
  status?: number;
  refused?: string;
  body?: string;
  stdout?: string;
  uid?: number;
  euid?: number;
  [k: string]: unknown;
}

async function attempts(d: Daemon, id: number): Promise<Attempt[]> {
  const log = (await d.sh(`cat "$M/agents/${id}/log"`)).stdout;
  return log
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Attempt);
}

async function agentJson(d: Daemon): Promise<{ daemon: { pid: number }; agents: { agent_id: number; pid: number; state: string }[] }> {
  return JSON.parse((await d.sh('cat "$M/agents.json"')).stdout);
}

function spawnJson(d: Daemon, spec: object) {
  return d.sh(`cat > "$M/ctl"`, `spawn ${JSON.stringify(spec)}\n`);
}

async function httpServer(t: Test): Promise<number> {
  const server: Server = createServer((_req, res) => res.end("hello from the host\n"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

async function workDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "agentsys-sbx-"));
  await chmod(dir, 0o755);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test("a hostile agent without capabilities gets nowhere", { skip, timeout: 60_000 }, async (t) => {
  const d = await startDaemon(t, ["--sandbox", "--grace", "500"]);
  const port = await httpServer(t);
  const work = await workDir(t);
  await writeFile(join(work, "input"), "for the agent\n");
  // A setuid-root copy of id(1): under no_new_privs (and nosuid binds) it cannot elevate.
  await copyFile("/usr/bin/id", join(work, "id-suid"));
  await chmod(join(work, "id-suid"), 0o4755);
  t.match((await d.sh('echo "spawn 7 victim none -- sleep 1000" > "$M/ctl"')).code, 0);
  t.ok(await until(async () => ((await agentJson(d)).agents.find((a) => a.agent_id === 7)?.pid ?? 0) > 0));
  const { daemon, agents } = await agentJson(d);
  const victim = agents.find((a) => a.agent_id === 7)!.pid;
  const tries = [
    "id",
    "read:/root",
    "read:/etc/shadow",
    "read:/home",
    `read:${work}/input`,
    "write:/etc/agentsys-escape",
    "write:/usr/agentsys-escape",
    `write:${work}/escaped`,
    `write:/agentsys-escape`,
    `kill:${victim}`,
    `kill:${daemon.pid}`,
    `ptrace:${victim}`,
    `ptrace:${daemon.pid}`,
    `read:/proc/${victim}/environ`,
    `read:${d.mount}/agents/7/log`,
    `read:${d.mount}/agents/7/spec.json`,
    `read:${d.mount}-state`,
    "open:/dev/fuse",
    `exec:${work}/id-suid`,
    "mount",
    "escape-pidns:987",
    `tcp:127.0.0.1:${port}`,
    `proxy:http://127.0.0.1:${port}/`,
    "sleep:5000",
  ];
  // Alert, not the default Kill, so that the agent lives to report the proxy's answer.
  t.equal((await spawnJson(d, { agent_id: 8, name: "hostile", cwd: work, recovery: { CapabilityViolation: "Alert" }, command: NODE, args: [ESCAPE, ...tries] })).code, 0);
  t.ok(await until(async () => (await attempts(d, 8)).some((a) => a.try.startsWith("proxy:")), 20_000), "the agent reached its last attempt");
  const got = new Map((await attempts(d, 8)).map((a) => [a.try, a]));
  const at = (k: string) => got.get(k) ?? ({ try: k, ok: true, run: "", errno: "(not run)" } as Attempt);
  t.equal(at("id").uid, DYNAMIC + 8, "runs as its own dynamic uid, not root");
  t.equal(at("id").euid, DYNAMIC + 8);
  t.match(at("read:/root"), { ok: false, errno: "ENOENT" }, "/root is not in its view");
  t.match(at("read:/etc/shadow"), { ok: false, errno: "EACCES" });
  t.match(at("read:/home"), { ok: false, errno: "ENOENT" }, "home directories are not in its view");
  t.match(at(`read:${work}/input`), { ok: true }, "its working directory is readable");
  for (const w of ["write:/etc/agentsys-escape", "write:/usr/agentsys-escape", `write:${work}/escaped`, "write:/agentsys-escape"]) {
    t.equal(at(w).ok, false, `${w} refused`);
    t.match(at(w).errno, /^(EROFS|EACCES)$/, `${w}: ${at(w).errno}`);
  }
  t.notOk(existsSync(join(work, "escaped")), "nothing was written in its working directory");
  t.notOk(existsSync("/etc/agentsys-escape"));
  for (const k of [`kill:${victim}`, `kill:${daemon.pid}`]) t.match(at(k), { ok: false, errno: "ESRCH" }, `${k}: outside its pid namespace`);
  for (const k of [`ptrace:${victim}`, `ptrace:${daemon.pid}`]) t.match(at(k), { ok: false, detail: /No such process|Operation not permitted/ }, `${k} refused`);
  t.match(at(`read:/proc/${victim}/environ`), { ok: false, errno: "ENOENT" }, "other agents' /proc is not visible");
  t.match(at(`read:${d.mount}/agents/7/log`), { ok: false, errno: "EACCES" }, "another agent's log through the tree");
  t.match(at(`read:${d.mount}/agents/7/spec.json`), { ok: false, errno: "EACCES" }, "another agent's environment through the tree");
  t.match(at(`read:${d.mount}-state`), { ok: false, errno: "ENOENT" }, "the state directory is not in its view");
  t.match(at("open:/dev/fuse"), { ok: false, errno: "ENOENT" });
  t.match(at(`exec:${work}/id-suid`), { stdout: new RegExp(`^uid=${DYNAMIC + 8}\\b`) }, "the setuid binary ran without elevating");
  t.notMatch(at(`exec:${work}/id-suid`).stdout ?? "", /euid=0/);
  t.match(at("mount"), { ok: false }, "mount and unshare fail");
  t.match(at(`tcp:127.0.0.1:${port}`), { ok: false, errno: "ECONNREFUSED" }, "the host's loopback is not its loopback");
  t.match(at(`proxy:http://127.0.0.1:${port}/`), { ok: false, status: 403, refused: /NetClient/ }, "the proxy refuses and says which capability would allow it");
  t.match((await d.sh('cat "$M/events"')).stdout, /Fault 8 CapabilityViolation attempted="NetClient: connect 127\.0\.0\.1:\d+"/, "the refusal is a fault");
  t.match((await d.sh('cat "$M/agents/8/status"')).stdout, /Sandbox: bwrap\S* uid=1879048200/);
  t.equal((await d.sh('echo "stop 8" > "$M/ctl"')).code, 0);
  t.ok(await until(async () => (await agentJson(d)).agents.find((a) => a.agent_id === 8)?.state === "exited", 10_000));
  t.ok(await until(() => !execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").includes("sleep 987"), 5000), "the setsid grandchild died with the sandbox");
  // With the default recovery, the violation kills the agent.
  t.equal((await spawnJson(d, { agent_id: 16, name: "hostile-default", cwd: work, command: NODE, args: [ESCAPE, `proxy:http://127.0.0.1:${port}/`, "sleep:10000"] })).code, 0);
  t.ok(await until(async () => /Action 16 action=Kill fault=CapabilityViolation/.test((await d.sh('cat "$M/events"')).stdout), 10_000), "Kill, the default action");
  t.ok(await until(async () => (await agentJson(d)).agents.find((a) => a.agent_id === 16)?.state === "exited", 10_000));
});

t.test("the same agent with capabilities granted gets what they say", { skip, timeout: 60_000 }, async (t) => {
  const d = await startDaemon(t, ["--sandbox"]);
  const port = await httpServer(t);
  const work = await workDir(t);
  const scoped = join(work, "scoped");
  // Given to the agent's uid by its operator, as docs/sandbox.md says.
  await mkdir(scoped);
  await chown(scoped, DYNAMIC + 9, DYNAMIC + 9);
  const tries = ["id", `write:${scoped}/out`, `bigwrite:${scoped}/big@4096`, `bigwrite:${scoped}/small@512`, `write:${work}/outside`, `proxy:http://127.0.0.1:${port}/`, `tcp:127.0.0.1:${port}`];
  const spec = { agent_id: 9, name: "granted", cwd: work, capabilities: ["FsBasic", "NetClient"], scope: { path_prefix: scoped, max_file_size: 1024, net: "127.0.0.1" }, command: NODE, args: [ESCAPE, ...tries, "sleep:10000"] };
  t.equal((await spawnJson(d, spec)).code, 0);
  t.ok(await until(async () => (await attempts(d, 9)).some((a) => a.try.startsWith("tcp:")), 20_000));
  const got = new Map((await attempts(d, 9)).map((a) => [a.try, a]));
  t.match(got.get(`write:${scoped}/out`), { ok: true }, "writes under its scope");
  t.match(got.get(`bigwrite:${scoped}/big@4096`), { ok: false, errno: "EFBIG" }, "scope.max_file_size is RLIMIT_FSIZE");
  t.match(got.get(`bigwrite:${scoped}/small@512`), { ok: true });
  t.match(got.get(`write:${work}/outside`), { ok: false }, "still nothing outside the scope");
  t.match(got.get(`proxy:http://127.0.0.1:${port}/`), { ok: true, status: 200, body: /hello from the host/ }, "NetClient with net=127.0.0.1 reaches it through the proxy");
  t.match(got.get(`tcp:127.0.0.1:${port}`), { ok: false, errno: "ECONNREFUSED" }, "and only through the proxy");
  t.match((await d.sh('cat "$M/agents/9/status"')).stdout, /State: running/, "no violation, no fault");
});

t.test("patches hold at once: FsBasic by a restart, NetClient at the next connection", { skip, timeout: 60_000 }, async (t) => {
  const d = await startDaemon(t, ["--sandbox", "--grace", "500"]);
  const port = await httpServer(t);
  const work = await workDir(t);
  const scoped = join(work, "scoped");
  await mkdir(scoped);
  await chown(scoped, DYNAMIC + 10, DYNAMIC + 10);
  const writer = { agent_id: 10, name: "writer", cwd: work, capabilities: ["FsBasic"], scope: { path_prefix: scoped }, command: NODE, args: [ESCAPE, "--every", "200", `write:${scoped}/f`] };
  t.equal((await spawnJson(d, writer)).code, 0);
  t.ok(await until(async () => (await attempts(d, 10)).some((a) => a.ok), 10_000), "writes while it holds FsBasic");
  const before = (await attempts(d, 10))[0].run;
  t.equal((await d.sh('echo "-FsBasic" > "$M/agents/10/policy"')).code, 0);
  t.ok(
    await until(async () => (await attempts(d, 10)).some((a) => a.run !== before && !a.ok), 10_000),
    "restarted into a sandbox without FsBasic, where the same write fails",
  );
  const after = (await attempts(d, 10)).filter((a) => a.run !== before);
  t.notOk(after.some((a) => a.ok), "no write succeeds after the revocation");
  t.match((await d.sh('cat "$M/audit"')).stdout, /sandbox-restart.*policy narrowed: no longer write under/);
  // Widening waits for the next start, and says so.
  t.equal((await d.sh('echo "+FsBasic" > "$M/agents/10/policy"')).code, 0);
  t.match((await d.sh('cat "$M/agents/10/status"')).stdout, /restart pending: write under/);

  const fetcher = { agent_id: 11, name: "fetcher", cwd: work, recovery: { CapabilityViolation: "Alert" }, capabilities: ["NetClient"], scope: { net: "127.0.0.1" }, command: NODE, args: [ESCAPE, "--every", "200", `proxy:http://127.0.0.1:${port}/`] };
  t.equal((await spawnJson(d, fetcher)).code, 0);
  t.ok(await until(async () => (await attempts(d, 11)).some((a) => a.ok), 10_000), "connects while it holds NetClient");
  t.equal((await d.sh('echo "-NetClient" > "$M/agents/11/policy"')).code, 0);
  t.ok(await until(async () => (await attempts(d, 11)).some((a) => a.status === 403), 10_000), "its next connection is refused");
  t.match((await attempts(d, 11)).find((a) => a.status === 403), { refused: /NetClient not granted/ });
  t.match((await d.sh('cat "$M/events"')).stdout, /CapabilityViolation/);
});

t.test("sandbox settings are validated like everything else", { skip, timeout: 60_000 }, async (t) => {
  const d = await startDaemon(t, ["--sandbox"]);
  const bad = await d.sh('echo "spawn 12 x none sandbox=maybe -- true" > "$M/ctl"');
  t.not(bad.code, 0, "an unknown sandbox value is refused");
  t.match((await d.sh('cat "$M/last_error"')).stdout, /sandbox/);
  const badNet = await spawnJson(d, { agent_id: 13, name: "y", capabilities: ["NetClient"], scope: { net: "exa mple.com" }, command: "sleep", args: ["100"] });
  t.not(badNet.code, 0, "a bad allowlist in a spec is refused");
  t.notMatch((await d.sh('cat "$M/agents.json"')).stdout, /"agent_id":1[23]\b/, "nothing half-applied");
  t.equal((await d.sh('echo "spawn 14 z NetClient -- sleep 100" > "$M/ctl"')).code, 0);
  const patch = await d.sh(`echo "scope net=..bad" > "$M/agents/14/policy"`);
  t.not(patch.code, 0, "a bad allowlist in a patch is refused");
  t.match((await d.sh('cat "$M/agents/14/policy"')).stdout, /Scope:\s+\(unrestricted\)/, "the policy is unchanged");
  t.equal((await d.sh(`echo "scope net=api.example.com,*.pypi.org:443" > "$M/agents/14/policy"`)).code, 0);
  t.match((await d.sh('cat "$M/agents/14/policy"')).stdout, /net=api\.example\.com,\*\.pypi\.org:443/);
  // An agent that needs the host as it is says so; the daemon's owner can turn sandboxes off.
  t.equal((await d.sh('echo "spawn 15 host none sandbox=none -- sleep 100" > "$M/ctl"')).code, 0);
  t.match((await d.sh('cat "$M/agents/15/status"')).stdout, /Sandbox: none/);
  // FsBasic on a directory the agent's uid cannot write: it starts, and its status says why writes fail.
  t.equal((await spawnJson(d, { agent_id: 17, name: "w", capabilities: ["FsBasic"], scope: { path_prefix: "/usr" }, command: "sleep", args: ["100"] })).code, 0);
  t.match((await d.sh('cat "$M/agents/17/status"')).stdout, /Sandbox: .*warning: \/usr is not writable by uid 1879048209 \(owner 0, mode 755\): chown it/);
  t.match(d.log(), /sandbox: bwrap/);
  const off = await startDaemon(t, ["--no-sandbox"]);
  t.match(off.log(), /sandbox: off \(--no-sandbox\)/);
});

t.test("inside the sandbox the shim and agents/self work, as the agent itself", { skip, timeout: 60_000 }, async (t) => {
  const d = await startDaemon(t, ["--sandbox", "--backend", "devfuse"]);
  t.equal((await d.sh('echo "spawn 301 other FsBasic -- sleep 1000" > "$M/ctl"')).code, 0);
  // DocBasic only: dropping FsBasic would narrow the sandbox and restart the probe mid-run.
  t.equal((await d.sh(`echo "spawn 300 probe DocBasic -- ${NODE} ${ROOT}fixtures/agents/shim-probe.mjs 301" > "$M/ctl"`)).code, 0);
  let out = "";
  t.ok(await until(async () => (out = (await d.sh('cat "$M/agents/300/log"')).stdout).includes("done"), 15_000), `the probe ran: ${out}`);
  const got = new Map(out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { try: string; ret: number | string; text?: string }).map((r) => [r.try, r]));
  const EPERM = -1;
  t.equal(got.get("heartbeat self (agent 0)")?.ret, 0, "the shim answers the sandboxed agent as itself");
  t.match(got.get("info self (agent 0)")?.text, /Agent ID: +300/);
  t.equal(got.get("kill other")?.ret, EPERM, "and only for itself");
  t.equal(got.get("add Capture to self")?.ret, EPERM);
  t.equal(got.get("text: heartbeat self")?.ret, "ok", "agents/self/ctl");
  t.equal(got.get("text: add Capture to self")?.ret, "EPERM", "its own policy file takes only drops");
  t.equal(got.get("text: kill other")?.ret, "EACCES", "the daemon's /ctl is not the agent's to open");
  t.match((await d.sh('cat "$M/agents/301/status"')).stdout, /State: +running/);
  // A user who is neither the owner nor an agent may not use the looser modes.
  const nobody = await d.sh(`setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo "+Capture" > "$M/agents/300/policy"; echo heartbeat > "$M/syscall"' 2>&1`);
  t.match(nobody.stdout, /agents\/300\/policy: Permission denied/, "nobody: EACCES opening the agent's policy");
  t.match((await d.sh('cat "$M/last_error"')).stdout, /\/syscall EACCES: \/syscall: only the daemon's owner, and agents for themselves, may write here/, "and writing the shim's file");
  t.notMatch((await d.sh('cat "$M/agents/300/policy"')).stdout, /Capture/);
});

t.test("a working directory out of the agent's reach is refused at spawn, with the reason", { skip, timeout: 30_000 }, async (t) => {
  const d = await startDaemon(t, ["--sandbox"]);
  const closed = await mkdtemp(join(tmpdir(), "agentsys-sbx-closed-"));
  t.teardown(() => rm(closed, { recursive: true, force: true }));
  const r = await spawnJson(d, { agent_id: 18, name: "lost", cwd: closed, command: "sleep", args: ["100"] });
  t.not(r.code, 0);
  t.match(r.stderr, /Permission denied/);
  t.match((await d.sh('cat "$M/last_error"')).stdout, new RegExp(`its working directory ${closed} is out of reach of its uid 1879048210: ${closed} is mode 700, owner 0`));
});

t.test("scope.max_ops_per_sec: past its rate on the tree, the agent gets EAGAIN", { skip: skip || (!CALLERS_KNOWN ? "the rate is the identified agent's: needs the /dev/fuse backend" : false), timeout: 30_000 }, async (t) => {
  const d = await startDaemon(t, ["--sandbox"]);
  const loop = 'for i in $(seq 30); do if echo heartbeat > "$AGENTSYS_ROOT/agents/self/ctl"; then echo ok; else echo refused; fi; done 2>&1; sleep 30';
  t.equal((await spawnJson(d, { agent_id: 19, name: "chatty", scope: { max_ops_per_sec: 5 }, command: "sh", args: ["-c", loop] })).code, 0);
  let out = "";
  t.ok(await until(async () => (out = (await d.sh('cat "$M/agents/19/log"')).stdout).split("\n").filter((l) => l === "ok" || l === "refused").length === 30, 10_000));
  const ok = out.split("\n").filter((l) => l === "ok").length;
  t.ok(ok >= 5 && ok <= 8, `a burst of 5, then 5 a second: ${ok} of 30 went through`);
  t.ok(out.split("\n").filter((l) => l === "refused").length >= 22, "the rest were refused");
  t.match((await d.sh('cat "$M/last_error"')).stdout, /EAGAIN: agent 19 is over its scope max_ops_per_sec=5/);
});

t.test("a sandboxed agent left running by --keep-agents is re-adopted in its sandbox", { skip, timeout: 60_000 }, async (t) => {
  const d = await startDaemon(t, ["--sandbox", "--keep-agents"]);
  t.equal((await d.sh('echo "spawn 20 kept none -- sleep 1000" > "$M/ctl"')).code, 0);
  const pid = (await agentJson(d)).agents.find((a) => a.agent_id === 20)!.pid;
  t.teardown(() => {
    try {
      process.kill(-pid, "SIGKILL"); // a pid this test started (through its daemon)
    } catch {
      /* gone */
    }
  });
  t.equal(await d.stop("SIGTERM"), 0);
  const again = await startDaemon(t, ["--sandbox"], d.mount);
  t.ok(await until(async () => (await agentJson(again)).agents.find((a) => a.agent_id === 20)?.pid === pid, 10_000), "re-adopted, same process");
  t.match((await again.sh('cat "$M/agents/20/status"')).stdout, /Sandbox: bwrap\S* uid=1879048212\n/, "still in its sandbox");
  t.equal((await again.sh('echo "+NetClient" > "$M/agents/20/policy"')).code, 0);
  // Its proxy is served again by the new daemon, at the socket bound into its sandbox.
  const sock = join(tmpdir(), `agentsys-net-${createHash("sha256").update(`${d.mount}-state`).digest("hex").slice(0, 16)}`, "20", "proxy.sock");
  const answer = await new Promise<string>((resolve) => {
    let out = "";
    const c = connect(sock, () => c.end("GET http://127.0.0.1:1/ HTTP/1.1\r\n\r\n"));
    c.on("data", (b) => (out += b));
    c.on("close", () => resolve(out));
    c.on("error", (e) => resolve(String(e)));
  });
  // NetClient granted now, so the answer is the private-address rule's, not NetClient's.
  t.match(answer, /^HTTP\/1\.1 403 Forbidden\r\nX-Agentsys-Refused: 127\.0\.0\.1 is a private address/, "the new daemon answers on the re-adopted agent's socket, from the live policy");
});
