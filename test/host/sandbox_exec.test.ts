import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";

/**
 * The native launcher (native/sandbox_exec.c) through real processes: exit codes, RLIMIT_FSIZE,
 * Landlock, signal scoping, the signal hand-over between its two roles, and the relay — the last
 * inside a real bubblewrap sandbox as an unprivileged uid.
 */
const ROOT = new URL("../../", import.meta.url).pathname;
const EXEC = join(ROOT, "native/build/agentsys-sandbox-exec");
const skip = existsSync(EXEC) ? false : "the launcher is not built (native/build.sh)";
const LANDLOCK = skip ? 0 : Number(/landlock=(\d+)/.exec(execFileSync(EXEC, ["--probe"], { encoding: "utf8" }))?.[1] ?? 0);

/** Without tap's NODE_OPTIONS (its loader is not in a sandbox's view). */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_OPTIONS" && !k.startsWith("_TAPJS_")));

function run(cmd: string, args: string[], opts: { uid?: number; gid?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: "utf8", timeout: 15_000, env: ENV, ...opts }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

t.test("exit codes and errors, as env(1)", { skip }, async (t) => {
  t.match(await run(EXEC, ["--", "true"]), { code: 0 });
  t.match(await run(EXEC, ["--", "sh", "-c", "exit 7"]), { code: 7 });
  t.match(await run(EXEC, ["--", "/no/such/command"]), { code: 127, stderr: /agentsys-sandbox-exec: \/no\/such\/command: No such file or directory/ });
  const plain = join(await mkdtemp(join(tmpdir(), "agentsys-sbx-exec-")), "not-executable");
  await writeFile(plain, "#!/bin/sh\n");
  t.teardown(() => rm(join(plain, ".."), { recursive: true, force: true }));
  t.match(await run(EXEC, ["--", plain]), { code: 126, stderr: /Permission denied/ });
  t.match(await run(EXEC, ["--bogus", "--", "true"]), { code: 125, stderr: /^agentsys-sandbox-exec: unknown option or missing value: --bogus/ });
  t.match(await run(EXEC, ["--fsize", "12k", "--", "true"]), { code: 125, stderr: /--fsize 12k: expected a number of bytes/ });
  t.match(await run(EXEC, ["--ro", "relative", "--", "true"]), { code: 125, stderr: /relative: expected an absolute path/ });
  t.match(await run(EXEC, ["--relay", "x", "--", "true"]), { code: 125, stderr: /--relay x: expected PORT:/ });
  t.match(await run(EXEC, ["--fsize", "1"]), { code: 125, stderr: /no command after --/ });
  t.match(await run(EXEC, ["--probe"]), { code: 0, stdout: /^landlock=\d+\n$/ });
  t.match(await run(EXEC, ["--", "sh", "-c", "grep NoNewPrivs /proc/self/status"]), { stdout: /NoNewPrivs:\s+1/ }, "no_new_privs, always");
});

t.test("--fsize: a write past the limit fails with EFBIG, it does not kill", { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "agentsys-sbx-exec-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await run(EXEC, ["--fsize", "1000", "--", process.execPath, "-e", `try { require("fs").writeFileSync(${JSON.stringify(join(dir, "f"))}, Buffer.alloc(5000)); console.log("wrote") } catch (e) { console.log(e.code) }`]);
  t.equal(r.stdout.trim(), "EFBIG");
  t.equal(r.code, 0, "SIGXFSZ ignored: the process lives on");
  t.match(await run(EXEC, ["--fsize", "1000", "--", "sh", "-c", "ulimit -f"]), { stdout: /^1\n$/, code: 0 }, "in 512-byte blocks, as sh reports it");
});

t.test("Landlock: read beneath --ro, write beneath --rw, nothing else", { skip: skip || (LANDLOCK === 0 ? "no Landlock in this kernel" : false) }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "agentsys-sbx-exec-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "ro"));
  await mkdir(join(dir, "rw"));
  await mkdir(join(dir, "hidden"));
  await writeFile(join(dir, "ro/in"), "readable\n");
  await writeFile(join(dir, "hidden/secret"), "secret\n");
  const sys = ["--ro", "/usr", "--ro", "/etc", "--ro", "/proc", "--ro", "/dev", "--ro", "/bin", "--ro", "/lib", "--ro", "/lib64"];
  const sh = (cmd: string) => run(EXEC, [...sys, "--ro", join(dir, "ro"), "--rw", join(dir, "rw"), "--ro", "/no/such/path", "--", "sh", "-c", cmd]);
  t.match(await sh(`cat ${dir}/ro/in`), { code: 0, stdout: "readable\n" });
  t.match(await sh(`echo x > ${dir}/ro/new`), { code: 2, stderr: /Permission denied/ }, "a read-only path stays read-only (even for root)");
  t.match(await sh(`echo x > ${dir}/rw/new && cat ${dir}/rw/new`), { code: 0, stdout: "x\n" });
  t.match(await sh(`cat ${dir}/hidden/secret`), { code: 1, stderr: /Permission denied/ }, "outside every rule: denied");
  t.match(await sh("echo x > /dev/null && echo ok"), { stdout: "ok\n" }, "/dev/null is always writable");
  t.match(await sh("ls / >/dev/null"), { code: 2 }, "/ itself is not readable");
});

