import { spawn, type ChildProcess } from "node:child_process";
import { closeSync } from "node:fs";
import { constants } from "node:os";
import { ERRNO, LIFECYCLE_NOTICE, type AgentHost, type AgentSpec, type AgentSupervisor } from "../lib/mod.ts";
import type { AgentLogs } from "./agent_logs.ts";
import type { CgroupV1 } from "./cgroup_v1.ts";
import { ProcSampler } from "./proc_sampler.ts";
import { AdoptedProcess } from "./adopted_process.ts";
import { CallerIdentity } from "./caller_identity.ts";
import { ChildFdSeal } from "./fd_seal.ts";
import { readProcStatus, resolveUser, type ProcIdentity } from "./proc_reader.ts";
import { Spawner } from "./spawner.ts";
import { Throttle } from "./throttle.ts";
import { AgentSandboxes, type Launch } from "./agent_sandboxes.ts";
import type { SandboxSupport } from "./sandbox.ts";

export interface ProcessHostOptions {
  /** Grace between SIGTERM and SIGKILL on a graceful stop (default 5000 ms). */
  graceMs?: number;
  /** Put into every agent's environment as AGENTSYS_ROOT. */
  mountPath?: string;
  log?: (line: string) => void;
  /** Sampling window (default 1000 ms); 0 disables sampling. */
  windowMs?: number;
  /** Where agents' output goes (files in the state directory); without it, nowhere. */
  logs?: AgentLogs | null;
  /** Hard limits (CgroupV1.detect()); without it, a signal duty cycle and sampled memory. */
  cgroup?: CgroupV1 | null;
  /**
   * Sandboxes (detectSandbox()): agents start in one built from their policy unless their spec
   * says `sandbox: none`. null or absent: off, and `sandboxOff` says why (the start-up line).
   */
  sandbox?: SandboxSupport | null;
  sandboxOff?: string;
  /** The proxy sockets' directory (AgentSandboxes' netRoot). */
  sandboxNetDir?: string;
}

/**
 * The host: runs agents as real processes (own process group, so a stop reaches their
 * children; restarts through the spawner process), reports their exits to the supervisor,
 * samples them every window, and carries out what the lifecycle asks for: stop (SIGTERM, then
 * SIGKILL after the grace), kill, throttle (throttle.ts), respawn after a restart delay. It
 * implements lib's AgentHost port; logs, cgroups, readiness and re-adoption are its too.
 */
export class ProcessHost implements AgentHost {
  readonly #sup: AgentSupervisor;
  readonly #children = new Map<number, ChildProcess>(); // agent id → current process
  readonly #callers: CallerIdentity;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #graceMs: number;
  readonly #mountPath: string | undefined;
  readonly #log: (line: string) => void;
  #closing = false;
  readonly #windowMs: number;
  readonly #discarding = new Set<number>();
  /** Agents running as a user other than the daemon's: AgentId → uid. */
  readonly #uids = new Map<number, number>();
  readonly #logs: AgentLogs | null;
  readonly #throttle: Throttle;
  #sampler: ReturnType<typeof setInterval> | null = null;
  #sampling = false;
  readonly #cgroup: CgroupV1 | null;
  readonly #oomKills = new Map<number, number>();
  readonly #procs = new ProcSampler();
  readonly #fds = new ChildFdSeal();
  readonly #spawner: Spawner;
  /** The daemon's environment, copied once: process.env is slow to spread per spawn. */
  readonly #baseEnv: Record<string, string | undefined> = { ...process.env };
  readonly sandboxes: AgentSandboxes;

