import { durableAgent, durableMeta, EVENT_NAMES, ERRNO, renderEventAt, restoreAgent, restoreMeta, revertAgent, type AgentSupervisor, type DurableAgent } from "../lib/mod.ts";
import { Journal, type AuditRecord } from "./journal.ts";
import { procIdentity, type ProcIdentity } from "./proc_reader.ts";

export interface RestoreSummary {
  restored: number;
  adopted: number[];
  lost: number[];
}

/**
 * Keeps the journal in step with the core. `flush()` writes, in one transaction,
 * every agent whose durable record changed, the defaults and counters, the new audit entries
 * (control writes from the policy controller's trail, lifecycle transitions and recovery
 * actions from the event ring). Control writes call it before they are acknowledged; the
 * supervisor's own changes (exits, restarts, faults) are flushed on the next tick.
 *
 * When a commit fails (ENOSPC, EIO) after a control write, the write's durable effects are
 * undone from the last durable records: policy, limits, recovery, risk, dependencies revert;
 * an agent that never was durable (a spawn) is killed and removed. Signals already sent
 * (kill, stop, restart) cannot be recalled; the write still reports the errno.
 */
export class Durability {
  readonly journal: Journal;
  readonly #sup: AgentSupervisor;
  /** Last durable record of each agent, as written. */
  readonly #cache = new Map<number, string>();
  readonly #proc = new Map<number, ProcIdentity | null>();
  #meta = "";
  #policySeq = 0;
  #eventTotal: number;
  #timer: ReturnType<typeof setImmediate> | null = null;
  #frozen = false;
  #log: (line: string) => void;
  /** Kill and forget an agent that never became durable (a spawn whose commit failed). */
  discard: (id: number) => void = () => {};

  constructor(sup: AgentSupervisor, journal: Journal, log: (line: string) => void = () => {}) {
    this.#sup = sup;
    this.journal = journal;
    this.#log = log;
    this.#eventTotal = sup.ctx.events.total;
  }

  #identity = (pid: number) => {
    if (!this.#proc.has(pid)) this.#proc.set(pid, procIdentity(pid));
    return this.#proc.get(pid) ?? null;
  };

  /**
   * Bring back defaults, counters and agents. An agent whose process still runs — same pid,
   * same start time, same command line — is re-adopted (`adopt(id, pid)`); the others go
   * through the restart rules as an exit with unknown status.
   */
  restore(adopt: (id: number, pid: number, identity: ProcIdentity) => void): RestoreSummary {
    const sup = this.#sup;
    // After a clean shutdown the daemon stopped its agents itself, without journaling those
    // exits: they start again, like services at boot. After a crash they died unseen.
    const check = this.journal.quickCheck();
    if (check !== "ok") throw new Error(`${this.journal.path}: the database is damaged (${check}); refusing to start on it`);
    const chain = this.journal.verify();
    if (!chain.ok) {
      // Not silently accepted: said now, kept in the trail, and `audit verify` keeps saying it.
      this.#log(`journal: AUDIT CHAIN BROKEN: ${chain.problem!.reason}`);
      sup.audit.record(0, "ChainBroken", chain.problem!.reason, ERRNO.EBADMSG, { via: "journal" });
    }
    const clean = this.journal.cleanShutdown();
    this.journal.markShutdown(false);
    const meta = this.journal.meta();
    if (meta) restoreMeta(sup, meta);
    const out: RestoreSummary = { restored: 0, adopted: [], lost: [] };
    for (const rec of this.journal.agents()) {
      let pid = 0;
      if (rec.pid > 0 && rec.proc) {
        const now = procIdentity(rec.pid);
        if (now && now.starttime === rec.proc.starttime && now.cmdline === rec.proc.cmdline) pid = rec.pid;
      }
      const r = restoreAgent(sup, rec, pid, clean ? "stopped" : "crashed");
      if (r < 0) {
        this.#log(`journal: agent ${rec.agent_id} not restored: ${sup.lastReason}`);
        continue;
      }
      out.restored++;
      if (pid > 0) {
        this.#proc.set(pid, rec.proc);
        out.adopted.push(rec.agent_id);
        adopt(rec.agent_id, pid, rec.proc!);
      } else if (rec.pid > 0 || !["exited", "failed"].includes(rec.state)) {
        out.lost.push(rec.agent_id);
        if (clean) sup.restart(rec.agent_id);
      }
    }
    this.#eventTotal = sup.ctx.events.total - sup.ctx.events.length; // journal what restoring did
    const failed = this.flush();
    if (failed < 0) this.#log(`journal: cannot write after restore: errno ${failed}`);
    return out;
  }

