import { readFile } from "node:fs/promises";
import { CliError, intFlag, type CliCommand } from "./cli.ts";
import { defaultStateDir, isDaemon, pidFile } from "./config.ts";
import { TreeClient } from "./tree_client.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * `agentsys down`: find the daemon through the mount (agents.json names its pid), else through
 * the pid file in the state directory, send SIGTERM (agents stopped, tree unmounted) and wait
 * for it to exit.
 */
export const DOWN_COMMAND: CliCommand = {
  name: "down",
  usage: "down [--mount DIR] [--state DIR] [--timeout MS]\n\n  The daemon is found through the mount, else through DIR/agentsys.pid. Waits up to\n  --timeout (default 30000) for it to exit; agents get their stop grace first.",
  flags: { state: { type: "string" }, timeout: { type: "string" } },
  positionals: [0, 0],
  async run(args) {
    const c = new TreeClient(args.flags.mount as string | undefined);
    const timeout = intFlag(args.flags, "timeout", 30_000);
    let pid = 0;
    let how = "";
    try {
      pid = (await c.agents()).daemon?.pid ?? 0;
      how = `serving ${c.mount}`;
    } catch {
      const file = pidFile((args.flags.state as string | undefined) ?? defaultStateDir());
      const text = await readFile(file, "utf8").catch(() => "");
      const [p, mount] = text.split("\n");
      if (/^\d+$/.test(p ?? "") && (args.flags.mount === undefined || mount === c.mount)) {
        pid = Number(p);
        how = `from ${file}`;
      }
    }
    if (pid <= 0 || !alive(pid) || !(await isDaemon(pid))) throw new CliError(`no running agentsys daemon at ${c.mount}`, "ESRCH");
    process.kill(pid, "SIGTERM");
    const end = Date.now() + timeout;
    while (alive(pid)) {
      if (Date.now() > end) throw new CliError(`daemon ${pid} did not exit within ${timeout} ms`, "ETIMEDOUT");
      await sleep(50);
    }
    process.stderr.write(`agentsys: daemon ${pid} (${how}) stopped\n`);
    return 0;
  },
};
