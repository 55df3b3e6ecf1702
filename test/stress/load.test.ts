import { readFile } from "node:fs/promises";
import t from "tap";
import { Journal } from "../../host/journal.ts";
import { startDaemon, until } from "../fs/daemon.ts";
import { crashLoopFleet, FIRST } from "./fleet.ts";
import { LONG, runLoad, sampleDaemon, scaled } from "./load.ts";

/**
 * Load: 64 client processes read every kind of file and write commands while 100
 * agents crash-loop. Afterwards the daemon still answers, nothing hung, the counters reconcile,
 * and threads, RSS and fuse-native's per-thread records stayed flat between a warm-up and the
 * main run. `npm run stress` runs it for minutes (STRESS=1).
 */
const AGENTS = 100;
const CLIENTS = 64;

t.test("64 clients against 100 crash-looping agents", async (t) => {
  const fleet = `/tmp/agentsys-stress-fleet-${process.pid}.yaml`;
  await crashLoopFleet(fleet, AGENTS);
  const d = await startDaemon(t, ["--fleet", fleet, "--window", "1000"]);
  const pid = d.child.pid!;
  const agentsJson = async () => JSON.parse(await readFile(`${d.mount}/agents.json`, "utf8")) as { system: Record<string, number>; agents: { agent_id: number; active: boolean; spawn_count: number; exit_count: number }[] };
  t.ok(await until(async () => (await agentsJson()).agents.length === AGENTS, 30_000), "the fleet is up");

  const ids = Array.from({ length: AGENTS }, (_, i) => FIRST + i);
  const reads = ["status", "telemetry", "compliance", "cloud_gateway", "events", "audit", "metrics", "limits", "recovery", "last_error", "agents.json"];
  for (const id of ids.filter((_, i) => i % 10 === 0)) for (const f of ["status", "metrics", "resources", "limits", "risk", "deps", "profile", "log", "agent.json", "policy"]) reads.push(`agents/${id}/${f}`);
  const writes = [
    ...ids.slice(0, 20).flatMap((id) => [
      { path: "ctl", data: `policy-update ${id} +DocBasic\n` },
      { path: "ctl", data: `policy-update ${id} -DocBasic\n` },
      { path: `agents/${id}/ctl`, data: "profile op 120 ok\n" },
      { path: `agents/${id}/policy`, data: "+FsBasic\n" },
    ]),
    { path: "ctl", data: "bogus-verb 1\n" }, // refused: EINVAL, changes nothing
    { path: "ctl", data: "policy-update 99999 +FsBasic\n" }, // refused: no such agent
  ];
  const cfg = (durationMs: number) => ({ mount: d.mount, durationMs, reads, writes, writeShare: 0.1 });

  const warm = await runLoad(CLIENTS, cfg(scaled(4000, 30_000)));
  const before = await sampleDaemon(pid, d.mount);
  const main = await runLoad(CLIENTS, cfg(scaled(12_000, 300_000)));
  const after = await sampleDaemon(pid, d.mount);
  t.comment(`load ${LONG ? "long" : "short"}: warm-up ${JSON.stringify({ ...warm, acks: undefined })}`);
  t.comment(`load main: ${JSON.stringify({ ...main, acks: undefined })}`);
  t.comment(`daemon after warm-up ${JSON.stringify(before)}, after main ${JSON.stringify(after)}`);

  t.equal(warm.stuck + main.stuck, 0, "no client hung");
  t.ok(main.reads > 1000 && main.writes > 100, "the load ran");
  for (const bad of ["ENOTCONN", "ETIMEDOUT", "EIO", "ECONNABORTED", "other"]) t.notOk(main.errors[bad], `no ${bad}`);
  // Patched fuse-native recycles the records of exited threads: bounded by the peak number of
  // concurrent requests (unpatched: one per new thread, thousands within seconds).
  t.ok(after.records <= CLIENTS + 32, `FUSE thread records bounded (${before.records} → ${after.records})`);
  t.ok(after.threads <= before.threads + 8, `threads flat (${before.threads} → ${after.threads})`);
  t.ok(after.rssKiB <= before.rssKiB * 1.5 + 32 * 1024, `RSS flat (${before.rssKiB} → ${after.rssKiB} KiB)`);
  t.equal((await d.sh("cat $M/status")).code, 0, "the daemon still answers");

  // Counters reconcile in one render (one turn of the daemon's loop).
  const j = await agentsJson();
  t.equal(j.system.total_spawns, j.system.total_exits + j.system.active_agents, "spawns = exits + active");
  t.ok(j.system.total_restarts > AGENTS, `agents crash-looped (${j.system.total_restarts} restarts)`);
  const events = (await readFile(`${d.mount}/events`, "utf8")).trim().split("\n").map((l) => l.split(" ").map(Number));
  t.equal(events.filter((e, i) => i > 0 && (e[0] !== events[i - 1][0] + 1 || e[1] < events[i - 1][1])).length, 0, "events in order: consecutive sequence numbers, time never going back");

  // After a clean stop, every restart the counters saw is in the journal's audit trail.
  const state = `${d.mount}-state`;
  t.equal(await d.stop("SIGTERM"), 0);
  const jn = new Journal(`${state}/agentsys.db`, { readonly: true });
  try {
    const audit = jn.audit();
    const restarts = audit.filter((e) => e.action === "Restart").length;
    t.equal(restarts, jn.meta()!.sys.total_restarts, "Restart entries = total_restarts");
    // Two independent records of every start: the agent's spawn counter (a column of the
    // table) and the Spawn events (the ring, journaled one by one).
    const spawns = new Map<number, number>();
    for (const e of audit) if (e.action === "Spawn") spawns.set(e.agent, (spawns.get(e.agent) ?? 0) + 1);
    const records = jn.agents();
    t.equal(records.length, AGENTS);
    t.same(records.filter((r) => r.counters.spawn_count !== (spawns.get(r.agent_id) ?? 0)).map((r) => `${r.agent_id}: counter ${r.counters.spawn_count}, events ${spawns.get(r.agent_id) ?? 0}`), [], "per agent: spawn counter = Spawn events in the trail");
    t.equal([...spawns.values()].reduce((x, y) => x + y, 0), jn.meta()!.sys.total_spawns, "all agents: Spawn events = total_spawns");
    t.equal(audit.filter((e) => e.action === "EventsLost").length, 0, "no event lost before it was journaled");
    t.equal(jn.verify().ok, true, "the audit chain verifies");
  } finally {
    jn.close();
  }
});
