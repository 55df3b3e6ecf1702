import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { openSync, readdirSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import { ERRNO, LIFE, type AgentHost, type AgentSpec, type AgentSupervisor } from "../mod.ts";

export interface ProcessHostOptions {
  /** Grace between SIGTERM and SIGKILL on a graceful stop (default 5000 ms). */
  graceMs?: number;
  /** Put into every agent's environment as AGENTSYS_ROOT. */
  mountPath?: string;
  log?: (line: string) => void;
}

/**
 * The host part of lib/: runs agents as real processes (own process group, so a stop reaches
 * their children), reports their exits to the supervisor, and carries out what lifecycle
 * listeners ask for: stop (SIGTERM, then SIGKILL after the grace), kill, and respawn after a
 * restart delay. Sampling, cgroups, throttling, logs and readiness belong to the real-process
 * issue and extend this class.
 */
export class ProcessHost implements AgentHost {
  readonly #sup: AgentSupervisor;
  readonly #children = new Map<number, ChildProcess>(); // agent id → current process
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #graceMs: number;
  readonly #mountPath: string | undefined;
  readonly #log: (line: string) => void;
  #closing = false;
  #devNull = -1;
  #stdio: { at: number; value: StdioOptions } = { at: 0, value: "ignore" };

  constructor(sup: AgentSupervisor, options: ProcessHostOptions = {}) {
    this.#sup = sup;
    this.#graceMs = options.graceMs ?? 5000;
    this.#mountPath = options.mountPath;
    this.#log = options.log ?? (() => {});
    sup.onLifecycle((kind, id, arg) => this.#onLifecycle(kind, id, arg));
  }

  /** Start a process for `spec` and register it. Returns the AgentId or a negative errno. */
  startAgent(spec: AgentSpec): number {
    const sup = this.#sup;
    if (!spec.command) return this.#fail(ERRNO.EINVAL, `Cannot start agent "${spec.name}": no command`);
    const id = spec.agent_id && spec.agent_id !== 0 ? spec.agent_id : sup.peekFreeId();
    if (id < 0) return this.#fail(ERRNO.ENOSPC, "Cannot start agent: no free agent id");
    const existing = sup.getAgent(id);
    if (existing && existing.active) return this.#fail(ERRNO.EBUSY, `Cannot start agent ${id}: it is ${existing.state} with pid ${existing.pid}`);
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args ?? [], {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env, AGENTSYS_AGENT_ID: String(id), ...(this.#mountPath ? { AGENTSYS_ROOT: this.#mountPath } : {}) },
        detached: true, // own process group: stop and kill reach the agent's children too
        stdio: this.#childStdio(),
      });
    } catch (e) {
      return this.#fail(ERRNO.EINVAL, `Cannot start agent ${id}: ${(e as Error).message}`);
    }
    child.on("error", (e) => this.#log(`agent ${id}: ${e.message}`));
    const pid = child.pid;
    if (pid === undefined) {
      return this.#fail(ERRNO.ENOENT, `Cannot start agent ${id}: could not run "${spec.command}" (not found or not executable)`);
    }
    const code = sup.onAgentSpawn(pid, { ...spec, agent_id: id });
    if (code < 0) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* already gone */
      }
      return code;
    }
    this.#children.set(id, child);
    child.on("exit", (exitCode, signal) => {
      if (this.#children.get(id) === child) this.#children.delete(id);
      const status = signal ? -(constants.signals[signal] ?? 9) : (exitCode ?? 0);
      sup.onAgentExit(pid, status);
    });
    this.#log(`agent ${id} (${spec.name}) started, pid ${pid}`);
    return id;
  }

  /**
   * stdio for a child, with every descriptor the daemon holds without close-on-exec replaced
   * by /dev/null. libfuse 2 leaves /dev/fuse and the auto_unmount socket inheritable: an agent
   * holding them could speak the FUSE protocol, and would keep the mount alive after the
   * daemon dies (fusermount waits for the socket to close). Node cannot set FD_CLOEXEC, but a
   * stdio entry at index N makes libuv dup2 over fd N in the child. Rescanned once a second.
   */
  #childStdio(): StdioOptions {
    const now = Date.now();
    if (now - this.#stdio.at < 1000) return this.#stdio.value;
    if (this.#devNull < 0) this.#devNull = openSync("/dev/null", "r+");
    const leaky: number[] = [];
    try {
      for (const name of readdirSync("/proc/self/fdinfo")) {
        const fd = Number(name);
        if (!(fd > 2) || fd === this.#devNull) continue;
        const info = readFileSync(`/proc/self/fdinfo/${name}`, "utf8");
        const flags = parseInt(/^flags:\s+([0-7]+)/m.exec(info)?.[1] ?? "2000000", 8);
        if (!(flags & 0o2000000)) leaky.push(fd); // no O_CLOEXEC
      }
    } catch {
      /* no procfs: nothing to seal */
    }
    const max = leaky.length > 0 ? Math.max(...leaky) : 2;
    const stdio: (number | "ignore")[] = ["ignore", "ignore", "ignore"];
    for (let fd = 3; fd <= max; fd++) stdio.push(leaky.includes(fd) ? this.#devNull : "ignore");
    this.#stdio = { at: now, value: stdio };
    return stdio;
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
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #onLifecycle(kind: number, id: number, arg: number): void {
    if (kind === LIFE.stopRequested) {
      const child = this.#children.get(id);
      if (!child) return;
      if (arg === 1) return this.#signal(id, "SIGKILL");
      this.#signal(id, "SIGTERM");
      this.#later(this.#graceMs, () => {
        if (this.#children.get(id) === child) this.#signal(id, "SIGKILL");
      });
    } else if (kind === LIFE.restartScheduled) {
      if (this.#closing) return;
      this.#later(arg, () => {
        const spec = this.#sup.specOf(id);
        const a = this.#sup.getAgent(id);
        if (!spec || !a || a.state !== "backoff" || this.#closing) return;
        const r = this.startAgent(spec);
        if (r < 0) this.#log(`agent ${id}: restart failed: ${this.#sup.lastReason}`);
      });
    }
  }

  /** Stop every agent (SIGTERM, SIGKILL after the grace) and cancel pending restarts. */
  async shutdown(): Promise<void> {
    this.#closing = true;
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
  }

  /** Pids of the processes this host started and that still run. */
  pids(): number[] {
    return [...this.#children.values()].map((c) => c.pid!).filter(Boolean);
  }
}