  /**
   * Flush on the next tick the lifecycle changes nobody waits for: only the agents their
   * events name, and without an fsync of their own (the next acknowledged write's fsync, or
   * the clean stop, covers them; a kill -9 of the daemon loses none of them — see commit()).
   * At crash-loop rates this was most of the daemon's time (bench: 100 agents restarting).
   */
  soon(): void {
    if (this.#timer || this.#frozen) return;
    this.#timer = setImmediate(() => {
      this.#timer = null;
      const r = this.flush(false, "touched", false);
      if (r < 0) this.#log(`journal: write failed (${r === ERRNO.ENOSPC ? "ENOSPC" : "EIO"}); retrying with the next change`);
    });
  }

  /**
   * Make a control write durable before it is acknowledged: commit what changed now (a
   * failure — ENOSPC, EIO — is undone and returned at once), then wait for a shared fsync of
   * the journal (Journal.sync: one fsync covers every write that arrived while the previous
   * one ran, and the daemon serves other requests meanwhile). A kill -9 of the daemon between
   * the commit and the fsync loses nothing (the commit is in the page cache); the writer is
   * answered only after the fsync, so what it was told survives a machine crash too.
   */
  persist(scope: "touched" | "all"): number | Promise<number> {
    const r = this.flush(true, scope, false);
    if (r < 0) return r;
    return this.journal.sync();
  }

  /**
   * Write what changed; 0, or ENOSPC / EIO after undoing what can be undone (see above).
   * `scope` "touched" looks only at agents named by the new audit entries and events (a text
   * control write: every command is audited under the agent it names), "all" at every agent.
   */
  flush(revert = false, scope: "touched" | "all" = "all", fsync = true): number {
    if (this.#frozen) return 0;
    const sup = this.#sup;
    const agents = new Map<number, DurableAgent | null>();
    const json = new Map<number, string>();
    const audit = this.#newAudit();
    const consider = (id: number) => {
      if (agents.has(id)) return;
      const rec = durableAgent(sup, id, this.#identity);
      if (!rec) {
        if (this.#cache.has(id)) agents.set(id, null);
        return;
      }
      const text = JSON.stringify(rec);
      if (this.#cache.get(id) !== text) {
        agents.set(id, rec);
        json.set(id, text);
      }
    };
    if (scope === "touched") for (const id of audit.agents) consider(id);
    else {
      for (const a of sup.listAgents()) consider(a.agent_id);
      for (const id of this.#cache.keys()) if (!sup.hasAgent(id)) agents.set(id, null);
    }
    const meta = durableMeta(sup);
    const metaText = JSON.stringify(meta);
    if (agents.size === 0 && metaText === this.#meta && audit.records.length === 0) return 0;
    const r = this.journal.commit({ agents, meta: metaText !== this.#meta ? meta : undefined, audit: audit.records }, fsync);
    if (r < 0) {
      if (revert) this.#undo(agents);
      return r;
    }
    for (const [id, rec] of agents) {
      if (rec) this.#cache.set(id, json.get(id)!);
      else this.#cache.delete(id);
    }
    for (const pid of this.#proc.keys()) if (sup.getAgentByPid(pid) === undefined) this.#proc.delete(pid);
    this.#meta = metaText;
    this.#policySeq = audit.policySeq;
    this.#eventTotal = audit.eventTotal;
    return 0;
  }

  #undo(changed: Map<number, DurableAgent | null>): void {
    for (const [id, rec] of changed) {
      if (!rec) continue; // a removal: the agent is gone either way
      const before = this.#cache.get(id);
      if (before) revertAgent(this.#sup, JSON.parse(before) as DurableAgent);
      else this.discard(id);
    }
  }

  /** Audit entries not yet journaled: control writes (policy trail), then lifecycle events. */
  #newAudit(): { records: Omit<AuditRecord, "seq">[]; agents: Set<number>; policySeq: number; eventTotal: number } {
    const sup = this.#sup;
    const records: Omit<AuditRecord, "seq">[] = [];
    const agents = new Set<number>();
    let policySeq = this.#policySeq;
    for (const e of sup.audit.after(this.#policySeq)) {
      const via = e.caller.via ?? (e.caller.agentId !== undefined ? `agent:${e.caller.agentId}` : "core");
      records.push({ wall: e.wall, ts_us: e.ts_us, agent: e.agent, action: e.action, result: e.result, via, uid: e.caller.uid ?? null, detail: e.detail });
      policySeq = e.seq;
    }
    const ring = sup.ctx.events;
    const wall = new Date(sup.ctx.clock.wallMs()).toISOString();
    const oldest = ring.total - ring.length;
    if (this.#eventTotal < oldest) {
      records.push({ wall, ts_us: sup.ctx.clock.nowUs(), agent: 0, action: "EventsLost", result: "ok", via: "supervisor", uid: null, detail: `${oldest - this.#eventTotal} events overwritten before they were journaled` });
    }
    for (let n = Math.max(this.#eventTotal, oldest); n < ring.total; n++) {
      const p = ring.at(n - oldest);
      const line = renderEventAt(sup, p);
      records.push({ wall, ts_us: ring.ts[p], agent: ring.agent[p], action: EVENT_NAMES[ring.kind[p]], result: "ok", via: "supervisor", uid: null, detail: line.slice(line.indexOf(" ") + 1) });
    }
    for (const r of records) if (r.agent > 0) agents.add(r.agent);
    return { records, agents, policySeq, eventTotal: ring.total };
  }

  /**
   * A clean shutdown begins: write everything, then stop journaling, so the agents' records
   * keep the states they had (the next daemon starts them again) while the daemon stops them.
   */
  beginShutdown(): void {
    if (this.#timer) clearImmediate(this.#timer);
    this.#timer = null;
    this.flush();
    this.#frozen = true;
  }

  /** `clean`: the agents were stopped by the daemon (or left running with --keep-agents). */
  close(clean: boolean): void {
    if (this.#timer) clearImmediate(this.#timer);
    this.#timer = null;
    if (!this.#frozen) this.flush();
    try {
      this.journal.markShutdown(clean);
    } catch {
      /* a full disk: the next start treats it as a crash */
    }
    this.journal.close();
  }
}
