import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import t, { type Test } from "tap";
import { AgentSupervisor, createManualClock, durableAgent, durableMeta, ERRNO, restoreAgent, restoreMeta } from "../../lib/mod.ts";
import { Journal } from "../../host/mod.ts";
import { buildScenario } from "../lib/scenario.ts";

function tmpJournal(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), "agentsys-journal-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "agentsys.db");
}

const entry = (i: number) => ({ wall: `2026-11-29T00:00:0${i % 10}.000Z`, ts_us: i * 1000, agent: 100 + (i % 3), action: "write", result: "ok", via: "/ctl", uid: null, detail: `command ${i}` });

function withEntries(t: Test, n = 6): { path: string; j: Journal } {
  const path = tmpJournal(t);
  const j = new Journal(path);
  for (let i = 1; i <= n; i++) t.equal(j.commit({ audit: [entry(i)] }), 0);
  return { path, j };
}

/** Tamper with the file the way an attacker with write access would: plain SQL. */
function tamper(path: string, sql: string): void {
  const db = new Database(path);
  db.exec(sql);
  db.close();
}

t.test("the audit chain verifies, and survives reopening", async (t) => {
  const { path, j } = withEntries(t);
  t.match(j.verify(), { ok: true, entries: 6, head: { seq: 6 } });
  j.close();
  const again = new Journal(path);
  t.equal(again.commit({ audit: [entry(7)] }), 0, "appends continue the chain");
  t.match(again.verify(), { ok: true, entries: 7 });
  t.same(again.audit({ agent: 101 }).map((e) => e.seq), [1, 4, 7], "query by agent");
  t.same(again.audit({ since: "2026-11-29T00:00:05.000Z" }).map((e) => e.seq), [5, 6, 7], "query by time");
  again.close();
});

t.test("verify names the entry that was edited, removed, reordered or cut off", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["edited", "UPDATE audit SET detail = 'nothing happened' WHERE seq = 3", /^entry 3 was edited/],
    ["result flipped", "UPDATE audit SET result = 'EPERM' WHERE seq = 5", /^entry 5 was edited/],
    ["removed", "DELETE FROM audit WHERE seq = 4", /^entries 4–4 are missing \(removed\)/],
    ["reordered", "UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 100", /^entry 2 does not follow entry 1/],
    ["tail cut", "DELETE FROM audit WHERE seq >= 5", /^entries 5–6 are missing at the end \(truncated\)/],
    ["rehashed edit", "UPDATE audit SET detail = 'x', hash = 'f' || substr(hash, 2) WHERE seq = 2", /^entry 2 was edited/],
  ];
  for (const [name, sql, want] of cases) {
    const { path, j } = withEntries(t);
    j.close();
    tamper(path, sql);
    const r = new Journal(path, { readonly: true }).verify();
    t.equal(r.ok, false, `${name}: detected`);
    t.match(r.problem?.reason, want, `${name}: ${r.problem?.reason}`);
  }
});

t.test("durable records round-trip: a restored core is the one that was journaled", async (t) => {
  const sup = buildScenario();
  sup.policy.applyPatch(101, { type: "UpdateScope", scope: { path_prefix: "/srv" } });
  sup.limits.setFor(102, { cpu_quota_us: 1234 });
  sup.limits.setDefaults({ memory_limit_bytes: 4096 });
  sup.stop(102, true);
  sup.onAgentExit(4102, -9);
  const path = tmpJournal(t);
  const j = new Journal(path);
  const records = new Map(sup.listAgents().map((a) => [a.agent_id, durableAgent(sup, a.agent_id)!]));
  t.equal(j.commit({ agents: records, meta: durableMeta(sup) }), 0);
  j.close();

  const back = new AgentSupervisor({ clock: createManualClock() });
  const r = new Journal(path);
  restoreMeta(back, r.meta()!);
  for (const rec of r.agents()) t.ok(restoreAgent(back, rec, rec.pid) > 0, `agent ${rec.agent_id} restored`);
  r.close();
  for (const [id, rec] of records) {
    const now = durableAgent(back, id)!;
    t.same({ ...now, proc: null }, { ...rec, proc: null }, `agent ${id}: every durable field is back`);
  }
  t.same(durableMeta(back), durableMeta(sup), "defaults and system counters");
  t.equal(back.getAgent(102)!.state, "exited");
  t.equal(back.limits.of(100)!.memory_limit_bytes, 4096, "agents without own limits follow the restored defaults");
});

