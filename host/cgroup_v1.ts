import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { access, mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";

const PERIOD_US = 100_000;

/** The daemon's own cgroup path in a v1 hierarchy with `controller`, from /proc/self/cgroup. */
async function ownPath(controller: string): Promise<string> {
  const text = await readFile("/proc/self/cgroup", "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && f[1].split(",").includes(controller)) return f[2] === "/" ? "" : f[2];
  }
  return "";
}

/** Remove groups left by daemons that died without closing (only empty ones can go). */
async function sweepStale(parent: string): Promise<void> {
  for (const n of await readdir(parent).catch(() => [] as string[])) {
    const m = /^agentsys-(\d+)$/.exec(n);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // that daemon still runs
    } catch {
      /* gone: sweep */
    }
    const dir = `${parent}/${n}`;
    for (const c of await readdir(dir).catch(() => [] as string[])) if (/^\d+$/.test(c)) await rmdir(`${dir}/${c}`).catch(() => {});
    await rmdir(dir).catch(() => {});
  }
}

/**
 * `<hierarchy>/<daemon's own group>/agentsys-<pid>` if the hierarchy is there and writable.
 * `probe` must exist in the daemon's group and in the new one; `childProbe` only in the new
 * one (the root group has no `pids.max`).
 */
async function makeRoot(hierarchy: string, controller: string, probe: string, childProbe = probe): Promise<string | null> {
  try {
    const parent = `${hierarchy}${await ownPath(controller)}`;
    await access(`${parent}/${probe}`);
    await sweepStale(parent);
    const root = `${parent}/agentsys-${process.pid}`;
    await mkdir(root, { recursive: true });
    await access(`${root}/${childProbe}`);
    return root;
  } catch {
    return null;
  }
}

/**
 * Hard limits through cgroup v1 hierarchies, when mounted and writable (detected at start):
 * every agent gets `<daemon's own group>/agentsys-<daemon pid>/<id>` in the `cpu`, `memory`
 * and `pids` hierarchies at spawn (its later children inherit them). A throttle sets
 * `cpu.cfs_quota_us`; the agent's memory limit is `memory.limit_in_bytes`, so the kernel stops
 * it at the limit instead of a sampler noticing a window later; `pids.max` bounds the
 * processes and threads of an agent and everything it forks (a fork bomb gets EAGAIN), and
 * the group's member list lets a kill reach processes that left the agent's process group.
 * Where a hierarchy is missing, the host falls back to signals (throttle), sampling (memory)
 * or the process group alone (pids). cgroup v2 is not wired yet.
 */
export class CgroupV1 {
  readonly cpuRoot: string | null;
  readonly memoryRoot: string | null;
  readonly pidsRoot: string | null;
  /** `pids.max` of every agent's group (0 = no limit). */
  readonly pidsMax: number;
  /** The daemon's own pids group's `tasks`, where its main thread returns after a spawn. */
  readonly #ownPidsTasks: string | null;
  readonly #memLimit = new Map<number, number>();

  private constructor(cpuRoot: string | null, memoryRoot: string | null, pidsRoot: string | null, pidsMax: number, ownPidsTasks: string | null) {
    this.cpuRoot = cpuRoot;
    this.memoryRoot = memoryRoot;
    this.pidsRoot = pidsRoot;
    this.pidsMax = pidsMax;
    this.#ownPidsTasks = ownPidsTasks;
  }

  /** Whatever is usable; null when no hierarchy is. */
  static async detect(base = "/sys/fs/cgroup", pidsMax = 0): Promise<CgroupV1 | null> {
    const cpu = await makeRoot(`${base}/cpu`, "cpu", "cpu.cfs_quota_us");
    const memory = await makeRoot(`${base}/memory`, "memory", "memory.limit_in_bytes");
    const pids = await makeRoot(`${base}/pids`, "pids", "cgroup.procs", "pids.max");
    const ownPidsTasks = pids ? `${base}/pids${await ownPath("pids")}/tasks` : null;
    return cpu || memory || pids ? new CgroupV1(cpu, memory, pids, pidsMax, ownPidsTasks) : null;
  }

