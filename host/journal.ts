import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { openSqlite, type SqlDatabase, type SqlStatement } from "./sqlite.ts";
import { ERRNO, type AuditRecord, type DurableAgent, type DurableMeta } from "../lib/mod.ts";

export type { AuditRecord };

/**
 * The daemon's journal: SQLite in WAL mode with synchronous=FULL in
 * `<state>/agentsys.db` — chosen by measurement (bench/journal: as fast as an append-only log
 * with fdatasync per write, with transactions and queries for free; docs/durability.md).
 *
 * - `agents`: one durable record (JSON) per agent, replaced when it changes.
 * - `meta`: defaults and system counters; the audit chain's head.
 * - `audit`: append-only, hash-chained: hash = sha256(prev_hash ‖ canonical entry), so an
 *   edited, removed or reordered entry breaks the chain where it happened; the head in `meta`
 *   catches a truncated tail.
 *
 * Everything one acknowledged write changes goes into one transaction: it is on disk before
 * the write returns, or none of it is (ENOSPC / EIO).
 */

export interface JournalChanges {
  agents?: Map<number, DurableAgent | null>;
  meta?: DurableMeta;
  audit?: Omit<AuditRecord, "seq">[];
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  /** Where the chain breaks and why, when it does. */
  problem?: { seq: number; reason: string };
  /** The last entry's sequence number and hash, when intact. */
  head?: { seq: number; hash: string };
}

const GENESIS = "0".repeat(64);

export function entryHash(prev: string, e: AuditRecord): string {
  const canonical = JSON.stringify([e.seq, e.wall, e.ts_us, e.agent, e.action, e.result, e.via, e.uid, e.detail]);
  return createHash("sha256").update(prev).update("\n").update(canonical).digest("hex");
}

/** SQLite error → errno: a full disk is ENOSPC, the rest of I/O trouble EIO. */
export function journalErrno(e: unknown): number {
  const code = String((e as { code?: unknown })?.code ?? "");
  if (code === "SQLITE_FULL" || /ENOSPC|disk is full|database or disk is full/i.test(String((e as Error)?.message))) return ERRNO.ENOSPC;
  return ERRNO.EIO;
}

export class Journal {
  readonly path: string;
  readonly #db: SqlDatabase;
  #wal: FileHandle | null = null;
  #syncing: Promise<number> | null = null;
  #nextSync: Promise<number> | null = null;
  #syncFailed = false;
  readonly #upsert: SqlStatement;
  readonly #delete: SqlStatement;
  readonly #setMeta: SqlStatement;
  readonly #insertAudit: SqlStatement;
  #headSeq: number;
  #headHash: string;