t.test("an agent whose process died while the daemon was down goes through the restart rules", async (t) => {
  const sup = new AgentSupervisor({ clock: createManualClock() });
  sup.onAgentSpawn(500, { agent_id: 7, name: "a", auto_restart: true, command: "sleep" });
  sup.onAgentSpawn(501, { agent_id: 8, name: "b", command: "sleep" });
  const recs = [durableAgent(sup, 7)!, durableAgent(sup, 8)!];
  const back = new AgentSupervisor({ clock: createManualClock() });
  for (const rec of recs) restoreAgent(back, rec, 0);
  t.equal(back.getAgent(7)!.state, "backoff", "auto_restart: restart scheduled");
  t.equal(back.getAgent(7)!.restart_count, 1);
  t.equal(back.getAgent(7)!.last_exit_code, 255, "status unknown: 255");
  t.equal(back.getAgent(8)!.state, "exited", "no auto_restart: exited");
  const clean = new AgentSupervisor({ clock: createManualClock() });
  restoreAgent(clean, recs[0], 0, "stopped");
  t.equal(clean.getAgent(7)!.state, "exited", "after a clean shutdown: exited, to be started again");
  t.equal(restoreAgent(new AgentSupervisor(), { ...recs[0], agent_id: 7 }, 0) > 0, true);
  const dup = new AgentSupervisor();
  restoreAgent(dup, recs[0], 0);
  t.equal(restoreAgent(dup, recs[0], 0), ERRNO.EEXIST);
});

t.test("group commit: commits without their own fsync, then shared fsyncs make them durable", async (t) => {
  const path = tmpJournal(t);
  const j = new Journal(path);
  const syncs: Promise<number>[] = [];
  for (let i = 1; i <= 50; i++) {
    t.equal(j.commit({ audit: [entry(i)] }, false), 0);
    syncs.push(j.sync()); // 50 callers, arriving while earlier fsyncs run
  }
  t.same(new Set(await Promise.all(syncs)), new Set([0]), "every caller is answered 0");
  j.close();
  const again = new Journal(path);
  t.equal(again.verify().entries, 50, "all 50 entries are there, chained");
  t.equal(again.verify().ok, true);
  again.close();
});

t.test("after a failed fsync the journal refuses every later write (EIO), nothing goes on top", async (t) => {
  const path = tmpJournal(t);
  const j = new Journal(path);
  t.equal(j.commit({ audit: [entry(1)] }, false), 0);
  rmSync(`${path}-wal`); // the WAL cannot be opened for the fsync: as good as a failing disk here
  t.equal(await j.sync(), ERRNO.EIO, "the sync fails");
  t.equal(j.commit({ audit: [entry(2)] }, false), ERRNO.EIO, "and so does every later commit");
  t.equal(await j.sync(), ERRNO.EIO);
  j.close();
});

t.test("verify beside a daemon that keeps committing sees one consistent snapshot", async (t) => {
  const path = tmpJournal(t);
  new Journal(path).close();
  // A writer in another process, committing as fast as it can for 2 s (the built journal).
  const journalJs = new URL("../../dist/host/journal.js", import.meta.url).pathname;
  const code = `import(${JSON.stringify(journalJs)}).then(({ Journal }) => { const j = new Journal(${JSON.stringify(path)}); const end = Date.now() + 2000; let i = 0; while (Date.now() < end) j.commit({ audit: [{ wall: "w", ts_us: i, agent: 1, action: "write", result: "ok", via: "/ctl", uid: null, detail: "d" + i++ }] }, false); j.close(); });`;
  const { spawn } = await import("node:child_process");
  const writer = spawn(process.execPath, ["-e", code], { stdio: "inherit" });
  const done = new Promise((r) => writer.once("exit", r));
  await new Promise((r) => setTimeout(r, 200));
  const reader = new Journal(path, { readonly: true });
  let checks = 0;
  const bad: string[] = [];
  while (writer.exitCode === null && checks < 400) {
    const v = reader.verify();
    if (!v.ok) bad.push(v.problem!.reason);
    checks++;
    await new Promise((r) => setImmediate(r));
  }
  await done;
  reader.close();
  t.same(bad.slice(0, 3), [], `${checks} verifications while entries were appended`);
});
