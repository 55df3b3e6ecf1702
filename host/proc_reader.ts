import { readFileSync } from "node:fs";

/**
 * Every read and parse of procfs process files and of /etc/passwd, in one place: the sampler
 * and its worker-thread twin (counters), re-adoption (identity), exit polling (zombies), caller
 * identity (a thread's process and parents), and agents' users. Linux reports stat times in
 * clock ticks (USER_HZ, 100 on every mainstream kernel) and rss in pages (4 KiB on x86-64 and
 * arm64 defaults); both are fixed ABI values there. Only procfs and /etc are read here, never
 * the agentsys mount, so the synchronous reads cannot deadlock the daemon.
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
  /** Start time in clock ticks since boot (field 22): with the pid, names one process for good. */
  starttime: number;
}

/** `/proc/<pid>/stat` → the fields agentsys uses. The command name may hold spaces or ")". */
export function parseProcStat(text: string): ProcStat {
  // After the last ")": f[0] is field 3 (state); ppid 4, pgrp 5, utime..cstime 14..17, starttime 22, rss 24.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    state: f[0],
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    cpuUs: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * US_PER_TICK,
    rssBytes: Number(f[21]) * PAGE,
    starttime: Number(f[19]),
  };
}

/** `/proc/<pid>/io` → syscr + syscw, the syscall-rate proxy of SPEC §4. */
export function parseIoSyscalls(text: string): number {
  return Number(/syscr: (\d+)/.exec(text)?.[1] ?? 0) + Number(/syscw: (\d+)/.exec(text)?.[1] ?? 0);
}

/** A process's stat, or null when it is gone. */
export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "latin1"));
  } catch {
    return null;
  }
}

/** Start time and command line: what tells a re-adopted agent from a later process with its pid. */
export interface ProcIdentity {
  starttime: number;
  cmdline: string;
}

/** A process's identity, or null when it is gone. */
export function procIdentity(pid: number): ProcIdentity | null {
  const st = readProcStat(pid);
  if (!st) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").split("\0").join(" ");
    return { starttime: st.starttime, cmdline };
  } catch {
    return null;
  }
}

/** A zombie has exited; its parent (not the daemon, for an adopted agent) has not reaped it yet. */
export function isZombie(pid: number): boolean {
  return readProcStat(pid)?.state === "Z";
}

/** From `/proc/<pid>/status`: the real uid, the thread group (process) and the parent. */
export interface ProcStatus {
  uid: number;
  tgid: number;
  ppid: number;
}

/** `/proc/<pid>/status` of a process or a thread (FUSE names threads), or null when it is gone. */
export function readProcStatus(pid: number): ProcStatus | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? -1);
  return { uid: field("Uid"), tgid: field("Tgid"), ppid: field("PPid") };
}

/** A user name or uid → uid and primary gid, from /etc/passwd; undefined when unknown. */
export function resolveUser(user: string | number): { uid: number; gid: number } | undefined {
  let passwd = "";
  try {
    passwd = readFileSync("/etc/passwd", "utf8");
  } catch {
    /* no passwd file */
  }
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length < 4) continue;
    if (f[0] === String(user) || f[2] === String(user)) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return typeof user === "number" ? { uid: user, gid: user } : undefined;
}
