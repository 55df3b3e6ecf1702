import { spawnSync } from "node:child_process";
import { accessSync, constants as fsc, existsSync, lstatSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isBeneath, type SandboxView } from "../lib/mod.ts";

/**
 * The sandbox an agent starts in (docs/sandbox.md): bubblewrap for the namespaces and the
 * view of the file system, then the native launcher (native/sandbox_exec.c) for what
 * bubblewrap cannot do — Landlock as a second fence around the same view, RLIMIT_FSIZE, and
 * the relay that gives the agent its only way out, 127.0.0.1:3128 to the daemon's proxy.
 * This file only turns a view into a command line; process_host.ts runs it.
 */

/** What this host can do, found once at start-up (`detectSandbox`). */
export interface SandboxSupport {
  bwrap: string;
  launcher: string;
  /** Landlock ABI version, 0 when the kernel has none (bubblewrap alone then). */
  landlock: number;
}

/** Where the tree and the proxy socket appear inside every sandbox. */
export const SANDBOX_NET_DIR = "/run/agentsys-net";
export const PROXY_PORT = 3128;

/** System directories every sandbox sees read-only (systemd's ProtectSystem=strict, inverted). */
const SYSTEM_DIRS = ["/usr", "/etc", "/opt"];
/** Merged-/usr links on Debian; bound as they are on the host (directory or symlink). */
const SYSTEM_LINKS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

const LAUNCHER = fileURLToPath(new URL("../../native/build/agentsys-sandbox-exec", import.meta.url));

/**
 * Can this host build sandboxes? The value, or why not (the daemon says it at start-up).
 * Tried for real: a throw-away sandbox runs `true` through the launcher.
 */