  /** `readonly`: for `agentsys audit` beside a running daemon (WAL lets both work). */
  constructor(path: string, options: { readonly?: boolean } = {}) {
    this.path = path;
    this.#db = openSqlite(path, { readonly: options.readonly === true });
    if (options.readonly) {
      this.#upsert = this.#delete = this.#setMeta = this.#insertAudit = this.#db.prepare("SELECT 1");
      const head = this.#meta("audit_head") as { seq: number; hash: string } | undefined;
      this.#headSeq = head?.seq ?? 0;
      this.#headHash = head?.hash ?? GENESIS;
      return;
    }
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS agents (id INTEGER PRIMARY KEY, record TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY, wall TEXT NOT NULL, ts_us REAL NOT NULL, agent INTEGER NOT NULL,
        action TEXT NOT NULL, result TEXT NOT NULL, via TEXT NOT NULL, uid INTEGER, detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS audit_agent ON audit(agent, seq);
    `);
    this.#upsert = this.#db.prepare("INSERT INTO agents(id, record) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record");
    this.#delete = this.#db.prepare("DELETE FROM agents WHERE id = ?");
    this.#setMeta = this.#db.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    this.#insertAudit = this.#db.prepare("INSERT INTO audit(seq, wall, ts_us, agent, action, result, via, uid, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    const head = this.#meta("audit_head") as { seq: number; hash: string } | undefined;
    this.#headSeq = head?.seq ?? 0;
    this.#headHash = head?.hash ?? GENESIS;
  }

  #meta(key: string): unknown {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row ? JSON.parse(row.value) : undefined;
  }

  /** Durable records, ascending id. A record that does not parse is an error naming it. */
  agents(): DurableAgent[] {
    return (this.#db.prepare("SELECT id, record FROM agents ORDER BY id").all() as { id: number; record: string }[]).map((r) => {
      try {
        const rec = JSON.parse(r.record) as DurableAgent;
        if (rec?.v !== 1 || rec.agent_id !== r.id) throw new Error(`not a version-1 record of agent ${r.id}`);
        return rec;
      } catch (e) {
        throw new Error(`${this.path}: the record of agent ${r.id} is corrupt (${(e as Error).message}); refusing to guess its state`);
      }
    });
  }

  /** SQLite's own consistency check of the file: "ok" or the first problem. */
  quickCheck(): string {
    const rows = this.#db.prepare("PRAGMA quick_check").all() as { quick_check: string }[];
    return rows[0]?.quick_check ?? "ok";
  }

  meta(): DurableMeta | undefined {
    return this.#meta("daemon") as DurableMeta | undefined;
  }

  /** Audit entries (oldest first), optionally of one agent and/or since a wall time (ISO). */
  audit(filter: { agent?: number; since?: string; limit?: number } = {}): AuditRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.agent !== undefined) {
      where.push("agent = ?");
      args.push(filter.agent);
    }
    if (filter.since !== undefined) {
      where.push("wall >= ?");
      args.push(filter.since);
    }
    const sql = `SELECT seq, wall, ts_us, agent, action, result, via, uid, detail FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC ${filter.limit ? `LIMIT ${Math.floor(filter.limit)}` : ""}`;
    return (this.#db.prepare(sql).all(...args) as AuditRecord[]).reverse();
  }

  /** Did the last daemon stop cleanly (it stopped its agents itself)? Cleared by `running()`. */
  cleanShutdown(): boolean {
    return (this.#meta("shutdown") as { clean?: boolean } | undefined)?.clean === true;
  }

  /** Record how the daemon stands: running (a crash leaves this) or stopped cleanly. */
  markShutdown(clean: boolean): void {
    this.#setMeta.run("shutdown", JSON.stringify({ clean, at: new Date().toISOString() }));
  }

  /** The chain's head: the last sequence number written. */
  get auditSeq(): number {
    return this.#headSeq;
  }

  /**
   * Write one write's worth of changes in one transaction, fsynced before it returns unless
   * `fsync` is false: then the commit survives a crash of the daemon (it is in the WAL, in
   * the kernel's page cache) but not of the machine until the next fsynced commit, which
   * makes everything before it durable too (the WAL is written in order). For lifecycle
   * changes nobody waits for, at crash-loop rates. Returns 0, or ENOSPC / EIO with nothing
   * written.
   */
  commit(changes: JournalChanges, fsync = true): number {
    if (this.#syncFailed) return ERRNO.EIO; // see sync(): nothing more goes on top of an unknown state
    let seq = this.#headSeq;
    let hash = this.#headHash;
    if (!fsync) this.#db.exec("PRAGMA synchronous = NORMAL");
    try {
      this.#db.transaction(() => {
        for (const [id, rec] of changes.agents ?? []) {
          if (rec) this.#upsert.run(id, JSON.stringify(rec));
          else this.#delete.run(id);
        }
        if (changes.meta) this.#setMeta.run("daemon", JSON.stringify(changes.meta));
        for (const a of changes.audit ?? []) {
          const e: AuditRecord = { seq: ++seq, ...a };
          const prev = hash;
          hash = entryHash(prev, e);
          this.#insertAudit.run(e.seq, e.wall, e.ts_us, e.agent, e.action, e.result, e.via, e.uid, e.detail, prev, hash);
        }
        if (seq !== this.#headSeq) this.#setMeta.run("audit_head", JSON.stringify({ seq, hash }));
      });
    } catch (e) {
      return journalErrno(e);
    } finally {
      if (!fsync) this.#db.exec("PRAGMA synchronous = FULL");
    }
    this.#headSeq = seq;
    this.#headHash = hash;
    return 0;
  }

  /**
   * Make every commit so far durable: an fdatasync of the WAL (in the thread pool, so the
   * daemon keeps serving meanwhile). Concurrent callers share fsyncs — a group commit: one
   * that arrives while an fsync runs waits for the next one, which covers everyone who came
   * during the first. Resolves 0, or EIO — after which the journal refuses to be trusted:
   * once an fsync failed the kernel may have dropped the dirty pages, so every later commit
   * and `sync` fails with EIO (the callers undo their changes) and the daemon must be
   * restarted to find out what reached the disk (what PostgreSQL does after "fsyncgate").
   */
  sync(): Promise<number> {
    if (this.#syncFailed) return Promise.resolve(ERRNO.EIO);
    if (this.#syncing) {
      this.#nextSync ??= this.#syncing.then(() => {
        this.#nextSync = null;
        return this.#fsyncWal();
      });
      return this.#nextSync;
    }
    return this.#fsyncWal();
  }

  #fsyncWal(): Promise<number> {
    const run = this.#datasyncWal().finally(() => {
      if (this.#syncing === run) this.#syncing = null;
    });
    this.#syncing = run;
    return run;
  }

  async #datasyncWal(): Promise<number> {
    try {
      this.#wal ??= await open(`${this.path}-wal`, "r");
      await this.#wal.datasync();
      return 0;
    } catch {
      this.#syncFailed = true;
      return ERRNO.EIO;
    }
  }

  /** Walk the whole chain: the first entry that was edited, removed or moved, if any. */
  verify(): VerifyResult {
    // One read transaction: the entries and the recorded head from the same snapshot, while
    // a running daemon goes on committing (they were read apart, and a commit in between
    // looked like a truncated chain).
    return this.#db.transaction(() => this.#verify());
  }

  #verify(): VerifyResult {
    let prev = GENESIS;
    let expect = 1;
    let n = 0;
    for (const row of this.#db.prepare("SELECT * FROM audit ORDER BY rowid").iterate() as Iterable<AuditRecord & { prev_hash: string; hash: string }>) {
      n++;
      if (row.seq !== expect) {
        return { ok: false, entries: n, problem: { seq: expect, reason: row.seq > expect ? `entries ${expect}–${row.seq - 1} are missing (removed)` : `entry ${row.seq} is out of order (expected ${expect})` } };
      }
      if (row.prev_hash !== prev) return { ok: false, entries: n, problem: { seq: row.seq, reason: `entry ${row.seq} does not follow entry ${row.seq - 1} (reordered or the previous entry changed)` } };
      if (entryHash(prev, row) !== row.hash) return { ok: false, entries: n, problem: { seq: row.seq, reason: `entry ${row.seq} was edited (its hash does not match its content)` } };
      prev = row.hash;
      expect++;
    }
    const head = this.#meta("audit_head") as { seq: number; hash: string } | undefined;
    if (head && (head.seq !== expect - 1 || head.hash !== prev)) {
      return { ok: false, entries: n, problem: { seq: expect, reason: head.seq > expect - 1 ? `entries ${expect}–${head.seq} are missing at the end (truncated)` : `the chain's recorded head (${head.seq}) does not match its last entry (${expect - 1})` } };
    }
    return { ok: true, entries: n, head: { seq: expect - 1, hash: prev } };
  }

  close(): void {
    this.#db.close();
    void this.#wal?.close().catch(() => {});
    this.#wal = null;
  }
}
