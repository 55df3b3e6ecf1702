/**
 * The spawner process (see spawner.ts): starts agents for the daemon and reports their exits.
 * It exists because fork(2) copies the page tables of the process that calls it: from the
 * daemon (~150 MB resident under load) a spawn blocked its event loop, and every FUSE request
 * with it, for 8–14 ms on this machine kind; from this small process it costs ~1 ms and blocks
 * nothing the daemon does.
 *
 * Protocol, one JSON object per line. In (stdin): SpawnRequest. Out (stdout): `{seq, pid}` or
 * `{seq, error, code}` per request, in order; `{exit: pid, code, signal}` when an agent ends;
 * `{ready: pid}` when an agent with notify readiness writes a newline to its notify fd. At the
 * end of stdin (the daemon stopped or died) it exits and leaves the agents running: they are
 * in their own process groups, and the next daemon re-adopts them.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";

export interface SpawnRequest {
  seq: number;
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string | undefined>;
  uid?: number;
  gid?: number;
  /** Output file (appended), or null for none. */
  logPath: string | null;
  /** Give the agent a notify pipe at fd 3 (AGENTSYS_NOTIFY_FD=3 is in `env`). */
  notify: boolean;
  /** The agent's pids cgroup (v1) to be born in, and this process's own `tasks` to return to. */
  pidsDir: string | null;
  ownTasks: string | null;
}

function send(msg: object): void {
  process.stdout.write(JSON.stringify(msg) + "\n");
}

function start(req: SpawnRequest): void {
  let logFd = -1;
  try {
    if (req.logPath) logFd = openSync(req.logPath, "a", 0o600); // made by the daemon first, with its mode (AgentLogs)
  } catch {
    /* output discarded */
  }
  const out = logFd >= 0 ? logFd : "ignore";
  let entered = false;
  if (req.pidsDir && req.ownTasks) {
    try {
      writeFileSync(`${req.pidsDir}/tasks`, String(process.pid)); // main thread: tid = pid
      entered = true;
    } catch {
      /* the daemon moves the agent in after the reply */
    }
  }
  try {
    const child = spawn(req.command, req.args, {
      cwd: req.cwd,
      env: req.env,
      detached: true,
      stdio: req.notify ? ["ignore", out, out, "pipe"] : ["ignore", out, out],
      ...(req.uid !== undefined ? { uid: req.uid, gid: req.gid } : {}),
    });
    child.on("error", () => {});
    if (child.pid === undefined) {
      send({ seq: req.seq, error: `could not run "${req.command}" (not found or not executable)`, code: "ENOENT" });
      return;
    }
    const pid = child.pid;
    send({ seq: req.seq, pid });
    if (req.notify) {
      const pipe = child.stdio[3] as NodeJS.ReadableStream | null;
      pipe?.on("data", (chunk: Buffer) => {
        if (chunk.includes(10)) send({ ready: pid });
      });
      pipe?.on("error", () => {});
    }
    child.on("exit", (code, signal) => send({ exit: pid, code, signal }));
  } catch (e) {
    send({ seq: req.seq, error: (e as Error).message, code: (e as NodeJS.ErrnoException).code ?? "EINVAL" });
  } finally {
    if (entered) {
      try {
        writeFileSync(req.ownTasks!, String(process.pid));
      } catch {
        /* stays counted in the agent's group until it exits: harmless */
      }
    }
    if (logFd >= 0) closeSync(logFd);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let req: SpawnRequest;
  try {
    req = JSON.parse(line) as SpawnRequest;
  } catch {
    return;
  }
  start(req);
});
lines.on("close", () => process.exit(0));
process.stdout.on("error", () => process.exit(0)); // the daemon is gone
