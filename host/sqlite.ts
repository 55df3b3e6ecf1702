import { existsSync } from "node:fs";
import BetterSqlite from "better-sqlite3";

/**
 * The journal's SQLite, on either runtime. Node gets better-sqlite3 (measured for the journal,
 * docs/durability.md). Deno cannot load it — a nan addon, and Deno loads only Node-API ones —
 * but has `node:sqlite`'s DatabaseSync built in, the same SQLite with the same file format, so a
 * journal written by one runtime opens in the other. Only what the journal uses is here.
 */
export interface SqlStatement {
  run(...args: unknown[]): unknown;
  get(...args: unknown[]): unknown;
  all(...args: unknown[]): unknown[];
  iterate(...args: unknown[]): Iterable<unknown>;
}

export interface SqlDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  /** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

interface DatabaseSyncClass {
  new (path: string, options?: { readOnly?: boolean }): {
    exec(sql: string): void;
    prepare(sql: string): SqlStatement;
    close(): void;
  };
}

/** `readonly`: the file must exist and is never written (`agentsys audit` beside a daemon). */
export function openSqlite(path: string, options: { readonly?: boolean } = {}): SqlDatabase {
  const builtin = "Deno" in globalThis ? (process.getBuiltinModule?.("node:sqlite") as { DatabaseSync?: DatabaseSyncClass } | undefined) : undefined;
  if (builtin?.DatabaseSync) {
    // better-sqlite3's fileMustExist, which DatabaseSync lacks (it would create an empty file).
    if (options.readonly && !existsSync(path)) throw Object.assign(new Error(`unable to open database file: ${path} does not exist`), { code: "SQLITE_CANTOPEN" });
    const db = new builtin.DatabaseSync(path, { readOnly: options.readonly === true });
    return {
      exec: (sql) => db.exec(sql),
      prepare: (sql) => db.prepare(sql),
      transaction(fn) {
        db.exec("BEGIN");
        try {
          const result = fn();
          db.exec("COMMIT");
          return result;
        } catch (e) {
          // Some errors (a full disk among them) make SQLite roll back by itself; then there is
          // nothing left to undo and ROLLBACK's own complaint would hide the real error.
          try {
            db.exec("ROLLBACK");
          } catch {}
          throw e;
        }
      },
      close: () => db.close(),
    };
  }
  const db = new BetterSqlite(path, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  return {
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    transaction: (fn) => db.transaction(fn)(),
    close: () => void db.close(),
  };
}
