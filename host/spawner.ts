import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { createInterface } from "node:readline";
import { compiledScript } from "../lib/mod.ts";
import { AdoptedProcess, PidProcess } from "./adopted_process.ts";
import { procIdentity, type ProcIdentity } from "./proc_reader.ts";
import type { SpawnRequest } from "./spawner_main.ts";

/**
 * The daemon's side of the spawner process (spawner_main.ts): restarts go through it, so a
 * crash-looping fleet does not block the daemon's event loop — and every FUSE request — for a
 * fork of the daemon per restart (bench and docs/reliability.md: 8–14 ms each at
 * ~150 MB resident). Started with the first agent (`warm()`) or on first use, restarted
 * after it dies; agents it started then are watched through /proc like re-adopted ones.
 */
export class Spawner {
  readonly #stdio: () => StdioOptions;
  readonly #log: (line: string) => void;
  #child: ChildProcess | null = null;
  #seq = 0;
  readonly #pending = new Map<number, { resolve: (r: SpawnResult) => void; timer: ReturnType<typeof setTimeout> }>();
  readonly #procs = new Map<number, RemoteProcess>();
  readonly #onStart: (pid: number) => void;

  /**
   * `stdio`: the descriptors the spawner gets (the host seals inherited ones; 0 and 1 become
   * the request and answer pipes). `onStart`: told each new spawner's pid.
   */
  constructor(stdio: () => StdioOptions, log: (line: string) => void, onStart: (pid: number) => void = () => {}) {
    this.#stdio = stdio;
    this.#log = log;
    this.#onStart = onStart;
  }

  /** The spawner's pid, once started (its main thread passes through agents' pids groups). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  spawn(req: Omit<SpawnRequest, "seq">): Promise<SpawnResult> {
    const child = this.#ensure();
    if (!child) return Promise.resolve({ error: "the spawner process could not start", code: "EAGAIN" });
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        resolve({ error: "the spawner did not answer within 10 s", code: "ETIMEDOUT" });
        this.#child?.kill("SIGKILL"); // a new one starts with the next request
      }, 10_000);
      this.#pending.set(seq, { resolve, timer });
      child.stdin!.write(JSON.stringify({ ...req, seq }) + "\n");
    });
  }

  /**
   * Start the spawner now if it is not running, so the first restart does not wait for a Node
   * start-up (~0.1–0.2 s, measured as a longer first backoff).
   */
  warm(): void {
    this.#ensure();
  }

  /** End the spawner (its agents keep running; their exits are no longer reported). */
  close(): void {
    this.#child?.stdin?.end();
    this.#child = null;
  }

  #ensure(): ChildProcess | null {
    if (this.#child) return this.#child;
    let child: ChildProcess;
    try {
      const stdio = [...(this.#stdio() as (number | "ignore" | "pipe" | "inherit")[])];
      stdio[0] = "pipe";
      stdio[1] = "pipe";
      stdio[2] = "inherit";
      // Its own session: a Ctrl-C or SIGTERM to the daemon's process group (a terminal, `npm
      // start`) must not end it before the daemon has stopped its agents. It ends when its
      // stdin closes: at the daemon's stop, or when the daemon dies.
      child = spawn(process.execPath, [spawnerScript()], { stdio, detached: true });
    } catch (e) {
      this.#log(`spawner: cannot start (${(e as Error).message})`);
      return null;
    }
    if (child.pid === undefined) return null;
    this.#child = child;
    this.#onStart(child.pid);
    child.stdin!.on("error", () => {});
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => this.#onLine(line));
    child.on("exit", (code, signal) => {
      if (this.#child === child) this.#child = null;
      for (const [seq, p] of this.#pending) {
        clearTimeout(p.timer);
        p.resolve({ error: "the spawner process died", code: "EAGAIN" });
        this.#pending.delete(seq);
      }
      // Its agents live on (own process groups), no longer its children to wait for.
      for (const proc of this.#procs.values()) proc.orphaned();
      this.#procs.clear();
      if (code !== 0) this.#log(`spawner: exited (${signal ?? code}); agents it started are watched through /proc`);
    });
    return child;
  }

  #onLine(line: string): void {
    let msg: { seq?: number; pid?: number; error?: string; code?: string; exit?: number; signal?: NodeJS.Signals | null; ready?: number };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.seq !== undefined) {
      const p = this.#pending.get(msg.seq);
      if (!p) return;
      this.#pending.delete(msg.seq);
      clearTimeout(p.timer);
      if (msg.pid === undefined) return p.resolve({ error: msg.error ?? "spawn failed", code: msg.code ?? "EINVAL" });
      const proc = new RemoteProcess(msg.pid);
      this.#procs.set(msg.pid, proc);
      p.resolve({ pid: msg.pid, proc });
    } else if (msg.exit !== undefined) {
      const proc = this.#procs.get(msg.exit);
      this.#procs.delete(msg.exit);
      proc?.exited(typeof msg.code === "number" ? msg.code : null, msg.signal ?? null);
    } else if (msg.ready !== undefined) {
      this.#procs.get(msg.ready)?.emit("ready");
    }
  }
}

export type SpawnResult = { pid: number; proc: RemoteProcess } | { error: string; code: string };

/**
 * An agent the spawner started: stands in for a ChildProcess in the host (`pid`, `kill()`,
 * `exit` with the real code and signal, `ready` for notify readiness). If the spawner dies it
 * falls back to polling /proc, like a re-adopted agent (exit status then unknown: 255).
 */
export class RemoteProcess extends PidProcess {
  readonly #identity: ProcIdentity | null;
  #watch: AdoptedProcess | null = null;
  #done = false;
  /**
   * `exit` and `ready` are sticky: the spawner's answer and the agent's exit can arrive in
   * one read, before whoever awaited the answer has listened; a late listener still hears.
   */
  readonly #happened = new Map<string, unknown[]>();

  constructor(pid: number) {
    super(pid);
    this.#identity = procIdentity(pid); // to tell the agent from a later process with its pid
  }

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    this.#replay(event, listener);
    return this;
  }

  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    const past = typeof event === "string" ? this.#happened.get(event) : undefined;
    if (past) {
      queueMicrotask(() => listener(...past));
      return this;
    }
    return super.once(event, listener);
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === "exit" || event === "ready") this.#happened.set(event, args);
    return super.emit(event, ...args);
  }

  #replay(event: string | symbol, listener: (...args: any[]) => void): void {
    const past = typeof event === "string" ? this.#happened.get(event) : undefined;
    if (past) queueMicrotask(() => listener(...past));
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#done) return;
    this.#done = true;
    this.#watch?.unref();
    this.emit("exit", code, signal);
  }

  orphaned(): void {
    if (this.#done) return;
    if (!this.#identity) return this.exited(255, null);
    this.#watch = new AdoptedProcess(this.pid, this.#identity);
    this.#watch.once("exit", (code: number, signal: NodeJS.Signals | null) => this.exited(code, signal));
  }

  /** Stop watching (the daemon leaves it running: --keep-agents). */
  unref(): void {
    this.#done = true;
    this.#watch?.unref();
  }
}

function spawnerScript(): string {
  return compiledScript(import.meta.url, "host", "spawner_main").pathname;
}
