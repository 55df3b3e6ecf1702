/**
 * Parsing of procfs process files, shared by the async sampler, its worker-thread twin and
 * pidsOfGroup. Linux reports stat times in clock ticks (USER_HZ, 100 on every mainstream
 * kernel) and rss in pages (4 KiB on x86-64 and arm64 defaults); both are fixed ABI values there.
 */
const US_PER_TICK = 10_000;
const PAGE = 4096;

export interface ProcStat {
  /** One-letter process state ("R", "S", "Z"…). */
  state: string;
  ppid: number;
  pgrp: number;
  /** utime+stime+cutime+cstime, µs. */
  cpuUs: number;
  rssBytes: number;
}

/** `/proc/<pid>/stat` → the fields the sampler uses. The command name may hold spaces or ")". */
export function parseProcStat(text: string): ProcStat {
  // After the last ")": f[0] is field 3 (state); ppid 4, pgrp 5, utime..cstime 14..17, rss 24.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    state: f[0],
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    cpuUs: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * US_PER_TICK,
    rssBytes: Number(f[21]) * PAGE,
  };
}

/** `/proc/<pid>/io` → syscr + syscw, the syscall-rate proxy of SPEC §4. */
export function parseIoSyscalls(text: string): number {
  return Number(/syscr: (\d+)/.exec(text)?.[1] ?? 0) + Number(/syscw: (\d+)/.exec(text)?.[1] ?? 0);
}
