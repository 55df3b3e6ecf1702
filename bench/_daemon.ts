/**
 * Start and stop an agentsys daemon for the benches (private to bench/): a child process on a
 * private mountpoint and state directory; this process stays a client of the mount.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";

const BIN = join(new URL("../../", import.meta.url).pathname, "dist/bin/agentsys.js"); // dist/bench → repo

const DENO = join(new URL("../../", import.meta.url).pathname, "node_modules/deno/deno");

/**
 * Start `agentsys up` on `mnt` with `args` and wait for its "mounted" line; on Node, or on
 * Deno (the `deno` npm package's binary). The daemon's log goes to a file (`<mnt>-daemon.log`),
 * not a pipe: the benches are clients that block on the mount (a synchronous write of 1000
 * spawn lines), and a daemon logging into a full pipe nobody reads while it answers them never
 * answers — bench:host and bench:peers hung so.
 */
export async function startAgentsys(mnt: string, args: string[], runtime: "node" | "deno" = "node"): Promise<ChildProcess> {
  mkdirSync(mnt, { recursive: true });
  const [cmd, pre] = runtime === "deno" ? [DENO, ["run", "-A"]] : [process.execPath, []];
  const logPath = `${mnt}-daemon.log`;
  const logFd = openSync(logPath, "w");
  const child = spawn(cmd, [...pre, BIN, "up", "--mount", mnt, "--state", `${mnt}-state`, ...args], { stdio: ["ignore", "ignore", logFd] });
  closeSync(logFd);
  const log = () => readFileSync(logPath, "utf8");
  const end = Date.now() + 15_000;
  while (!log().includes(`mounted ${mnt}`)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Cannot start agentsys: it exited: ${log()}`);
    if (Date.now() > end) throw new Error(`Cannot start agentsys: no "mounted" line in 15 s: ${log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return child;
}

/** SIGTERM a FUSE server (agentsys or the C reference), wait, and make sure nothing stays mounted. */
export async function stopServer(child: ChildProcess, mnt: string): Promise<void> {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  spawnSync("fusermount", ["-uz", mnt], { stdio: "ignore" });
}
