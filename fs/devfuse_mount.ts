import { spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";

/**
 * The /dev/fuse backend's dealings with the mount table: finding a mount, clearing a dead one,
 * and the fusectl file that aborts a connection (devfuse_backend.ts, docs/fs.md).
 */

/** The mount at `mountpoint` in /proc/self/mountinfo, last one wins (octal escapes decoded). */
async function mountAt(mountpoint: string): Promise<{ dev: string; fstype: string } | null> {
  const info = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  let found: { dev: string; fstype: string } | null = null;
  for (const line of info.split("\n")) {
    const f = line.split(" ");
    const mp = f[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const dash = f.indexOf("-");
    if (mp === mountpoint && dash > 0) found = { dev: f[2], fstype: f[dash + 1] };
  }
  return found;
}

/**
 * A dead mount (its daemon gone: ENOTCONN) is detached; a live one is refused, as fuse-native
 * does ("Mountpoint in use") — it belongs to a running daemon.
 */
export async function clearStaleMount(mountpoint: string): Promise<void> {
  if (!(await mountAt(mountpoint))) return;
  // Someone else's mount (never ours: not mounted yet), so an async stat is safe.
  const alive = await stat(mountpoint).then(
    () => true,
    (e: NodeJS.ErrnoException) => e.code !== "ENOTCONN",
  );
  if (alive) throw Object.assign(new Error(`${mountpoint}: Mountpoint in use (a live filesystem is mounted there)`), { code: "EBUSY" });
  await run("fusermount3", ["-uz", mountpoint]).catch(() => run("umount", ["-l", mountpoint]).catch(() => {}));
}

/**
 * The fusectl file that aborts this mount's connection: /sys/fs/fuse/connections/<minor of the
 * mount's device>/abort. fusectl is mounted where it is not (systemd does it at boot; some
 * containers do not). Null when it cannot be had: then close() only closes the descriptor.
 */
export async function connectionAbortFile(mountpoint: string): Promise<string | null> {
  const m = await mountAt(mountpoint);
  const minor = m?.dev.split(":")[1];
  if (!minor) return null;
  const dir = "/sys/fs/fuse/connections";
  const file = `${dir}/${minor}/abort`;
  if (await stat(file).then(() => true, () => false)) return file;
  if ((await mountAt(dir))?.fstype !== "fusectl") await run("mount", ["-t", "fusectl", "fusectl", dir]).catch(() => {});
  return (await stat(file).then(() => true, () => false)) ? file : null;
}

/** Run a command; rejects with its stderr when it fails. `stdio[3]` may pass a descriptor. */
export function run(cmd: string, args: string[], stdio: (number | "ignore" | "pipe")[] = ["ignore", "ignore", "pipe"]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio });
    let err = "";
    child.stderr?.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")}: ${err.trim() || `exit ${code}`}`))));
  });
}
