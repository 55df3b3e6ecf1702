import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { alive, startDaemon, until } from "../fs/daemon.ts";
import { fleetJsonSchema } from "../../bin/gen_fleet_schema.ts";
import { agentsys, cliFor, ROOT } from "./cli.ts";

const FIX = join(ROOT, "fixtures/agents");

async function fleetDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "agentsys-fleet-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const V1 = `
version: 1
agents:
  - name: app               # waits for db to be ready
    command: node
    args: [${FIX}/heartbeat.cjs]
    depends_on: [db]
  - name: db
    agent_id: 500
    command: node
    args: [${FIX}/ready.cjs]
    env: { READY_AFTER_MS: "600" }
    readiness: notify
  - name: side
    command: sleep
    args: ["600"]
`;

t.test("up --fleet starts agents in dependency order; apply updates a running fleet", async (t) => {
  const dir = await fleetDir(t);
  await writeFile(join(dir, "fleet.yaml"), V1);
  const d = await startDaemon(t, ["--fleet", join(dir, "fleet.yaml"), "--window", "200"]);
  const cli = cliFor(d.mount);
  const agents = async () => JSON.parse((await cli("list", "--json")).stdout) as { agent_id: number; name: string; pid: number; state: string; limits: { cpu_quota_us: number }; deps: { depends_on: { id: number }[] }; spec: { cwd: string } }[];
  t.ok(await until(async () => (await agents()).filter((a) => a.state === "running").length === 3, 10_000), "all three agents run");
  const byName = async (n: string) => (await agents()).find((a) => a.name === n)!;

  t.test("the dependent started only after its dependency was ready", async (t) => {
    const events = (await cli("events")).stdout;
    const app = await byName("app");
    const ready = events.search(/StateChange 500 state=running from=starting/);
    const appSpawn = events.search(new RegExp(`Spawn ${app.agent_id} `));
    t.ok(ready >= 0 && appSpawn > ready, "Spawn of app comes after db's starting → running");
    t.same(app.deps.depends_on.map((x) => x.id), [500], "the name resolved to db's id");
    t.equal(app.spec.cwd, dir, "cwd defaults to the fleet file's directory");
  });

  t.test("apply: created, updated in place, restarted, unchanged", async (t) => {
    const before = await agents();
    const pid = (n: string) => before.find((a) => a.name === n)!.pid;
    const v2 = V1.replace('args: ["600"]', 'args: ["700"]').replace("readiness: notify", "readiness: notify\n    limits: { cpu_quota_us: 300000 }") + `  - name: extra\n    command: sleep\n    args: ["600"]\n    depends_on: [{ agent: db, type: Optional }]\n`;
    await writeFile(join(dir, "v2.yaml"), v2);
    const r = await cli("apply", join(dir, "v2.yaml"));
    t.equal(r.code, 0, r.stderr);
    const actions = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/)).map((w) => [w[2], w[0]]));
    t.same(actions, { db: "updated", app: "unchanged", side: "restarted", extra: "created" });
    t.equal((await byName("db")).pid, pid("db"), "a limits change keeps the process");
    t.equal((await byName("db")).limits.cpu_quota_us, 300000, "and takes effect");
    t.ok(await until(async () => (await byName("side")).pid !== pid("side") && (await byName("side")).state === "running"), "an args change restarts");
    t.notOk(alive(pid("side")));
    t.equal((await byName("app")).pid, pid("app"));
    const again = await cli("apply", join(dir, "v2.yaml"), "--json");
    t.equal(again.code, 0);
    t.same(JSON.parse(again.stdout).map((x: { action: string }) => x.action), ["unchanged", "unchanged", "unchanged", "unchanged"], "a second apply changes nothing");
  });

  t.test("apply refuses a bad file before changing anything (exit 2, line and field named)", async (t) => {
    await writeFile(join(dir, "bad.yaml"), V1.replace('args: ["600"]', 'args: ["600"]\n    max_restarts: many'));
    const before = await agents();
    const r = await cli("apply", join(dir, "bad.yaml"));
    t.equal(r.code, 2);
    t.match(r.stderr, /bad\.yaml:17: agents\[2\]\.max_restarts: expected integer, got "many"/);
    t.same((await agents()).map((a) => [a.agent_id, a.pid]), before.map((a) => [a.agent_id, a.pid]));
    t.match(await cli("apply", join(dir, "missing.yaml")), { code: 2, stderr: /ENOENT|no such file/ });
  });

  t.test("apply: an agent whose Required dependency is not running is skipped (exit 1)", async (t) => {
    t.equal((await cli("stop", "500")).code, 0);
    t.ok(await until(async () => (await byName("db")).state === "exited"));
    await writeFile(join(dir, "v3.yaml"), `agents:\n  - name: needs-db\n    command: sleep\n    args: ["600"]\n    depends_on: [500]\n`);
    const r = await cli("apply", join(dir, "v3.yaml"), "--timeout", "500");
    t.equal(r.code, 1);
    t.match(r.stdout, /skipped +0 +needs-db: dependency 500 \(db\) is exited/);
    t.notOk((await agents()).some((a) => a.name === "needs-db"));
  });
});

t.test("up --fleet with a bad file exits 2 naming the field, and mounts nothing", async (t) => {
  const dir = await fleetDir(t);
  const file = join(dir, "bad.json");
  await writeFile(file, JSON.stringify({ agents: [{ name: "a", command: "sleep", restart_backoff: { base_ms: "soon" } }] }, null, 2));
  const mount = join(dir, "m");
  const r = await agentsys(["up", "--mount", mount, "--state", join(dir, "s"), "--fleet", file]);
  t.equal(r.code, 2);
  t.match(r.stderr, /bad\.json:\d+: agents\[0\]\.restart_backoff\.base_ms: expected integer, got "soon"/);
  t.notOk((await readFile("/proc/self/mountinfo", "utf8")).includes(mount), "nothing mounted");
});

t.test("docs/fleet.schema.json is the schema the loader validates with", async (t) => {
  t.equal(await readFile(join(ROOT, "docs/fleet.schema.json"), "utf8"), fleetJsonSchema(), "run `npm run schema` after changing the fleet schema");
});

t.test("the demo fleet is a valid fleet file", async (t) => {
  const r = await agentsys(["apply", join(ROOT, "fixtures/fleets/demo.yaml"), "--mount", "/nonexistent-agentsys"]);
  t.equal(r.code, 1, "valid (it got as far as looking for a daemon)");
  t.match(r.stderr, /no agentsys daemon/);
});
