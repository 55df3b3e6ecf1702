import t from "tap";
import { Spawner, type SpawnResult } from "../../host/spawner.ts";
import { alive, until } from "../fs/daemon.ts";

/**
 * The spawner process (restarts are forked there, not in the daemon): real exit codes and
 * signals, not-found commands as errors, notify readiness, and agents that outlive a dead
 * spawner are still watched (through /proc, exit status unknown: 255).
 */
const base = { args: [] as string[], env: { PATH: process.env.PATH }, logPath: null, notify: false, pidsDir: null, ownTasks: null };

function started(r: SpawnResult): Extract<SpawnResult, { pid: number }> {
  if ("error" in r) throw new Error(`spawn failed: ${r.code}: ${r.error}`);
  return r;
}

const exitOf = (p: NodeJS.EventEmitter) => new Promise<[number | null, string | null]>((resolve) => p.once("exit", (code, signal) => resolve([code, signal])));

t.test("spawns, reports exits with their codes and signals, and refuses unknown commands", async (t) => {
  const sp = new Spawner(() => ["ignore", "ignore", "ignore"], () => {});
  t.teardown(() => sp.close());
  const a = started(await sp.spawn({ ...base, command: "sh", args: ["-c", "exit 7"] }));
  t.same(await exitOf(a.proc), [7, null], "exit code");
  const b = started(await sp.spawn({ ...base, command: "sleep", args: ["30"] }));
  t.ok(alive(b.pid));
  process.kill(b.pid, "SIGSEGV");
  t.same(await exitOf(b.proc), [null, "SIGSEGV"], "signal");
  const c = await sp.spawn({ ...base, command: "/nonexistent/agent" });
  t.equal("error" in c && c.code, "ENOENT", "an unknown command is an error, not a process");
});

t.test("notify readiness travels from the agent's fd 3", async (t) => {
  const sp = new Spawner(() => ["ignore", "ignore", "ignore"], () => {});
  t.teardown(() => sp.close());
  const a = started(await sp.spawn({ ...base, command: "sh", args: ["-c", "sleep 0.1; echo >&3; sleep 30"], notify: true }));
  await new Promise<void>((resolve) => a.proc.once("ready", () => resolve()));
  t.pass("ready");
  const exited = exitOf(a.proc);
  process.kill(-a.pid, "SIGKILL"); // its process group: the shell and its sleep
  await exited;
});

t.test("agents outlive a dead spawner and are still watched; the next spawn starts a new spawner", async (t) => {
  const started1: number[] = [];
  const sp = new Spawner(() => ["ignore", "ignore", "ignore"], () => {}, (pid) => started1.push(pid));
  t.teardown(() => sp.close());
  const a = started(await sp.spawn({ ...base, command: "sleep", args: ["30"] }));
  t.equal(started1.length, 1);
  process.kill(started1[0], "SIGKILL");
  t.ok(await until(() => !alive(started1[0]), 5000), "the spawner is gone");
  t.ok(alive(a.pid), "its agent runs on");
  const exited = exitOf(a.proc);
  process.kill(a.pid, "SIGKILL");
  t.same(await exited, [255, null], "its exit is noticed through /proc (status unknown: 255)");
  const b = started(await sp.spawn({ ...base, command: "sh", args: ["-c", "exit 0"] }));
  t.equal(started1.length, 2, "a new spawner");
  t.same(await exitOf(b.proc), [0, null]);
});
