import { parentPort } from "node:worker_threads";
import { readdirSync, readFileSync } from "node:fs";

/**
 * The /proc scan of `proc_sampler.ts`, with synchronous reads, on a worker thread: a sync read
 * of a procfs file costs a few µs where an async one costs a thread-pool round trip and a
 * promise (measured: 28 % of a core at 1000 idle agents with async reads). Running it on a
 * worker keeps the main thread — which serves the FUSE tree — free, as the async version did.
 * Only procfs is read here, never the agentsys mount.
 */
const US_PER_TICK = 10_000;
const PAGE = 4096;

parentPort?.on("message", (msg: { seq: number; groups: number[] }) => {
  const groups = new Set(msg.groups);
  const out: [number, number, number, number, number][] = []; // pgid, cpuUs, rss, syscalls, procs
  const acc = new Map<number, [number, number, number, number, number]>();
  let names: string[] = [];
  try {
    names = readdirSync("/proc");
  } catch {
    /* no procfs */
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgrp = Number(f[2]);
    if (!groups.has(pgrp)) continue;
    let g = acc.get(pgrp);
    if (!g) acc.set(pgrp, (g = [pgrp, 0, 0, 0, 0]));
    g[1] += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * US_PER_TICK;
    g[2] += Number(f[21]) * PAGE;
    g[4]++;
    try {
      const io = readFileSync(`/proc/${name}/io`, "latin1");
      g[3] += Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0) + Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0);
    } catch {
      /* not permitted */
    }
  }
  for (const g of acc.values()) out.push(g);
  parentPort!.postMessage({ seq: msg.seq, out });
});
