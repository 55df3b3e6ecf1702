import { readdir, readFile } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { compiledScript } from "../lib/mod.ts";
import { parseIoSyscalls, parseProcStat } from "./proc_reader.ts";

/** Counters of one process group (an agent and everything it forked), cumulative. */
export interface GroupSample {
  /** utime+stime+cutime+cstime of every process in the group, in µs. */
  cpuUs: number;
  /** Resident memory of the group, bytes. */
  rssBytes: number;
  /** syscr+syscw from /proc/<pid>/io: the syscall-rate proxy of SPEC §4. */
  syscalls: number;
  processes: number;
}

/**
 * Sample every process whose process group is in `groups`, with async reads only (the event
 * loop also serves the FUSE tree). One readdir of /proc and one read of each process's stat
 * per window; /proc/<pid>/io only for processes that belong to an agent.
 *
 * @example
 * const s = await sampleProcessGroups(new Set([agentPid]));
 * s.get(agentPid)?.cpuUs;
 */
export async function sampleProcessGroups(groups: ReadonlySet<number>): Promise<Map<number, GroupSample>> {
  const out = new Map<number, GroupSample>();
  if (groups.size === 0) return out;
  let names: string[];
  try {
    names = await readdir("/proc");
  } catch {
    return out;
  }
  await Promise.all(
    names.map(async (name) => {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) return;
      let stat: string;
      try {
        stat = await readFile(`/proc/${name}/stat`, "latin1");
      } catch {
        return; // exited meanwhile
      }
      const st = parseProcStat(stat);
      if (!groups.has(st.pgrp)) return;
      let g = out.get(st.pgrp);
      if (!g) out.set(st.pgrp, (g = { cpuUs: 0, rssBytes: 0, syscalls: 0, processes: 0 }));
      g.cpuUs += st.cpuUs;
      g.rssBytes += st.rssBytes;
      g.processes++;
      try {
        g.syscalls += parseIoSyscalls(await readFile(`/proc/${name}/io`, "latin1"));
      } catch {
        /* io needs ptrace rights over the process; count what we can */
      }
    }),
  );
  return out;
}

/** Pids in a process group (to check that a stop reached every child). */
export async function pidsOfGroup(pgid: number): Promise<number[]> {
  const names = await readdir("/proc").catch(() => [] as string[]);
  const out: number[] = [];
  await Promise.all(
    names.map(async (n) => {
      if (!/^\d+$/.test(n)) return;
      const stat = await readFile(`/proc/${n}/stat`, "latin1").catch(() => "");
      if (!stat) return;
      const st = parseProcStat(stat);
      if (st.pgrp === pgid && st.state !== "Z") out.push(Number(n));
    }),
  );
  return out;
}

/**
 * `sampleProcessGroups` on a worker thread with sync reads (see proc_sampler_worker.ts); falls
 * back to the async version where the worker cannot start (e.g. running from .ts sources).
 */
export class ProcSampler {
  #worker: Worker | null = null;
  #seq = 0;
  #pending = new Map<number, (m: Map<number, GroupSample>) => void>();

  constructor() {
    try {
      this.#worker = new Worker(compiledScript(import.meta.url, "host", "proc_sampler_worker"));
      this.#worker.unref();
      this.#worker.on("message", (m: { seq: number; out: [number, number, number, number, number][] }) => {
        const map = new Map<number, GroupSample>();
        for (const [pgid, cpuUs, rssBytes, syscalls, processes] of m.out) map.set(pgid, { cpuUs, rssBytes, syscalls, processes });
        this.#pending.get(m.seq)?.(map);
        this.#pending.delete(m.seq);
      });
      this.#worker.on("error", () => {
        this.#worker = null;
        for (const r of this.#pending.values()) r(new Map());
        this.#pending.clear();
      });
    } catch {
      this.#worker = null;
    }
  }

  get usesWorker(): boolean {
    return this.#worker !== null;
  }

  sample(groups: ReadonlySet<number>): Promise<Map<number, GroupSample>> {
    if (!this.#worker || groups.size === 0) return sampleProcessGroups(groups);
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      this.#pending.set(seq, resolve);
      this.#worker!.postMessage({ seq, groups: [...groups] });
    });
  }

  async close(): Promise<void> {
    await this.#worker?.terminate();
    this.#worker = null;
  }
}