  constructor(sup: AgentSupervisor, options: ProcessHostOptions = {}) {
    this.#sup = sup;
    this.#graceMs = options.graceMs ?? 5000;
    this.#mountPath = options.mountPath;
    this.#log = options.log ?? (() => {});
    this.#windowMs = options.windowMs ?? 1000;
    this.#logs = options.logs ?? null;
    this.#cgroup = options.cgroup ?? null;
    this.#spawner = new Spawner(() => this.#fds.stdio(), this.#log, (pid) => this.#cgroup?.supervisors.add(pid));
    this.#callers = new CallerIdentity(sup);
    this.sandboxes = new AgentSandboxes({
      sup,
      support: options.sandbox ?? null,
      reason: options.sandboxOff,
      mountPath: options.mountPath,
      netRoot: options.sandboxNetDir,
      log: this.#log,
      restart: (id) => {
        if (sup.restart(id) < 0) this.#log(`agent ${id}: restart into a new sandbox failed: ${sup.lastReason}`);
      },
    });
    this.#throttle = new Throttle(sup, this.#cgroup, (id, sig) => this.#signal(id, sig), this.#log);
    sup.onLifecycle((kind, id, arg) => this.#onLifecycle(kind, id, arg));
    if (this.#windowMs > 0) {
      this.#sampler = setInterval(() => void this.sampleOnce(), this.#windowMs);
      this.#sampler.unref();
    }
  }

  /**
   * One sampling window: CPU, memory and syscall counters of every live agent's process
   * group, fed to the supervisor (which checks limits and acts). Skipped if the previous
   * window's reads are still running.
   */
  async sampleOnce(): Promise<void> {
    if (this.#sampling || this.#closing) return;
    this.#sampling = true;
    try {
      const byGroup = new Map<number, number>(); // pgid (= agent pid) → agent id
      for (const [id, child] of this.#children) if (child.pid) byGroup.set(child.pid, id);
      const samples = await this.#procs.sample(new Set(byGroup.keys()));
      await this.#logs?.rotate();
      for (const [pgid, id] of byGroup) {
        if (this.#cgroup) void this.#cgroup.setMemoryLimit(id, this.#sup.limits.of(id)?.memory_limit_bytes ?? 0);
        const s = samples.get(pgid);
        if (s && this.#children.get(id)?.pid === pgid) this.#sup.onSample(id, s.cpuUs, s.rssBytes, s.syscalls);
      }
    } finally {
      this.#sampling = false;
    }
  }

  /** The last lines the agent wrote to stdout or stderr (agents/<id>/log). */
  agentLog(id: number): string {
    return this.#logs ? this.#logs.tail(id) : "";
  }

  /** Start a process for `spec` and register it. Returns the AgentId or a negative errno. */
  startAgent(spec: AgentSpec): number {
    const sup = this.#sup;
    if (this.#closing) return this.#fail(ERRNO.EBUSY, `Cannot start agent "${spec.name}": the daemon is shutting down`);
    if (!spec.command) return this.#fail(ERRNO.EINVAL, `Cannot start agent "${spec.name}": no command`);
    const id = spec.agent_id && spec.agent_id !== 0 ? spec.agent_id : sup.peekFreeId();
    if (id < 0) return this.#fail(ERRNO.ENOSPC, "Cannot start agent: no free agent id");
    const existing = sup.getAgent(id);
    if (existing && existing.active) return this.#fail(ERRNO.EBUSY, `Cannot start agent ${id}: it is ${existing.state} with pid ${existing.pid}`);
    const user = spec.user === undefined ? null : resolveUser(spec.user);
    if (user === undefined) return this.#fail(ERRNO.EINVAL, `Cannot start agent ${id}: no such user "${spec.user}"`);
    // Refused before the process exists (Admin, a dependency cycle…): registering it afterwards
    // would let a refused spawn run its command, and leave a log file behind.
    const refused = sup.checkSpawn({ ...spec, agent_id: id });
    if (refused < 0) return refused;
    // s6-style readiness: the agent writes a newline to the fd named in AGENTSYS_NOTIFY_FD.
    const stdio = [...(this.#fds.stdio() as (number | "ignore" | "pipe")[])];
    const notifyFd = spec.readiness === "notify" ? stdio.length : -1;
    if (notifyFd > 0) stdio.push("pipe");
    let logFd = -1;
    if (this.#logs) {
      try {
        logFd = this.#logs.open(id);
        stdio[1] = logFd;
        stdio[2] = logFd;
      } catch (e) {
        this.#log(`agent ${id}: no log file (${(e as Error).message}); output discarded`);
      }
    }
    const env = this.#agentEnv(id, spec);
    if (notifyFd > 0) env.AGENTSYS_NOTIFY_FD = String(notifyFd);
    const launch = this.#launch(id, spec, user, env, "spec");
    if (typeof launch === "number") {
      if (logFd >= 0) closeSync(logFd);
      return launch;
    }
    const run = launch ?? { command: spec.command!, args: spec.args ?? [], env, ...(user ? { uid: user.uid, gid: user.gid } : {}) };
    let child: ChildProcess;
    try {
      // Born inside its pids group (cgroup v1), so even a fork bomb's first forks count.
      const start = () =>
        spawn(run.command, run.args, {
          cwd: spec.cwd,
          env: run.env,
          detached: true, // own process group: stop and kill reach the agent's children too
          stdio,
          ...(run.uid !== undefined ? { uid: run.uid, gid: run.gid } : {}),
        });
      child = this.#cgroup ? this.#cgroup.spawnInPids(id, start) : start();
    } catch (e) {
      return this.#fail(ERRNO.EINVAL, `Cannot start agent ${id}: ${(e as Error).message}`);
    } finally {
      if (logFd >= 0) closeSync(logFd); // the child has its own copy
    }
    child.on("error", (e) => this.#log(`agent ${id}: ${e.message}`));
    const pid = child.pid;
    if (pid === undefined) {
      return this.#fail(ERRNO.ENOENT, `Cannot start agent ${id}: could not run "${spec.command}" (not found or not executable)`);
    }
    // The first agent started: bring up the spawner its restarts will go through (after the
    // mount, so it gets the sealed descriptors; its start-up overlaps the agent's run).
    this.#spawner.warm();
    const code = this.#register(id, spec, pid, child, run.uid !== undefined ? { uid: run.uid } : null, (ready) => {
      const pipe = notifyFd > 0 ? (child.stdio[notifyFd] as NodeJS.ReadableStream | null) : null;
      pipe?.on("data", (chunk: Buffer) => {
        if (chunk.includes(10)) ready();
      });
      pipe?.on("error", () => {});
    });
    return code < 0 ? code : id;
  }

  /**
   * Make a started process the agent's: register its pid with the supervisor (or kill it if
   * that is refused), then exits, readiness, cgroups. `child` is a ChildProcess or a stand-in
   * with the same `pid`, `kill()` and `exit` (spawner, re-adoption).
   */
  #register(id: number, spec: AgentSpec, pid: number, child: ChildProcess, user: { uid: number } | null, onReady: (ready: () => void) => void): number {
    const sup = this.#sup;
    const code = sup.onAgentSpawn(pid, { ...spec, agent_id: id });
    if (code < 0) {
      killGroup(pid);
      return code;
    }
    this.#children.set(id, child);
    if (user) this.#uids.set(id, user.uid);
    else this.#uids.delete(id);
    if (this.#cgroup) {
      const cg = this.#cgroup;
      void cg.attach(id, pid).then(() => cg.setMemoryLimit(id, this.#sup.limits.of(id)?.memory_limit_bytes ?? 0));
    }
    if (spec.readiness === "notify") {
      onReady(() => {
        if (this.#children.get(id) === child) sup.markReady(id);
      });
    }
    child.on("exit", (exitCode: number | null, signal: NodeJS.Signals | null) => void this.#onExit(id, pid, child, exitCode, signal));
    this.#log(`agent ${id} (${spec.name}) started, pid ${pid}`);
    return id;
  }

  /**
   * A scheduled restart, through the spawner process: the fork happens there, so nothing
   * here blocks the event loop (and the FUSE requests waiting on it) for a fork of the
   * daemon. The agent stays in `backoff` until the spawner answers; if it was stopped,
   * removed or started otherwise meanwhile, the new process is killed at once.
   */
  #restart(id: number, spec: AgentSpec): void {
    if (!spec.command) return;
    const user = spec.user === undefined ? null : resolveUser(spec.user);
    if (user === undefined) return this.#log(`agent ${id}: restart failed: no such user "${spec.user}"`);
    const env = this.#agentEnv(id, spec);
    if (spec.readiness === "notify") env.AGENTSYS_NOTIFY_FD = "3";
    const launch = this.#launch(id, spec, user, env, "live");
    if (typeof launch === "number") return this.#log(`agent ${id}: restart failed: ${this.#sup.lastReason}`);
    const run = launch ?? { command: spec.command, args: spec.args ?? [], env, uid: user?.uid, gid: user?.gid };
    const runUser = run.uid !== undefined ? { uid: run.uid } : null;
    const pids = this.#cgroup?.pidsGroup(id) ?? null;
    void this.#spawner
      .spawn({ command: run.command, args: run.args, cwd: spec.cwd, env: run.env, uid: run.uid, gid: run.gid, logPath: this.#logs ? this.#logs.path(id) : null, notify: spec.readiness === "notify", pidsDir: pids?.dir ?? null, ownTasks: pids?.ownTasks ?? null })
      .then((r) => {
        if ("error" in r) return this.#log(`agent ${id}: restart failed: ${r.code}: ${r.error}`);
        const a = this.#sup.getAgent(id);
        if (this.#closing || !a || a.state !== "backoff" || this.#children.has(id)) {
          killGroup(r.pid);
          return;
        }
        if (this.#register(id, spec, r.pid, r.proc as unknown as ChildProcess, runUser, (ready) => r.proc.on("ready", ready)) < 0) {
          this.#log(`agent ${id}: restart failed: ${this.#sup.lastReason}`);
        }
      });
  }

  /**
   * The sandboxed command for agent `id` (AgentSandboxes.launch), null to run it as it is, or
   * a negative errno with the reason set. `policy`: "spec" for a first start (the spec's
   * capabilities and scope), "live" for a restart (the policy as patched since).
   */
  #launch(id: number, spec: AgentSpec, user: { uid: number; gid: number } | null, env: Record<string, string | undefined>, policy: "spec" | "live"): Launch | null | number {
    try {
      return this.sandboxes.launch(id, spec, user, env, policy);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const code = err.code === "ENOENT" ? ERRNO.ENOENT : err.code === "EACCES" ? ERRNO.EACCES : ERRNO.EINVAL;
      return this.#fail(code, `Cannot start agent ${id}: ${err.message}`);
    }
  }

  #agentEnv(id: number, spec: AgentSpec): Record<string, string | undefined> {
    const env: Record<string, string | undefined> = { ...this.#baseEnv, ...spec.env, AGENTSYS_AGENT_ID: String(id) };
    if (this.#mountPath) env.AGENTSYS_ROOT = this.#mountPath;
    return env;
  }

  /**
   * The uid an agent runs as when it is not the daemon's (its `user`), else undefined: the
   * tree makes that user the owner of `agents/<id>/ctl` (SPEC §9).
   */
  uidOf(id: number): number | undefined {
    return this.#uids.get(id);
  }

  /**
   * Forget the cached descriptor scan: call after the daemon opened descriptors children must
   * not inherit (the FUSE device at mount), so the next spawn seals them too.
   */
  rescanInheritedFds(): void {
    this.#fds.rescan();
  }

  /** The agent a calling process belongs to (CallerIdentity): `agents/self`, and whom a caller acts for. */
  agentOfProcess(pid: number): number | undefined {
    return this.#callers.agentOf(pid);
  }

  /** Kill an agent now and forget it once it is gone (a spawn that could not be journaled). */
  discard(id: number): void {
    this.#discarding.add(id);
    if (this.#sup.stop(id, true) < 0) {
      this.#discarding.delete(id);
      this.#sup.remove(id);
    }
  }

  /**
   * Watch a re-adopted agent: a process a previous daemon started, matched by pid,
   * start time and command line. It gets signals, sampling, its cgroup and exit detection by
   * polling; its exit status is unknown (255, abnormal).
   */
  adopt(id: number, pid: number, identity: ProcIdentity): void {
    const proc = new AdoptedProcess(pid, identity, Math.min(Math.max(this.#windowMs || 200, 100), 1000));
    const child = proc as unknown as ChildProcess;
    this.#children.set(id, child);
    const uid = readProcStatus(pid)?.uid ?? -1;
    if (uid >= 0 && uid !== process.getuid?.()) this.#uids.set(id, uid);
    this.sandboxes.adopted(id, uid, identity.cmdline);
    this.#cgroup?.attachPidsSync(id, pid);
    if (this.#cgroup) {
      const cg = this.#cgroup;
      void cg.attach(id, pid).then(() => cg.setMemoryLimit(id, this.#sup.limits.of(id)?.memory_limit_bytes ?? 0));
    }
    proc.on("exit", (code: number, signal: NodeJS.Signals | null) => void this.#onExit(id, pid, child, code, signal));
    this.#log(`agent ${id} (${this.#sup.getAgent(id)?.name}) re-adopted, pid ${pid}`);
  }

  async #onExit(id: number, pid: number, child: ChildProcess, exitCode: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const sup = this.#sup;
    // A SIGKILL from the kernel's OOM killer in the agent's memory group is the memory limit
    // doing its job: report MemoryExceeded (its recovery action runs) before the exit, so the
    // exit is not taken for a crash.
    if (signal === "SIGKILL" && this.#cgroup?.memoryRoot) {
      const { kills, peak } = this.#cgroup.oomKills(id);
      if (kills > (this.#oomKills.get(id) ?? 0)) {
        this.#oomKills.set(id, kills);
        const limit = sup.limits.of(id)?.memory_limit_bytes ?? 0;
        if (sup.getAgent(id)?.pid === pid) sup.onFault(id, { type: "MemoryExceeded", used: Math.max(peak, limit), limit });
      }
    }
    if (this.#children.get(id) === child) this.#children.delete(id);
    this.#throttle.end(id, false);
    // Whatever the agent forked dies with it (systemd's KillMode=control-group): its process
    // group, and in its pids cgroup whatever left that group (setsid) or outran the signal.
    killGroup(pid);
    this.#cgroup?.killAll(id);
    let status = signal ? -(constants.signals[signal] ?? 9) : (exitCode ?? 0);
    // bubblewrap reports a child killed by signal N as exit 128+N, like a shell.
    if (!signal && status > 128 && status <= 128 + 64 && this.sandboxes.sandboxed(id)) status = -(status - 128);
    sup.onAgentExit(pid, status);
    if (this.#discarding.delete(id)) sup.remove(id);
    // The agent's groups stay while a restart is coming (a crash loop made and removed three
    // directories per cycle); otherwise they go once the SIGKILLed rest is reaped.
    if (this.#cgroup && !this.#children.has(id) && sup.getAgent(id)?.state !== "backoff") {
      const cg = this.#cgroup;
      setTimeout(() => {
        if (this.#children.has(id) || sup.getAgent(id)?.state === "backoff") return;
        this.#oomKills.delete(id); // a new group starts counting from 0
        void cg.release(id);
      }, 100).unref();
    }
  }

  #fail(code: number, reason: string): number {
    this.#sup.ctx.reason = reason;
    return code;
  }

  #signal(id: number, sig: NodeJS.Signals): void {
    const child = this.#children.get(id);
    if (!child?.pid) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* gone */
      }
    }
  }

  #later(ms: number, fn: () => void): void {
    // A zero delay (restart_backoff base_ms=0) runs on the next turn of the loop, not after
    // setTimeout's 1 ms floor; still not inside the exit handler that asked for it.
    if (ms <= 0) {
      setImmediate(() => {
        if (!this.#closing) fn();
      });
      return;
    }
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #onLifecycle(kind: number, id: number, arg: number): void {
    if (kind === LIFECYCLE_NOTICE.spawned || kind === LIFECYCLE_NOTICE.exited || kind === LIFECYCLE_NOTICE.removed) this.#callers.forget();
    if (kind === LIFECYCLE_NOTICE.removed) this.sandboxes.forget(id);
    if (kind === LIFECYCLE_NOTICE.stopRequested) {
      const child = this.#children.get(id);
      if (!child) return;
      this.#throttle.end(id, false);
      if (arg === 1) return this.#signal(id, "SIGKILL");
      this.#signal(id, "SIGTERM");
      this.#signal(id, "SIGCONT"); // a stopped (throttled) group must run to handle SIGTERM
      this.#later(this.#graceMs, () => {
        if (this.#children.get(id) === child) this.#signal(id, "SIGKILL");
      });
    } else if (kind === LIFECYCLE_NOTICE.throttleRequested) {
      this.#throttle.start(id);
    } else if (kind === LIFECYCLE_NOTICE.unthrottleRequested) {
      this.#throttle.end(id, true);
    } else if (kind === LIFECYCLE_NOTICE.restartScheduled) {
      if (this.#closing) return;
      this.#later(arg, () => {
        const spec = this.#sup.specOf(id);
        const a = this.#sup.getAgent(id);
        if (!spec || !a || a.state !== "backoff" || this.#closing) return;
        this.#restart(id, spec);
      });
    }
  }

  /**
   * Stop every agent (SIGTERM, SIGKILL after the grace) and cancel pending restarts; with
   * `keepAgents`, leave them running (their output goes to files, not to us) and only let go.
   */
  async shutdown(keepAgents = false): Promise<void> {
    this.#closing = true;
    if (this.#sampler) clearInterval(this.#sampler);
    await this.#procs.close();
    if (keepAgents) {
      for (const id of this.#throttle.ids()) this.#throttle.end(id, true);
      for (const t of this.#timers) clearTimeout(t);
      for (const child of this.#children.values()) child.unref();
      this.#spawner.close();
      await this.sandboxes.close(true);
      return;
    }
    for (const id of this.#throttle.ids()) this.#throttle.end(id, true);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const waits: Promise<void>[] = [];
    for (const [id, child] of this.#children) {
      waits.push(new Promise((resolve) => child.once("exit", () => resolve())));
      this.#signal(id, "SIGTERM");
    }
    const kill = setTimeout(() => {
      for (const id of this.#children.keys()) this.#signal(id, "SIGKILL");
    }, this.#graceMs);
    await Promise.all(waits);
    clearTimeout(kill);
    this.#spawner.close();
    await this.sandboxes.close();
    await new Promise((r) => setTimeout(r, 50)); // let the group kills be reaped
    await this.#cgroup?.close();
  }

  /** Pids of the processes this host started and that still run. */
  pids(): number[] {
    return [...this.#children.values()].map((c) => c.pid!).filter(Boolean);
  }
}

/** SIGKILL an agent's process group (its pid leads it); nothing if it is already empty. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* group already empty */
  }
}