  /**
   * Run `spawn` (a synchronous fork + exec) with the daemon's main thread in the agent's pids
   * group, so the child is born inside it: no fork of a fast fork bomb happens outside the
   * limit. Only that thread moves (v1 `tasks`), for the microseconds of the spawn, and back.
   * Where the group cannot be entered the spawn runs anyway and the child is moved right
   * after it (`attachPidsSync`).
   */
  spawnInPids<T extends { pid?: number }>(id: number, spawn: () => T): T {
    if (!this.pidsRoot || !this.#ownPidsTasks) return spawn();
    let entered = false;
    try {
      writeFileSync(`${this.#pidsDir(id)}/tasks`, String(process.pid)); // the main thread's tid is the pid
      entered = true;
    } catch {
      /* not entered: the child is moved in after the spawn */
    }
    let child: T;
    try {
      child = spawn();
    } finally {
      if (entered) writeFileSync(this.#ownPidsTasks, String(process.pid));
    }
    if (!entered && child.pid !== undefined) this.attachPidsSync(id, child.pid);
    return child;
  }

  /**
   * The agent's pids group, made and limited, for a process that spawns the agent from
   * inside it (the spawner): the group's directory and the `tasks` file to return to.
   */
  pidsGroup(id: number): { dir: string; ownTasks: string } | null {
    if (!this.pidsRoot || !this.#ownPidsTasks) return null;
    try {
      return { dir: this.#pidsDir(id), ownTasks: this.#ownPidsTasks };
    } catch {
      return null;
    }
  }

  /** Processes that pass through agents' groups and must never be killed with them. */
  readonly supervisors = new Set<number>([process.pid]);

  /** Move an agent (its main process) into its pids group: re-adopted agents, failed entries. */
  attachPidsSync(id: number, pid: number): void {
    if (!this.pidsRoot) return;
    try {
      writeFileSync(`${this.#pidsDir(id)}/cgroup.procs`, String(pid));
    } catch {
      /* the process may already be gone */
    }
  }

  /** The agent's pids group, made if needed, with its limit set (throws where it cannot be). */
  #pidsDir(id: number): string {
    const dir = `${this.pidsRoot}/${id}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/pids.max`, this.pidsMax > 0 ? String(Math.max(this.pidsMax, 2)) : "max");
    return dir;
  }

  /**
   * Processes in the agent's pids group (everything it forked, whatever their group); never
   * the daemon or the spawner, whose main threads pass through the group during a spawn.
   */
  members(id: number): number[] {
    if (!this.pidsRoot) return [];
    try {
      return readFileSync(`${this.pidsRoot}/${id}/cgroup.procs`, "utf8").split("\n").filter(Boolean).map(Number).filter((p) => !this.supervisors.has(p));
    } catch {
      return [];
    }
  }

  /**
   * SIGKILL every process of the agent's pids group until it is empty (a fork bomb forks
   * while it is being killed; each round kills what the last one missed). Returns how many
   * processes were signalled.
   */
  killAll(id: number, rounds = 20): number {
    let n = 0;
    for (let r = 0; r < rounds; r++) {
      const pids = this.members(id);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
          n++;
        } catch {
          /* gone */
        }
      }
    }
    return n;
  }

  /** Put a process (and so its future children) in the agent's groups. */
  async attach(id: number, pid: number): Promise<void> {
    for (const root of [this.cpuRoot, this.memoryRoot]) {
      if (!root) continue;
      try {
        await mkdir(`${root}/${id}`, { recursive: true });
        await writeFile(`${root}/${id}/cgroup.procs`, String(pid));
      } catch {
        /* the process may already be gone */
      }
    }
  }

  /** Limit the agent to `share` of one CPU, or lift the limit (null). False if not possible. */
  async setQuota(id: number, share: number | null): Promise<boolean> {
    if (!this.cpuRoot) return false;
    try {
      await writeFile(`${this.cpuRoot}/${id}/cpu.cfs_period_us`, String(PERIOD_US));
      await writeFile(`${this.cpuRoot}/${id}/cpu.cfs_quota_us`, share === null ? "-1" : String(Math.max(1000, Math.round(share * PERIOD_US))));
      return true;
    } catch {
      return false;
    }
  }

  /** Set the agent's hard memory limit (0 = none); writes only when it changed. */
  async setMemoryLimit(id: number, bytes: number): Promise<void> {
    if (!this.memoryRoot || this.#memLimit.get(id) === bytes) return;
    try {
      await writeFile(`${this.memoryRoot}/${id}/memory.limit_in_bytes`, bytes > 0 ? String(bytes) : "-1");
      this.#memLimit.set(id, bytes);
    } catch {
      /* below current usage the kernel refuses: the sampler still kills at the limit */
    }
  }

  /** OOM kills in the agent's memory group, and its peak usage (bytes). */
  /**
   * OOM kills in an agent's memory group and its peak usage. Synchronous on purpose: it sits
   * between a SIGKILLed agent's exit and its restart, and two cgroupfs reads take
   * microseconds where two thread-pool round trips took ~1 ms (bench/peers).
   */
  oomKills(id: number): { kills: number; peak: number } {
    if (!this.memoryRoot) return { kills: 0, peak: 0 };
    const read = (f: string, dflt: string) => {
      try {
        return readFileSync(`${this.memoryRoot}/${id}/${f}`, "utf8");
      } catch {
        return dflt;
      }
    };
    const ctl = read("memory.oom_control", "");
    const peak = read("memory.max_usage_in_bytes", "0");
    return { kills: Number(/^oom_kill (\d+)$/m.exec(ctl)?.[1] ?? 0), peak: Number(peak.trim()) || 0 };
  }

  /** Remove an agent's groups once its processes are gone (EBUSY otherwise: left for close). */
  async release(id: number): Promise<void> {
    this.#memLimit.delete(id);
    for (const root of [this.cpuRoot, this.memoryRoot, this.pidsRoot]) if (root) await rmdir(`${root}/${id}`).catch(() => {});
  }

  /** Remove every group this daemon made. */
  async close(): Promise<void> {
    for (const root of [this.cpuRoot, this.memoryRoot, this.pidsRoot]) {
      if (!root) continue;
      for (const n of await readdir(root).catch(() => [] as string[])) if (/^\d+$/.test(n)) await rmdir(`${root}/${n}`).catch(() => {});
      await rmdir(root).catch(() => {});
    }
  }
}