t.test("--scope-signals: no signal leaves the domain", { skip: skip || (LANDLOCK < 6 ? "needs Landlock ABI 6" : false) }, async (t) => {
  const outside = spawn("sleep", ["30"], { stdio: "ignore" });
  t.teardown(() => outside.kill("SIGKILL"));
  const r = await run(EXEC, ["--scope-signals", "--", "sh", "-c", `kill -0 ${outside.pid} 2>&1; echo rc=$?; sh -c 'kill -0 $$' && echo inside-ok`]);
  t.match(r.stdout, /Operation not permitted[\s\S]*rc=1/, "a process outside the domain: EPERM");
  t.match(r.stdout, /inside-ok/, "its own processes: allowed");
});

t.test("--seccomp: no namespaces, mounts, ptrace or keyrings; threads still work", { skip }, async (t) => {
  const r = await run(EXEC, ["--seccomp", "--", "sh", "-c", "unshare -U true 2>&1; mount -t tmpfs x /tmp 2>&1; echo end"]);
  t.match(r.stdout, /unshare failed: Operation not permitted/);
  t.match(r.stdout, /mount: .*(permission denied|must be superuser|Operation not permitted)/i);
  const ptrace = await run(EXEC, ["--seccomp", "--", "/usr/bin/python3", "-c", "import ctypes,os\nl=ctypes.CDLL(None,use_errno=True)\nprint(l.ptrace(0,0,0,0), os.strerror(ctypes.get_errno()))"]);
  t.match(ptrace.stdout, /^-1 Operation not permitted/, "PTRACE_TRACEME: EPERM");
  const node = await run(EXEC, ["--seccomp", "--", "/usr/bin/env", "-u", "NODE_OPTIONS", process.execPath, "-e", 'new (require("worker_threads").Worker)("console.log(\'worker ok\')", { eval: true })']);
  t.equal(node.stdout.trim(), "worker ok", "Node with a worker thread (clone3 → ENOSYS → clone)");
});

t.test("--hold-signals for bwrap, the defaults back for the agent", { skip }, async (t) => {
  // The outer role ignores SIGTERM; the inner one (what runs inside bwrap) restores it.
  const outer = spawn(EXEC, ["--hold-signals", "--", "sleep", "30"], { stdio: "ignore" });
  t.teardown(() => outer.kill("SIGKILL"));
  await new Promise((r) => setTimeout(r, 200));
  outer.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 200));
  t.equal(outer.exitCode, null, "held: SIGTERM ignored");
  const chain = spawn(EXEC, ["--hold-signals", "--", EXEC, "--", "sleep", "30"], { stdio: "ignore" });
  const exited = new Promise<string | null>((r) => chain.once("exit", (_c, sig) => r(sig)));
  await new Promise((r) => setTimeout(r, 200));
  chain.kill("SIGTERM");
  t.equal(await exited, "SIGTERM", "the inner launcher gives the command the default SIGTERM again");
});

t.test("--relay inside bubblewrap: 127.0.0.1:PORT reaches the unix socket outside", { skip: skip || (!existsSync("/usr/bin/bwrap") ? "needs bwrap" : process.getuid?.() !== 0 ? "needs root" : false) }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "agentsys-sbx-exec-"));
  const uid = 0x70000000 + 9999;
  await run("chown", [`${uid}:${uid}`, dir]);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const sock = join(dir, "echo.sock");
  const echo = createServer((c) => c.on("data", (d) => c.write(`echo:${d}`)));
  await new Promise<void>((r) => echo.listen(sock, r));
  await run("chown", [`${uid}:${uid}`, sock]);
  t.teardown(() => new Promise((r) => echo.close(r)));
  const client = `const s=require("net").connect(3128,"127.0.0.1");s.on("data",d=>{console.log(String(d));s.end()});s.on("connect",()=>s.write("ping"));s.on("error",e=>console.log(e.code))`;
  const r = await run(
    "bwrap",
    ["--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--bind", dir, "/run/net", "--ro-bind", EXEC, EXEC, "--", EXEC, "--relay", "3128:/run/net/echo.sock", "--", "/usr/bin/env", "-u", "NODE_OPTIONS", "/usr/bin/node", "-e", client],
    { uid, gid: uid },
  );
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.trim(), "echo:ping");
  t.notOk((await run("ps", ["-eo", "uid,comm"])).stdout.split("\n").some((l) => l.trim() === `${uid} agentsys-relay`), "the relay ended with its sandbox");
});
