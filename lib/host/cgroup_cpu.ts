import { access, mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";

const PERIOD_US = 100_000;

/** Remove groups left by daemons that died without closing (only empty ones can go). */
async function sweepStale(mountRoot: string): Promise<void> {
  for (const n of await readdir(mountRoot).catch(() => [] as string[])) {
    const m = /^agentsys-(\d+)$/.exec(n);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // that daemon still runs
    } catch {
      /* gone: sweep */
    }
    const dir = `${mountRoot}/${n}`;
    for (const c of await readdir(dir).catch(() => [] as string[])) if (/^\d+$/.test(c)) await rmdir(`${dir}/${c}`).catch(() => {});
    await rmdir(dir).catch(() => {});
  }
}

/**
 * Hard CPU throttling through a cgroup v1 `cpu` hierarchy, when one is mounted and writable:
 * every agent gets `<daemon's own cpu cgroup>/agentsys-<daemon pid>/<id>` at spawn (its later children inherit
 * it), and a throttle sets `cpu.cfs_quota_us` for the group; unthrottle writes -1. Where no
 * writable hierarchy exists, the host falls back to the SIGSTOP/SIGCONT duty cycle.
 * cgroup v2 (`cpu.max`) is not wired yet: the machines this project runs on mount v1 `cpu`.
 */
export class CgroupCpu {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /** A usable hierarchy, or null (then throttling is by signals). */
  static async detect(hierarchy = "/sys/fs/cgroup/cpu"): Promise<CgroupCpu | null> {
    // Under the daemon's own cpu cgroup (from /proc/self/cgroup), not the hierarchy's top.
    const own = (await readFile("/proc/self/cgroup", "utf8").catch(() => ""))
      .split("\n")
      .map((l) => l.split(":"))
      .find((f) => f.length >= 3 && f[1].split(",").includes("cpu"))?.[2] ?? "/";
    const mountRoot = `${hierarchy}${own === "/" ? "" : own}`;
    const root = `${mountRoot}/agentsys-${process.pid}`;
    try {
      await access(`${mountRoot}/cpu.cfs_quota_us`);
      await sweepStale(mountRoot);
      await mkdir(root, { recursive: true });
      await access(`${root}/cpu.cfs_quota_us`);
      return new CgroupCpu(root);
    } catch {
      return null;
    }
  }

  /** Put a process (and so its future children) in the agent's group. */
  async attach(id: number, pid: number): Promise<boolean> {
    try {
      await mkdir(`${this.root}/${id}`, { recursive: true });
      await writeFile(`${this.root}/${id}/cgroup.procs`, String(pid));
      return true;
    } catch {
      return false; // the process may already be gone
    }
  }

  /** Limit the agent to `share` of one CPU, or lift the limit (null). */
  async setQuota(id: number, share: number | null): Promise<boolean> {
    try {
      await writeFile(`${this.root}/${id}/cpu.cfs_period_us`, String(PERIOD_US));
      await writeFile(`${this.root}/${id}/cpu.cfs_quota_us`, share === null ? "-1" : String(Math.max(1000, Math.round(share * PERIOD_US))));
      return true;
    } catch {
      return false;
    }
  }

  /** Remove an agent's group once its processes are gone (EBUSY otherwise: left for close). */
  async release(id: number): Promise<void> {
    await rmdir(`${this.root}/${id}`).catch(() => {});
  }

  /** Remove every group this daemon made. */
  async close(): Promise<void> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const n of names) if (/^\d+$/.test(n)) await rmdir(`${this.root}/${n}`).catch(() => {});
    await rmdir(this.root).catch(() => {});
  }
}
