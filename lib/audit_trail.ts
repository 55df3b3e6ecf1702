import type { CoreContext } from "./_context.ts";
import { AUDIT_DETAIL_MAX } from "./audit_record.ts";
import { errnoName } from "./errno.ts";

/** Who asked for a change. No `agentId` means the daemon's owner (ctl files, CLI, fleet). */
export interface Caller {
  agentId?: number;
  uid?: number;
  pid?: number;
  /** The interface used: "ctl", "policy", "syscall", "cli", … */
  via?: string;
}

export interface AuditEntry {
  seq: number;
  ts_us: number;
  wall: string;
  agent: number;
  action: string;
  detail: string;
  result: string;
  caller: Caller;
}

export const DEFAULT_AUDIT_CAPACITY = 10_000;

/**
 * The audit trail in memory: every control write, accepted or refused, and every policy patch,
 * with its caller and result (SPEC §9). It holds the newest `capacity` entries; the journal
 * (host/journal.ts) keeps them all, hash-chained, with the lifecycle events from the ring.
 */
export class AuditTrail {
  readonly #ctx: CoreContext;
  readonly #entries: AuditEntry[] = [];
  readonly #capacity: number;
  #seq = 0;

  constructor(ctx: CoreContext, capacity = DEFAULT_AUDIT_CAPACITY) {
    this.#ctx = ctx;
    this.#capacity = capacity;
  }

  /** Append an entry; a detail longer than AUDIT_DETAIL_MAX is cut and ends in "…". */
  record(agent: number, action: string, detail: string, code: number, caller: Caller): AuditEntry {
    const entry: AuditEntry = {
      seq: ++this.#seq,
      ts_us: this.#ctx.clock.nowUs(),
      wall: new Date(this.#ctx.clock.wallMs()).toISOString(),
      agent,
      action,
      detail: detail.length > AUDIT_DETAIL_MAX ? `${detail.slice(0, AUDIT_DETAIL_MAX - 1)}…` : detail,
      result: code >= 0 ? "ok" : errnoName(code),
      caller: { ...caller },
    };
    this.#entries.push(entry);
    if (this.#entries.length > this.#capacity) this.#entries.splice(0, this.#entries.length - this.#capacity);
    return entry;
  }

  /** The entries held, oldest first; one agent's only with `agent`. */
  entries(agent?: number): AuditEntry[] {
    return agent === undefined ? [...this.#entries] : this.#entries.filter((e) => e.agent === agent);
  }

  /**
   * The entries after sequence number `seq`, oldest first: walks back from the newest only as
   * far as needed (the journal asks after every write; copying all 10,000 held entries each
   * time cost the daemon under load).
   */
  after(seq: number): AuditEntry[] {
    let i = this.#entries.length;
    while (i > 0 && this.#entries[i - 1].seq > seq) i--;
    return this.#entries.slice(i);
  }
}
