import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import t from "tap";
import { sh, startDaemon, until, type Daemon } from "./daemon.ts";

/**
 * No secret leaves its owner (SPEC §9, Secrets). A canary secret is set in agents' environments
 * (a spawn on ctl and a fleet file), printed by an agent to its log, and carried by refused
 * writes of every kind. Then, as `nobody`, as a second agent running as another user, and as a
 * process that is root only inside its own user namespace, the whole tree, the state directory
 * and the CLI's `--json` outputs are read: the canary appears nowhere. The daemon's owner, the
 * agent's own user and the read group see it where the rule says.
 */
const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = `node ${join(ROOT, "dist/bin/agentsys.js")}`;
const USERS = ["agentsys-test-a", "agentsys-test-b"];
const READERS = "agentsys-test-readers";
const notRoot = process.getuid?.() !== 0 ? "needs root (useradd, setpriv, unshare)" : false;

/** Every file of the tree and of the state directory, read by whoever runs it, and the CLI's JSON views. */
const WALK = (mount: string, state: string) => `
  cd /
  find ${mount} ${state} -type f 2>&1 | while read -r f; do echo "== $f"; cat "$f" 2>&1; done
  for c in "list --json" "info 100 --json" "info 101 --json" "dump --json" "telemetry --json" "status --json" "policy 100 --json" "events --json -n 500" "audit --json -n 500" "audit --agent 100 --state ${state}" "spec 100" "logs 100"; do
    echo "== agentsys $c"; ${CLI} $c --mount ${mount} 2>&1
  done
  echo WALKED`;

async function ensureUsers(t: { teardown(fn: () => Promise<void>): void }): Promise<void> {
  const created: string[] = [];
  let group = false;
  if ((await sh(`getent group ${READERS}`)).code !== 0) {
    execFileSync("groupadd", ["--system", READERS]);
    group = true;
  }
  for (const u of USERS) {
    if ((await sh(`id -u ${u}`)).code !== 0) {
      execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", u]);
      created.push(u);
    }
  }
  // After the daemons (teardowns run last-registered first): their agents run as these users.
  t.teardown(async () => {
    for (const u of created) await sh(`userdel ${u}`);
    if (group) await sh(`groupdel ${READERS}`);
  });
}