export function detectSandbox(): SandboxSupport | { unavailable: string } {
  const bwrap = which("bwrap", process.env.PATH ?? "/usr/bin:/bin");
  if (!bwrap) return { unavailable: "bubblewrap (bwrap) is not installed: bin/setup installs it as root" };
  if (!existsSync(LAUNCHER)) return { unavailable: `the launcher ${LAUNCHER} is not built: run native/build.sh (bin/setup does)` };
  const probe = spawnSync(LAUNCHER, ["--probe"], { encoding: "utf8", timeout: 5000 });
  const landlock = Number(/landlock=(\d+)/.exec(probe.stdout ?? "")?.[1] ?? 0);
  const trial = spawnSync(bwrap, ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", ...systemLayout().binds, "--proc", "/proc", "--dev", "/dev", "--ro-bind", LAUNCHER, LAUNCHER, "--", LAUNCHER, "--", "true"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  if (trial.status !== 0) return { unavailable: `bubblewrap cannot make a sandbox here: ${(trial.stderr || trial.error?.message || `exit ${trial.status}`).trim()}` };
  return { bwrap, launcher: LAUNCHER, landlock };
}

export interface SandboxRequest {
  view: SandboxView;
  command: string;
  args: readonly string[];
  cwd: string;
  /** The tree, bound read-write at the same path (AGENTSYS_ROOT). */
  mountPath?: string;
  /** The host directory holding this agent's proxy socket (`proxy.sock`), shown at SANDBOX_NET_DIR. */
  netDir?: string;
}

/** `bwrap … -- launcher … -- command args`: what to spawn instead of the agent's command. */
export function sandboxArgv(s: SandboxSupport, r: SandboxRequest): string[] {
  const system = systemLayout();
  const a = ["--unshare-all", "--unshare-user", "--disable-userns", ...system.binds, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"];
  const ro: string[] = [...system.readOnly, "/proc", "/dev"];
  const rw: string[] = ["/tmp"];
  for (const d of r.view.devices) for (const p of devicePaths(d)) {
    a.push("--dev-bind", p, p);
    rw.push(p);
  }
  // Nothing beneath the tree is stat'ed: a synchronous call into our own mount deadlocks.
  const inTree = (p: string) => r.mountPath !== undefined && isBeneath(p, r.mountPath);
  const seen = (p: string) => [...r.view.readable, ...r.view.writable, ...SYSTEM_DIRS].some((d) => isBeneath(p, d));
  // The command and any file a path-like argument names (a script) are the operator's
  // choice, not the agent's: they are shown read-only even outside the rest of the view.
  const named = [r.command, ...r.args].filter((p) => p.includes("/")).map((p) => resolve(r.cwd, p)).filter((p) => !inTree(p) && !seen(p) && isFile(p));
  for (const p of [...r.view.readable, ...named]) {
    if (inTree(p) || !existsSync(p)) continue;
    a.push("--ro-bind", p, p);
    ro.push(p);
  }
  for (const p of r.view.writable) {
    if (inTree(p) || !existsSync(p)) continue;
    a.push("--bind", p, p);
    rw.push(p);
  }
  if (r.mountPath) {
    a.push("--bind", r.mountPath, r.mountPath);
    rw.push(r.mountPath);
  }
  if (r.netDir) {
    a.push("--bind", r.netDir, SANDBOX_NET_DIR);
    rw.push(SANDBOX_NET_DIR);
  }
  a.push("--ro-bind", s.launcher, s.launcher, "--chdir", r.cwd, "--", s.launcher);
  if (r.view.maxFileSize > 0) a.push("--fsize", String(r.view.maxFileSize));
  if (s.landlock > 0) {
    for (const p of ro) a.push("--ro", p);
    for (const p of rw) a.push("--rw", p);
    if (s.landlock >= 6) a.push("--scope-signals");
  }
  a.push("--seccomp");
  if (r.netDir) a.push("--relay", `${PROXY_PORT}:${SANDBOX_NET_DIR}/proxy.sock`);
  a.push("--", r.command, ...r.args);
  return a;
}

/** The proxy variables every sandboxed agent gets (curl, pip, npm, Python and Node clients read them). */
export function proxyEnv(): Record<string, string> {
  const url = `http://127.0.0.1:${PROXY_PORT}`;
  const noProxy = "localhost,127.0.0.1,::1";
  return { HTTP_PROXY: url, HTTPS_PROXY: url, ALL_PROXY: url, http_proxy: url, https_proxy: url, all_proxy: url, NO_PROXY: noProxy, no_proxy: noProxy };
}

/**
 * How the host's system directories are shown in every sandbox: bwrap's arguments and the paths
 * Landlock reads beneath. The host's layout does not change while the daemon runs, so it is
 * read once, not at every spawn.
 */
let system: { binds: string[]; readOnly: string[] } | null = null;
function systemLayout(): { binds: string[]; readOnly: string[] } {
  if (system) return system;
  const binds: string[] = [];
  const readOnly = [...SYSTEM_DIRS];
  for (const d of SYSTEM_DIRS) binds.push("--ro-bind-try", d, d);
  for (const l of SYSTEM_LINKS) {
    let st;
    try {
      st = lstatSync(l);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) binds.push("--symlink", readlinkSync(l), l);
    else if (st.isDirectory()) {
      binds.push("--ro-bind", l, l);
      readOnly.push(l);
    }
  }
  return (system = { binds, readOnly });
}

function devicePaths(d: SandboxView["devices"][number]): string[] {
  if (d === "snd") return existsSync("/dev/snd") ? ["/dev/snd"] : [];
  if (d === "video") return listDev(/^video\d+$/);
  return displaySockets();
}

function listDev(re: RegExp): string[] {
  try {
    return readdirSync("/dev").filter((n) => re.test(n)).map((n) => `/dev/${n}`);
  } catch {
    return [];
  }
}

/** $DISPLAY's X11 socket and $WAYLAND_DISPLAY's, where they exist. */
function displaySockets(): string[] {
  const out: string[] = [];
  const x = /^:(\d+)/.exec(process.env.DISPLAY ?? "");
  if (x && existsSync(`/tmp/.X11-unix/X${x[1]}`)) out.push(`/tmp/.X11-unix/X${x[1]}`);
  const w = process.env.WAYLAND_DISPLAY;
  if (w) {
    const p = isAbsolute(w) ? w : join(process.env.XDG_RUNTIME_DIR ?? "/run/user/0", w);
    if (existsSync(p)) out.push(p);
  }
  return out;
}

/** The executable `command` names on `path`, as execvp would find it, or null. */
export function which(command: string, path: string, cwd = process.cwd()): string | null {
  const candidates = command.includes("/") ? [resolve(cwd, command)] : path.split(delimiter).filter(Boolean).map((d) => join(resolve(cwd, d), command));
  for (const c of candidates) {
    try {
      accessSync(c, fsc.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  return null;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
