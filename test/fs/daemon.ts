import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readFile, rm, rmdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Test } from "tap";

/**
 * Test harness for the mounted tree: the daemon runs in a child process (never in the test
 * process: sync access to one's own mount deadlocks), the tests reach the mount through
 * child processes (`sh`) or async fs, and teardown always unmounts.
 */
const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "dist/bin/agentsys.js");
export const DENO = join(ROOT, "node_modules/deno/deno");
let counter = 0;

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Daemon {
  mount: string;
  child: ChildProcess;
  log: () => string;
  /** Run `bash -c cmd` with $M set to the mountpoint; never hangs (10 s timeout). */
  sh(cmd: string, input?: string): Promise<ShResult>;
  /**
   * Stop with a signal and wait for the process to exit; after SIGKILL also for the
   * auto_unmount watchdog to detach the mount (`waitUnmount` false: it was killed too).
   */
  stop(signal?: NodeJS.Signals, waitUnmount?: boolean): Promise<number | null>;
}

/**
 * The environment for processes the tests start: tap's, without its per-process hooks.
 * NODE_OPTIONS imports @tapjs/processinfo into every node child, which wraps spawn and tracks
 * each child (the daemon's agent spawns took ~10 ms instead of ~1 ms under load). Its spawn
 * hook in this process puts NODE_OPTIONS back into any env we pass, so commands are started
 * through `env -u NODE_OPTIONS` (see `clean()`).
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if (k === "NODE_OPTIONS" || k.startsWith("_TAPJS_")) delete env[k];
  return env;
}

/** `[file, args]` that run `cmd args` without tap's NODE_OPTIONS (see `childEnv()`). */
export function clean(cmd: string, args: string[]): [string, string[]] {
  return ["env", ["-u", "NODE_OPTIONS", cmd, ...args]];
}

export function sh(cmd: string, env: Record<string, string> = {}, input?: string, timeout = 10_000): Promise<ShResult> {
  return new Promise((resolve) => {
    const child = execFile(...clean("bash", ["-c", cmd]), { env: childEnv(env), timeout, maxBuffer: 64 << 20, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 124) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Lazily unmount dead test mounts left by an earlier crashed run (ENOTCONN only). */
async function sweepStale(): Promise<void> {
  const info = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  for (const line of info.split("\n")) {
    const mp = line.split(" ")[4];
    if (!mp || !mp.includes("/agentsys-test-")) continue;
    await stat(mp).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOTCONN") await sh(`fusermount -uz '${mp}'`);
    });
  }
}

/**
 * `[file, args]` that run the daemon's script on the runtime under test: Node (this one), or
 * Deno with AGENTSYS_RUNTIME=deno (the `deno` npm package's binary; the daemon picks the
 * /dev/fuse backend there by itself).
 */
function runtime(args: string[]): [string, string[]] {
  if (process.env.AGENTSYS_RUNTIME === "deno") return [DENO, ["run", "-A", ...args]];
  return [process.execPath, [...(process.env.AGENTSYS_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.AGENTSYS_PROF] : []), ...args]];
}

export async function startDaemon(t: Test, extraArgs: string[] = [], mountAt?: string): Promise<Daemon> {
  await sweepStale();
  const mount = mountAt ?? join(tmpdir(), `agentsys-test-${process.pid}-${++counter}`);
  await mkdir(mount, { recursive: true });
  let log = "";
  const state = `${mount}-state`;
  // Sampling changes CPU and memory columns between two reads; tests of the tree's formats
  // and read consistency run without it unless they ask for a window.
  if (!extraArgs.includes("--window")) extraArgs = [...extraArgs, "--window", "0"];
  // Agents run with the host as it is unless a test asks for sandboxes ("--sandbox", a marker
  // of this harness, not a daemon flag): the suites of other features test those features;
  // test/fs/sandbox.test.ts and the suites that opt in test them inside sandboxes.
  const sandboxed = extraArgs.includes("--sandbox");
  extraArgs = extraArgs.filter((a) => a !== "--sandbox");
  if (!sandboxed && !extraArgs.includes("--no-sandbox")) extraArgs = [...extraArgs, "--no-sandbox"];
  // The whole suite can run against either FUSE backend: AGENTSYS_BACKEND=fuse-native npm test.
  if (process.env.AGENTSYS_BACKEND && !extraArgs.includes("--backend")) extraArgs = [...extraArgs, "--backend", process.env.AGENTSYS_BACKEND];
  const child = spawn(...clean(...runtime([BIN, "up", "--mount", mount, "--state", state, ...extraArgs])), { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Cannot start daemon: no "mounted" line in 15 s; log:\n${log}`)), 15_000);
    const check = () => {
      if (log.includes(`mounted ${mount}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on("data", check);
    child.once("exit", () => {
      clearTimeout(timer);
      reject(new Error(`Cannot start daemon: it exited; log:\n${log}`));
    });
  });
  const d: Daemon = {
    mount,
    child,
    log: () => log,
    sh: (cmd, input) => sh(cmd, { M: mount }, input),
    async stop(signal: NodeJS.Signals = "SIGTERM", waitUnmount = signal === "SIGKILL") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
      const code = await exited;
      clearTimeout(timer);
      // After a kill -9 the auto_unmount watchdog detaches the mount a moment later; a new
      // daemon racing it on the same mountpoint is not what these tests are about.
      if (waitUnmount) {
        const end = Date.now() + 5000;
        while (Date.now() < end && (await readFile("/proc/self/mountinfo", "utf8")).split("\n").some((l) => l.split(" ")[4] === mount)) await new Promise((r) => setTimeout(r, 25));
      }
      return code;
    },
  };
  t.teardown(async () => {
    await d.stop();
    await sh(`fusermount -uz '${mount}' 2>/dev/null; true`);
    await rmdir(mount).catch(() => {});
    await rm(state, { recursive: true, force: true });
  });
  return d;
}

/** Poll `fn` until it returns true (or time runs out): no blind sleeps. */
export async function until(fn: () => Promise<boolean> | boolean, timeoutMs = 5000, stepMs = 25): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return fn();
}

/** Does a process run (signal 0, and not a zombie)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie has ended: orphans of a killed daemon are never reaped by this container's init.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Does the daemon startDaemon() starts name its callers (the /dev/fuse backend: as root, under
 * Deno, or asked for)? Then `syscall` is 0666 and an agent's `policy` its user's (SPEC §9).
 */
export const CALLERS_KNOWN = process.env.AGENTSYS_BACKEND ? process.env.AGENTSYS_BACKEND === "devfuse" : process.getuid?.() === 0 || process.env.AGENTSYS_RUNTIME === "deno";
