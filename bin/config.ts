import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

/** Where things live (SPEC §1): flags beat the environment, which beats the defaults. */
export function defaultMountpoint(env: Record<string, string | undefined> = process.env): string {
  if (env.AGENTSYS_ROOT) return env.AGENTSYS_ROOT;
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  if (uid === 0) return "/run/agentsys";
  return `${env.XDG_RUNTIME_DIR || "/tmp"}/agentsys-${uid}`;
}

/** The state directory (SPEC §1): flag, else $AGENTSYS_STATE, else /var/lib/agentsys for root, else XDG state. */
export function defaultStateDir(env: Record<string, string | undefined> = process.env): string {
  if (env.AGENTSYS_STATE) return env.AGENTSYS_STATE;
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  if (uid === 0) return "/var/lib/agentsys";
  return `${env.XDG_STATE_HOME || `${env.HOME ?? "/tmp"}/.local/state`}/agentsys`;
}

/** The daemon's pid file in the state directory: `<pid>\n<mountpoint>\n` (for `agentsys down`). */
export function pidFile(stateDir: string): string {
  return `${stateDir}/agentsys.pid`;
}

/** This package's version (package.json beside bin/ in the source tree, or above dist/). */
export function packageVersion(): string {
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "agentsys" && pkg.version) return pkg.version;
    } catch {
      // try the next place
    }
  }
  return "unknown";
}

/** Is `pid` an agentsys daemon (`… agentsys… up …`)? Guards against a recycled pid. */
export async function isDaemon(pid: number): Promise<boolean> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
  return argv.some((a) => a.includes("agentsys")) && argv.includes("up");
}

/** The runtime this daemon runs on, as "node 20.20.2" or "deno 2.9.6" (Deno also sets versions.node). */
export function runtimeName(): string {
  const deno = (process.versions as Record<string, string | undefined>).deno;
  return deno ? `deno ${deno}` : `node ${process.versions.node}`;
}

/** A group name or number → gid (from /etc/group, else `getent group`), or undefined. */
export function groupId(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  const fromFile = readFileSync("/etc/group", "utf8").split("\n").map((l) => l.split(":")).find((f) => f[0] === name);
  if (fromFile && /^\d+$/.test(fromFile[2] ?? "")) return Number(fromFile[2]);
  try {
    const out = execFileSync("getent", ["group", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const gid = out.split(":")[2];
    return /^\d+$/.test(gid ?? "") ? Number(gid) : undefined;
  } catch {
    return undefined;
  }
}
