import { rm, writeFile } from "node:fs/promises";
import t from "tap";
import { agentsys } from "../cli/cli.ts";
import { startDaemon } from "./daemon.ts";

/**
 * What only the /dev/fuse backend does (the rest of the fs suite runs on it as root, where it
 * is the default, and again with AGENTSYS_BACKEND=fuse-native): the caller's uid in the audit
 * trail, ENOSYS for what the tree does not implement, statfs.
 */
t.test("devfuse backend: caller identity in the audit trail, ENOSYS, statfs", { skip: process.getuid?.() !== 0 ? "mounting /dev/fuse needs root" : false }, async (t) => {
  const d = await startDaemon(t, ["--backend", "devfuse"]);
  t.equal((await d.sh('echo "spawn 100 a FsBasic -- sleep 1000" > "$M/ctl"')).code, 0);
  const audit = await agentsys(["audit", "--agent", "100", "--state", `${d.mount}-state`, "--json"]);
  const write = audit.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((e) => e.action === "write");
  t.equal(write?.uid, 0, "the writer's uid, from the request header");
  const mk = await d.sh('mkdir "$M/x" 2>&1; mkfifo "$M/y" 2>&1');
  t.match(mk.stdout, /Function not implemented/, "unknown opcodes are ENOSYS");
  t.equal((await d.sh('df "$M" >/dev/null')).code, 0, "statfs answers");
  t.equal((await d.sh('cat "$M/status" >/dev/null')).code, 0, "and the tree still serves");
});

t.test("agents/self is the caller's own agent, found through its ancestors", { skip: process.getuid?.() !== 0 ? "mounting /dev/fuse needs root" : false }, async (t) => {
  const d = await startDaemon(t, ["--backend", "devfuse"]);
  // The agent's shell runs readlink and cat as its children: they are found through their parent.
  const script = `${d.mount}-self.sh`;
  await writeFile(script, 'readlink "$AGENTSYS_ROOT/agents/self"\nhead -n 1 "$AGENTSYS_ROOT/agents/self/status"\necho heartbeat > "$AGENTSYS_ROOT/agents/self/ctl" && echo beat-ok\nexec sleep 1000\n');
  t.teardown(() => rm(script, { force: true }));
  t.equal((await d.sh(`echo "spawn 321 me none -- sh ${script}" > "$M/ctl"`)).code, 0);
  const log = `${d.mount}-state/logs/321.log`;
  let out = "";
  for (let i = 0; i < 100 && !out.includes("beat-ok"); i++) {
    await new Promise((r) => setTimeout(r, 50));
    out = (await d.sh(`cat '${log}' 2>/dev/null`)).stdout;
  }
  t.equal(out, "321\nAgent ID: 321\nbeat-ok\n", "readlink, a read and a write through agents/self");
  const outside = await d.sh('readlink "$M/agents/self"');
  t.not(outside.code, 0, "a caller outside every agent has no self");
});

t.test("a process that becomes an agent is one at once (the caller cache forgets on spawn)", { skip: process.getuid?.() !== 0 ? "mounting /dev/fuse needs root" : false }, async (t) => {
  const d = await startDaemon(t, ["--backend", "devfuse"]);
  const flag = `${d.mount}-flag`;
  t.teardown(() => rm(flag, { force: true }));
  // bash reads the file itself (no child process): the same pid asks before and after.
  const probe = d.sh(`read -r a < "$M/agents/self/status" && echo "$a" || echo none; echo $$ > '${flag}.pid'; while [ ! -e '${flag}' ]; do sleep 0.02; done; read -r a < "$M/agents/self/status" && echo "$a" || echo none`);
  let pid = "";
  for (let i = 0; i < 200 && !pid; i++) {
    await new Promise((r) => setTimeout(r, 20));
    pid = (await d.sh(`cat '${flag}.pid' 2>/dev/null`)).stdout.trim();
  }
  t.teardown(() => rm(`${flag}.pid`, { force: true }));
  t.ok(Number(pid) > 0, "the probe's pid");
  t.equal((await d.sh(`echo "spawn 555 adopted none pid=${pid}" > "$M/ctl"`)).code, 0, "the running shell is registered as agent 555");
  await writeFile(flag, "");
  const out = await probe;
  t.equal(out.stdout, "none\nAgent ID: 555\n", "no self before, agent 555 right after");
});
