import { spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { alive, childEnv, clean, until } from "../fs/daemon.ts";
import { cliFor, ROOT } from "./cli.ts";

/**
 * The README's start command, `npm start`, run as written (set-up included; it finds the build
 * fresh) on a private mountpoint and state directory through the environment variables the
 * README documents, for a few seconds: `status` must show the demo fleet at work. Ctrl-C
 * (SIGINT to the process group) must stop the agents and unmount.
 */
t.test("npm start: the demo fleet on a mounted tree, Ctrl-C cleans up", async (t) => {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  t.match(readme, /^npm start {2,}#/m, "the README's start command is npm start");
  const dir = await mkdtemp(join(tmpdir(), "agentsys-readme-"));
  await chmod(dir, 0o755); // sandboxed agents (their own uids) reach the tree through it
  const mount = join(dir, "mnt");
  const env = childEnv({ AGENTSYS_ROOT: mount, AGENTSYS_STATE: join(dir, "state") });
  // Without tap's NODE_OPTIONS (its loader is nowhere in a sandboxed agent's view).
  const child = spawn(...clean("npm", ["start"]), { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (b) => (log += b));
  child.stderr.on("data", (b) => (log += b));
  const exited = new Promise<string>((r) => child.once("exit", (code, signal) => r(signal ?? String(code))));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
    await new Promise((r) => spawn("fusermount", ["-uz", mount], { stdio: "ignore" }).once("exit", r));
    await rm(dir, { recursive: true, force: true });
  });

  t.ok(await until(() => /fleet .*demo\.yaml: 6 of 6 agents started/.test(log), 60_000, 100), `the demo fleet started\n${log}`);
  const cli = cliFor(mount);
  const status = await cli("status");
  t.match(status.stdout, /Active Agents: +[3-6]\n/);
  const text = (await new Promise<string>((resolve) => {
    let out = "";
    const cat = spawn("cat", [join(mount, "status")]);
    cat.stdout.on("data", (b) => (out += b));
    cat.once("exit", () => resolve(out));
  }));
  for (const id of [100, 101, 102, 103, 104]) t.match(text, new RegExp(`^ +${id} +\\d+ +\\d+ +\\d+ +\\d+ +\\d+$`, "m"), `cat status shows demo agent ${id}`);
  t.ok(await until(async () => {
    const all = JSON.parse((await cli("list", "--json")).stdout) as { name: string; state: string; metrics: { spawn_count: number } }[];
    const crasher = all.find((a) => a.name === "crasher");
    const spinner = all.find((a) => a.name === "spinner");
    return (crasher?.metrics.spawn_count ?? 0) >= 2 && spinner?.state === "throttled";
  }, 20_000, 250), "real activity: the crasher was restarted and the spinner throttled");
  // README's sandbox walk-through: the fetcher is refused with the reason, then granted.
  const fetcherLog = () => new Promise<string>((resolve) => {
    let out = "";
    const cat = spawn("cat", [join(mount, "agents/105/log")]);
    cat.stdout.on("data", (b) => (out += b));
    cat.once("exit", () => resolve(out));
  });
  t.ok(await until(async () => /403 \(NetClient not granted: agent 105 may not connect to example\.com:80 \(grant it: echo \+NetClient > agents\/105\/policy\)\)/.test(await fetcherLog()), 20_000, 250), "the denial says which capability would allow it");
  t.equal((await cli("policy-update", "105", "+NetClient")).code, 0);
  t.ok(await until(async () => /: (502|200)\b/.test((await fetcherLog()).split("\n").filter(Boolean).pop() ?? ""), 20_000, 250), "granted: its next connection goes past the policy");
  const pids = (JSON.parse((await cli("list", "--json")).stdout) as { pid: number }[]).map((a) => a.pid).filter((p) => p > 0);

  process.kill(-child.pid!, "SIGINT");
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still running after 30 s"), 30_000))]);
  // npm re-raises the Ctrl-C on itself (or exits 130); the daemon under it must exit cleanly.
  t.ok(["0", "130", "SIGINT"].includes(code), `npm start ends after Ctrl-C (${code})`);
  t.match(log, /SIGINT: stopping agents and unmounting\n.*agentsys: unmounted\n/, `the daemon stopped cleanly\n${log.slice(-1500)}`);
  t.ok(await until(() => pids.every((p) => !alive(p)), 10_000), "every demo agent was stopped");
  t.notOk((await readFile("/proc/self/mountinfo", "utf8")).includes(mount), "the tree was unmounted");
});
