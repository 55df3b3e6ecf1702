/**
 * Start and stop an agentsys daemon for the benches (private to bench/): a child process on a
 * private mountpoint and state directory; this process stays a client of the mount.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const BIN = join(new URL("../../", import.meta.url).pathname, "dist/bin/agentsys.js"); // dist/bench → repo

const DENO = join(new URL("../../", import.meta.url).pathname, "node_modules/deno/deno");

/**
 * Start `agentsys up` on `mnt` with `args` and wait for its "mounted" line; on Node, or on
 * Deno (the `deno` npm package's binary).
 */
export async function startAgentsys(mnt: string, args: string[], runtime: "node" | "deno" = "node"): Promise<ChildProcess> {
  mkdirSync(mnt, { recursive: true });
  const [cmd, pre] = runtime === "deno" ? [DENO, ["run", "-A"]] : [process.execPath, []];
  const child = spawn(cmd, [...pre, BIN, "up", "--mount", mnt, "--state", `${mnt}-state`, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Cannot start agentsys: no "mounted" line in 15 s: ${log}`)), 15_000);
    child.stderr!.on("data", (d) => {
      log += d;
      if (log.includes(`mounted ${mnt}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

/** SIGTERM a FUSE server (agentsys or the C reference), wait, and make sure nothing stays mounted. */
export async function stopServer(child: ChildProcess, mnt: string): Promise<void> {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  spawnSync("fusermount", ["-uz", mnt], { stdio: "ignore" });
}
