import { execFile } from "node:child_process";
import { join } from "node:path";
import { childEnv, clean } from "../fs/daemon.ts";

/** Run the built CLI as a subprocess, the way users do; never hangs (20 s timeout). */
export const ROOT = new URL("../../", import.meta.url).pathname;
export const BIN = join(ROOT, "dist/bin/agentsys.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function agentsys(args: string[], env: Record<string, string> = {}, timeout = 20_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(...clean(process.execPath, [BIN, ...args]), { env: childEnv(env), timeout, maxBuffer: 64 << 20, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 124) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A CLI bound to one mount. */
export function cliFor(mount: string) {
  return (...args: string[]) => agentsys(args, { AGENTSYS_ROOT: mount });
}

/** Replace what changes from run to run (pids, uptimes, timestamps) in SIS shell output. */
export function normalize(text: string): string {
  return text
    .replace(/^(\d+ {2,})\d+ +/gm, "$1<pid>  ")
    .replace(/^(PID: +)\d+$/gm, "$1<pid>")
    .replace(/^(Uptime: +)\d+ us$/gm, "$1<us> us")
    .replace(/^(Timestamp: +)\d+$/gm, "$1<ts>")
    .replace(/^( {2}Last Spawn: +)\d+$/gm, "$1<ts>");
}
