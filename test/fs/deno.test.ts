import { readlink, rm, writeFile } from "node:fs/promises";
import t from "tap";
import { agentsys, ROOT } from "../cli/cli.ts";
import { DENO, startDaemon, until } from "./daemon.ts";

/**
 * The daemon and its tree under Deno: the core, the shim, the host and the /dev/fuse
 * backend, started with the `deno` npm package's binary. CI runs the whole fs and hardening
 * suites under Deno too (AGENTSYS_RUNTIME=deno); this is the smoke test `npm test` carries.
 */
process.env.AGENTSYS_RUNTIME = "deno";
delete process.env.AGENTSYS_BACKEND; // Deno has one backend (CI's fuse-native pass runs this file too)
const root = process.getuid?.() === 0;

t.test("under Deno: mounts, supervises real agents, journals, stops cleanly", { skip: root ? false : "mounting /dev/fuse needs root" }, async (t) => {
  const fleet = `${ROOT}fixtures/fleets/.deno-smoke-${process.pid}.yaml`;
  await writeFile(
    fleet,
    [
      "version: 1",
      "defaults:",
      "  restart_backoff: { base_ms: 50, cap_ms: 100 }",
      "agents:",
      "  - { name: steady, agent_id: 100, command: sleep, args: ['1000'], capabilities: [FsBasic] }",
      "  - { name: crasher, agent_id: 101, command: node, args: [../agents/crasher.cjs], auto_restart: true, max_restarts: 100 }",
      "",
    ].join("\n"),
  );
  t.teardown(() => rm(fleet, { force: true }));
  const d = await startDaemon(t, ["--fleet", fleet, "--window", "200"]);
  t.match(d.log(), /\(pid \d+, deno 2\.\d+\.\d+, devfuse backend\)/, "the daemon says it runs on Deno, on the /dev/fuse backend");
  const info = JSON.parse((await d.sh('cat "$M/agents.json"')).stdout) as { daemon: { pid: number; runtime: string; backend: string } };
  t.match(info.daemon, { runtime: /^deno /, backend: "devfuse" });
  t.equal(await readlink(`/proc/${info.daemon.pid}/exe`), DENO, "and it is the deno binary that serves the mount");

  t.ok(await until(async () => /Total Restarts: +[1-9]/.test((await d.sh('cat "$M/status"')).stdout), 10_000), "the crashing agent is restarted (through the spawner, itself on Deno)");
  const agent = async () => JSON.parse((await d.sh('cat "$M/agents/100/agent.json"')).stdout) as { state: string; pid: number; resources: { memory_bytes: number } };
  t.ok(await until(async () => (await agent()).state === "running", 5000), "the steady agent runs");
  t.ok(await until(async () => (await agent()).resources.memory_bytes > 0, 5000), "and is sampled (the sampler's worker thread runs on Deno too)");

  const write = await d.sh('echo "+DocBasic" > "$M/agents/100/policy" && cat "$M/agents/100/policy"');
  t.equal(write.code, 0, "a policy patch through the shim");
  t.match(write.stdout, /DocBasic/, "and the policy shows it");
  const bad = await d.sh('echo "frobnicate 7" > "$M/ctl"');
  t.not(bad.code, 0, "a bad command is refused");
  t.match((await d.sh('cat "$M/last_error"')).stdout, /EINVAL/, "with its reason in last_error");
  t.equal((await d.sh("readlink \"$M/agents/self\"")).code === 0, false, "the test shell is no agent: no self");

  // The journal Deno wrote (node:sqlite) is read by the CLI on Node (better-sqlite3).
  const audit = await agentsys(["audit", "--agent", "100", "--state", `${d.mount}-state`, "--json"]);
  t.equal(audit.code, 0, audit.stderr);
  const patch = audit.stdout.trim().split("\n").map((l) => JSON.parse(l) as { action: string; uid: number | null; detail: string }).find((e) => e.action === "write" && e.detail.includes("+DocBasic"));
  t.equal(patch?.uid, 0, "the patch is audited with the caller's uid");
  const verify = await agentsys(["audit", "verify", "--state", `${d.mount}-state`]);
  t.equal(verify.code, 0, `the chain verifies across runtimes: ${verify.stdout}${verify.stderr}`);

  const pid = (await agent()).pid;
  t.equal(await d.stop("SIGTERM"), 0, "SIGTERM: the daemon exits 0");
  t.notOk((await d.sh('grep -F " $M " /proc/self/mounts')).stdout, "and the mount is gone");
  t.ok(await until(async () => (await d.sh(`kill -0 ${pid} 2>/dev/null`)).code !== 0, 5000), "and its agents were stopped");
});
