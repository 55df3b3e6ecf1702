/**
 * bench/journal — the store for acknowledged control writes, measured before it was
 * chosen: writes/s when every write is durable before it is acknowledged, for
 *   A. SQLite (better-sqlite3) in WAL mode, synchronous=FULL: one transaction per write that
 *      upserts the agent's record and appends a hash-chained audit row;
 *   B. an append-only log file: one write(2) of the same bytes + fdatasync per write;
 *   C. the same without any sync (what durability costs).
 * Interleaved A/B/C rounds in one run, medians. `npm run bench:journal` (STATE_DIR to choose
 * the disk; default a temp dir on the state directory's filesystem kind).
 */
import { createHash } from "node:crypto";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

const WRITES = Number(process.env.WRITES ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const dir = mkdtempSync(join(process.env.STATE_DIR ?? tmpdir(), "agentsys-bench-journal-"));

const record = (i: number) => JSON.stringify({ agent_id: 100 + (i % 100), name: `agent-${i % 100}`, capabilities: ["FsBasic", "DocBasic"], limits: { cpu_quota_us: 500000 + i }, restart_count: i % 7, state: "running", pid: 4000 + i });
const audit = (i: number) => JSON.stringify({ wall: new Date().toISOString(), file: "/ctl", command: `limits ${100 + (i % 100)} cpu_quota_us=${500000 + i}`, result: "ok" });

function sqlite(sync: boolean): number {
  const path = join(dir, `j-${Math.random()}.db`);
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${sync ? "FULL" : "OFF"}`);
  db.exec("CREATE TABLE agents(id INTEGER PRIMARY KEY, record TEXT NOT NULL); CREATE TABLE audit(seq INTEGER PRIMARY KEY, entry TEXT NOT NULL, hash TEXT NOT NULL)");
  const up = db.prepare("INSERT INTO agents(id, record) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record");
  const ins = db.prepare("INSERT INTO audit(seq, entry, hash) VALUES (?, ?, ?)");
  let prev = "";
  const tx = db.transaction((i: number) => {
    up.run(100 + (i % 100), record(i));
    const e = audit(i);
    prev = createHash("sha256").update(prev).update(e).digest("hex");
    ins.run(i, e, prev);
  });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < WRITES; i++) tx(i);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  rmSync(path, { force: true });
  return WRITES / s;
}

function appendLog(sync: boolean): number {
  const path = join(dir, `j-${Math.random()}.log`);
  const fd = openSync(path, "a");
  let prev = "";
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < WRITES; i++) {
    const e = audit(i);
    prev = createHash("sha256").update(prev).update(e).digest("hex");
    writeSync(fd, `${record(i)}\n${e} ${prev}\n`);
    if (sync) fdatasyncSync(fd);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(fd);
  rmSync(path, { force: true });
  return WRITES / s;
}

const runs: Record<string, number[]> = { "SQLite WAL, synchronous=FULL": [], "append log + fdatasync": [], "SQLite WAL, no sync": [], "append log, no sync": [] };
for (let r = 0; r < ROUNDS; r++) {
  runs["SQLite WAL, synchronous=FULL"].push(sqlite(true));
  runs["append log + fdatasync"].push(appendLog(true));
  runs["SQLite WAL, no sync"].push(sqlite(false));
  runs["append log, no sync"].push(appendLog(false));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = med(runs["append log + fdatasync"]);
console.log(`${WRITES} writes × ${ROUNDS} rounds in ${dir}\n\n| store | writes/s (median) | × append+fdatasync |\n|---|---:|---:|`);
for (const [k, xs] of Object.entries(runs)) console.log(`| ${k} | ${Math.round(med(xs)).toLocaleString("en")} | ${(med(xs) / base).toFixed(2)} |`);
rmSync(dir, { recursive: true, force: true });
