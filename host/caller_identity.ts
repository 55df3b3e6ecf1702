import type { AgentSupervisor } from "../lib/mod.ts";
import { readProcStatus } from "./proc_reader.ts";

/**
 * The agent a calling process belongs to: the first of it and its ancestors (up to 64) that is
 * an agent's main process — `agents/self` and "an agent acts only on itself" for a caller the
 * FUSE backend names by pid. FUSE names the calling *thread* (a Node agent's fs calls come from
 * its thread pool), so a thread's process comes first, then the parents.
 *
 * Every control write asks: the walk reads /proc once per ancestor (~5 reads for a shell's
 * child, 75 µs of a 130 µs shim round trip when measured), so answers are remembered until an
 * agent's process comes or goes (`forget()`), or for a second at most (a pid reused by an
 * unrelated process).
 */
export class CallerIdentity {
  readonly #sup: AgentSupervisor;
  readonly #cache = new Map<number, number | undefined>();
  #since = 0;

  constructor(sup: AgentSupervisor) {
    this.#sup = sup;
  }

  agentOf(pid: number): number | undefined {
    const direct = this.#sup.getAgentByPid(pid);
    if (direct) return direct.agent_id;
    const now = performance.now();
    if (now - this.#since > 1000 || this.#cache.size >= 4096) this.forget(now);
    if (this.#cache.has(pid)) return this.#cache.get(pid);
    const found = this.#walk(pid);
    this.#cache.set(pid, found);
    return found;
  }

  /** An agent's process came or went: earlier answers may be wrong now. */
  forget(now = performance.now()): void {
    this.#cache.clear();
    this.#since = now;
  }

  #walk(pid: number): number | undefined {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      const a = this.#sup.getAgentByPid(p);
      if (a) return a.agent_id;
      const st = readProcStatus(p);
      if (!st) return undefined;
      p = st.tgid !== p && st.tgid > 0 ? st.tgid : st.ppid;
    }
    return undefined;
  }
}