/** `cmd` as `user` (no supplementary groups unless given), with $M set. */
function as(d: Daemon, user: string, cmd: string, groups = "--clear-groups"): Promise<{ code: number; stdout: string; stderr: string }> {
  return d.sh(`setpriv --reuid=${user} --regid=$(id -g ${user}) ${groups} bash -c ${shq(cmd)}`);
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

t.test("a canary secret reaches nobody but its owner", { skip: notRoot, timeout: 90_000 }, async (t) => {
  await ensureUsers(t);
  const canary = `sk-canary-${randomBytes(8).toString("hex")}`;
  const d = await startDaemon(t, ["--read-group", READERS]);
  const state = `${d.mount}-state`;
  await d.sh("chmod 755 $(dirname $M)");

  // Agent 100 runs as user a and prints its key; agent 101 comes from a fleet file (apply).
  const spec100 = { agent_id: 100, name: "leaky", user: USERS[0], command: "sh", args: ["-c", 'echo "token=$OPENAI_API_KEY"; exec sleep 600'], env: { OPENAI_API_KEY: canary, LOG_LEVEL: "debug" } };
  t.equal((await d.sh(`cat > $M/ctl`, `spawn ${JSON.stringify(spec100)}\n`)).code, 0, "spawned with the secret in its env");
  const fleet = join(state, "..", `${process.pid}-fleet.json`);
  await writeFile(fleet, JSON.stringify({ version: 1, agents: [{ agent_id: 101, name: "fleet-agent", command: "sleep", args: ["600"], env: { ANTHROPIC_API_KEY: canary } }] }));
  t.teardown(() => sh(`rm -f ${fleet}`));
  const applied = await d.sh(`${CLI} apply ${fleet} --mount $M`);
  t.match(applied.stdout, /created\s+101/, applied.stderr);
  const again = await d.sh(`${CLI} apply ${fleet} --mount $M`);
  t.match(again.stdout, /unchanged\s+101/, "re-applying the same file leaves the agent alone (whole specs compared, not the redacted views)");
  t.ok(await until(async () => (await d.sh("cat $M/agents/100/log")).stdout.includes(canary)), "the agent printed its secret to its log");

  // Refused writes that carry the secret, of every kind.
  const refused = [
    `spawn {"agent_id":7,"name":"x","env":{"K":${canary}}}`, // not JSON: V8 would quote it
    `spawn {"agent_id":8,"name":"x","capabilities":["Admin"],"command":"sleep","env":{"K":"${canary}"}}`, // EPERM
    `spawn {"agent_id":9,"name":"x","env":{"K":"${canary}","":"empty name"}}`, // schema
    `update 100 {"name":"x","env":{"K":${canary}}`,
    `spawn 10 x none env=${canary} -- sleep 1`,
    `spawn {"agent_id":11,"name":"${"x".repeat(10)}","env":{"K":"${canary}${"y".repeat(70000)}"}}`, // E2BIG
  ];
  for (const line of refused) t.not((await d.sh("cat > $M/ctl", `${line}\n`)).code, 0, `refused: ${line.slice(0, 40)}…`);
  const record = await d.sh(
    `node --input-type=module -e ${shq(`
      import { callSyscalls } from "${ROOT}dist/bin/syscall_client.js";
      import { encodeRequest } from "${ROOT}dist/syscalls/client.js";
      const [r] = await callSyscalls(process.env.M + "/syscall", [encodeRequest(504, 12, 0, 0, new TextEncoder().encode('{"name":"x","env":{"K":${canary}}}'))]);
      console.log(r.ret);`)}`,
  );
  t.equal(record.stdout.trim(), "-22", `a spawn record with a bad payload is refused (EINVAL) ${record.stderr}`);
  const lastError = (await d.sh("cat $M/last_error")).stdout;
  t.match(lastError, /Unexpected token in JSON at position \d+/, "a JSON error still says where");
  t.match(lastError, /\(not shown\)/, "and the line it refused, without what it carried");
  t.match(lastError, /syscall 504/, "the refused record is noted");

  // A second agent, running as another user, walks everything it can reach.
  const walker = { agent_id: 102, name: "walker", user: USERS[1], command: "bash", args: ["-c", `${WALK("$AGENTSYS_ROOT", state)}; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'; exec sleep 600`] };
  t.equal((await d.sh("cat > $M/ctl", `spawn ${JSON.stringify(walker)}\n`)).code, 0);
  // Its whole output (the tree's `log` is the last 200 lines), read as root.
  const walkerLog = async () => (await sh(`cat ${state}/logs/102.log`)).stdout;
  t.ok(await until(async () => (await walkerLog()).includes("WALKED"), 30_000, 200), "the walking agent finished");

  const walks: [string, string][] = [
    ["nobody", (await as(d, "nobody", WALK("$M", state))).stdout],
    ["the agent running as another user", await walkerLog()],
    ["root inside a user namespace of nobody's", (await as(d, "nobody", `unshare -Ur bash -c ${shq(`echo "uid inside: $(id -u)"; ${WALK("$M", state)}`)}`)).stdout],
  ];
  for (const [who, out] of walks) {
    t.match(out, /WALKED/, `${who}: walked the tree`);
    t.match(out, /Agent Supervision Module - Telemetry Status/, `${who}: read the world-readable files`);
    t.match(out, /"OPENAI_API_KEY":"\(set\)"/, `${who}: sees that a key is set`);
    t.notOk(out.includes(canary), `${who}: never sees the secret`);
  }
  t.match(walks[2][1], /uid inside: 0/, "the user-namespace walker was root inside it");
  t.match(walks[0][1], /spec\.json: Permission denied/, "nobody gets EACCES on the private files");
  t.match(walks[0][1], /agentsys-state.*Permission denied|Permission denied/, "and on the state directory");

  // Who does see it.
  const own = await as(d, USERS[0], "cat $M/agents/100/spec.json $M/agents/100/log");
  t.ok(own.stdout.includes(canary), "the agent's own user reads its spec and its log");
  t.match((await as(d, USERS[0], "cat $M/agents/101/spec.json")).stderr, /Permission denied/, "but not another agent's");
  const owner = await d.sh(`${CLI} spec 100 --mount $M; cat $M/agents/101/spec.json`);
  t.ok(owner.stdout.includes(`"OPENAI_API_KEY": "${canary}"`) && owner.stdout.includes(`"ANTHROPIC_API_KEY":"${canary}"`), "the daemon's owner reads every spec (agentsys spec)");
  const group = await as(d, "nobody", `cat $M/agents/100/spec.json; cat ${state}/logs/100.log; ${CLI} audit --agent 100 --state ${state} | head -1`, `--groups=$(getent group ${READERS} | cut -d: -f3)`);
  t.ok(group.stdout.includes(canary), `the read group reads specs and logs ${group.stderr}`);
  t.match(group.stdout, /agent=100/, "and queries the journal");

  // The trail proves what was set without disclosing it.
  const digest = (await d.sh(`printf %s '${canary}' | ${CLI} audit digest --state ${state}`)).stdout.trim();
  t.match(digest, /^hmac-sha256:[0-9a-f]{32}$/);
  const trail = (await d.sh("cat $M/audit")).stdout;
  t.ok(trail.includes(`\\"OPENAI_API_KEY\\":\\"${digest}\\"`), `the audit entry of the spawn carries the value's digest ${trail.split("\n").find((l) => l.includes("OPENAI"))}`);
  t.match((await d.sh(`${CLI} audit verify --state ${state}`)).stdout, /hash chain intact/);

  // Modes of the state directory, with the read group.
  const modes = await d.sh(`stat -c '%a %G' ${state} ${state}/logs ${state}/agentsys.db ${state}/agentsys.db-wal ${state}/audit.key ${state}/agentsys.pid ${state}/logs/100.log`);
  t.equal(modes.stdout, `750 ${READERS}\n`.repeat(2) + `640 ${READERS}\n`.repeat(5), "state directory: 0750 and 0640, the read group's");
  const tree = await d.sh("stat -c '%a %U %G %n' $M/agents/100/spec.json $M/agents/100/log $M/agents/101/spec.json $M/agents.json");
  t.equal(tree.stdout, `440 ${USERS[0]} ${READERS} ${d.mount}/agents/100/spec.json\n440 ${USERS[0]} ${READERS} ${d.mount}/agents/100/log\n440 root ${READERS} ${d.mount}/agents/101/spec.json\n444 root root ${d.mount}/agents.json\n`, "private files: the agent's user, the read group, 0440");
});

t.test("a state directory with wider modes is put right at start, and says so", { skip: notRoot }, async (t) => {
  const d1 = await startDaemon(t);
  t.equal((await d1.sh("cat > $M/ctl", 'spawn {"agent_id":100,"name":"a","command":"sleep","args":["600"],"env":{"K":"v"}}\n')).code, 0);
  await d1.stop();
  const state = `${d1.mount}-state`;
  await sh(`chmod 755 ${state} ${state}/logs && chmod 644 ${state}/agentsys.db ${state}/audit.key ${state}/logs/100.log`);
  const d2 = await startDaemon(t, [], d1.mount);
  t.match(d2.log(), /state directory .*: modes were wider than owner-only; fixed: .*0755 → 0700/, "the start-up log says what was fixed");
  const modes = await sh(`stat -c '%a' ${state} ${state}/logs ${state}/agentsys.db ${state}/agentsys.db-wal ${state}/audit.key ${state}/logs/100.log ${state}/agentsys.pid`);
  t.equal(modes.stdout, "700\n700\n600\n600\n600\n600\n600\n");
  t.equal((await d2.sh("stat -c %a $M/agents/100/spec.json $M/agents/100/log")).stdout, "400\n400\n", "without a read group, private files are 0400");
});

t.test("a journal written by the previous version still verifies, and shows no secret", { skip: notRoot }, async (t) => {
  const legacyCanary = "sk-legacy-CANARY-7f3a9e"; // in the fixture: a spawn's env, a refused spawn, an Admin spawn
  const mount = join("/tmp", `agentsys-test-${process.pid}-legacy`);
  const state = `${mount}-state`;
  await mkdir(state, { recursive: true, mode: 0o755 });
  await copyFile(join(ROOT, "fixtures/journals/v0.1-with-env.db"), `${state}/agentsys.db`);
  t.match((await sh(`${CLI} audit verify --state ${state}`)).stdout, /8 entries, hash chain intact/, "verified before the new daemon touched it");
  const d = await startDaemon(t, [], mount);
  await d.sh("chmod 755 $(dirname $M)");
  t.match((await d.sh("cat $M/agents/300/status")).stdout, /Name: legacy/, "its agent is restored");
  const seen = await as(d, "nobody", WALK("$M", state));
  t.match(seen.stdout, /WALKED/);
  t.match(seen.stdout, /spawn \{\(not shown\): \d+ bytes that are not a JSON object\}/, "the old unparsable spawn is shown without its text");
  t.match(seen.stdout, /\\"OPENAI_API_KEY\\":\\"hmac-sha256:[0-9a-f]{32}\\"/, "old entries are shown with digests");
  t.notOk(seen.stdout.includes(legacyCanary), "the old trail's secrets are not shown");
  t.ok((await d.sh("cat $M/agents/300/spec.json")).stdout.includes(legacyCanary), "the owner still has the spec it runs from");
  t.equal((await d.sh("echo heartbeat > $M/agents/300/ctl")).code, 0);
  t.match((await sh(`${CLI} audit verify --state ${state}`)).stdout, /hash chain intact/, "verified after new entries were appended");
});
