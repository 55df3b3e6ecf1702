import { EventEmitter } from "node:events";
import { isZombie, procIdentity, type ProcIdentity } from "./proc_reader.ts";

/**
 * A process the host knows by pid only (not its ChildProcess): it stands in for one with
 * `pid`, `kill()` and an `exit` event. Re-adopted agents, and agents the spawner started.
 */
export class PidProcess extends EventEmitter {
  readonly pid: number;

  constructor(pid: number) {
    super();
    this.pid = pid;
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): boolean {
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * A re-adopted agent: a process the daemon did not start in this life, so it cannot
 * wait(2) for it. It stands in for a ChildProcess in the host: `kill()` signals the pid, and
 * an `exit` event with code 255 (status unknown: an abnormal exit, as the restart rules want)
 * is emitted once /proc shows the pid gone or reused by another process (start time or command
 * line changed). Polled every `pollMs` (pidfd_open is not reachable from Node 20).
 */
export class AdoptedProcess extends PidProcess {
  readonly #identity: ProcIdentity;
  #timer: NodeJS.Timeout | null;

  constructor(pid: number, identity: ProcIdentity, pollMs = 200) {
    super(pid);
    this.#identity = identity;
    this.#timer = setInterval(() => this.#poll(), pollMs);
  }

  #poll(): void {
    const now = procIdentity(this.pid);
    if (now && now.starttime === this.#identity.starttime && now.cmdline === this.#identity.cmdline && !isZombie(this.pid)) return;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.emit("exit", 255, null);
  }

  /** Stop watching (the daemon leaves it running: --keep-agents). */
  unref(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
