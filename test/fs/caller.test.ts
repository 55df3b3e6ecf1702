import t from "tap";
import { agentsys, ROOT } from "../cli/cli.ts";
import { startDaemon, until } from "./daemon.ts";

/**
 * The caller's identity at work (the /dev/fuse backend): a real agent process reaching the
 * tree is known as its agent, acts on itself through the shim (agent 0 = itself), and may not
 * act on another agent or raise its own privileges — through records or text files alike.
 */
t.test("an agent acts only on itself, through the shim and the text files", { skip: process.getuid?.() !== 0 ? "mounting /dev/fuse needs root" : false }, async (t) => {
  const d = await startDaemon(t, ["--backend", "devfuse"]);
  t.equal((await d.sh('echo "spawn 301 other FsBasic -- sleep 1000" > "$M/ctl"')).code, 0);
  t.equal((await d.sh(`echo "spawn 300 probe FsBasic,DocBasic -- node ${ROOT}fixtures/agents/shim-probe.mjs 301" > "$M/ctl"`)).code, 0);
  const log = `${d.mount}-state/logs/300.log`;
  let out = "";
  t.ok(await until(async () => (out = (await d.sh(`cat '${log}' 2>/dev/null`)).stdout).includes("done"), 10_000), `the probe ran: ${out}`);
  const got = new Map(out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { try: string; ret: number | string; text?: string }).map((r) => [r.try, r]));
  const EPERM = -1;
  t.equal(got.get("heartbeat self (agent 0)")?.ret, 0, "a record for agent 0 is the caller's own: heartbeat");
  t.match(got.get("info self (agent 0)")?.text, /Agent ID: +300/, "get_agent_info(0) answers about the caller");
  t.ok(Number(got.get("query other")?.ret) >= 0 && got.get("query other")?.text?.includes('"agent_id":301'), "reading another agent's policy is allowed (the tree's files are world-readable)");
  t.equal(got.get("kill other")?.ret, EPERM, "killing another agent through the shim: EPERM");
  t.equal(got.get("unthrottle self")?.ret, EPERM, "escaping its own throttle: EPERM");
  t.equal(got.get("add Capture to self")?.ret, EPERM, "raising its own privileges: EPERM");
  t.equal(got.get("drop FsBasic from self")?.ret, 0, "dropping its own privileges is allowed");
  t.equal(got.get("spawn")?.ret, EPERM, "spawning agents is the owner's: EPERM");
  t.equal(got.get("text: kill other")?.ret, "EPERM", "the same rule on /ctl");
  t.equal(got.get("text: heartbeat self")?.ret, "ok", "agents/self/ctl heartbeat");
  t.equal(got.get("text: add Capture to self")?.ret, "EPERM", "agents/self/policy +Capture");
  t.equal(got.get("text: limits on self")?.ret, "EPERM", "changing its own limits");

  t.match((await d.sh('cat "$M/agents/301/status"')).stdout, /State: +running/, "the other agent still runs");
  const policy = (await d.sh('cat "$M/agents/300/policy"')).stdout;
  t.match(policy, /DocBasic/);
  t.notMatch(policy, /FsBasic|Capture/, "the probe's policy: FsBasic dropped, Capture not added");
  t.match((await d.sh('cat "$M/last_error"')).stdout, /EPERM: agent 300 may not "kill" on agent 301.*InsufficientPermission/, "last_error says why");

  const audit = await agentsys(["audit", "--agent", "301", "--state", `${d.mount}-state`, "--json"]);
  const refused = audit.stdout.trim().split("\n").map((l) => JSON.parse(l) as { action: string; result: string; via: string; uid: number | null }).find((e) => e.action === "write" && e.result === "EPERM");
  t.match(refused, { via: "/ctl[agent:300]", uid: 0 }, "the audit trail names the agent that tried");

  // The daemon's owner, outside every agent, still may.
  t.equal((await d.sh('echo "kill 301" > "$M/ctl"')).code, 0, "the owner kills agent 301");
});

t.test("an agent's own calls through the tree and the shim count: telemetry and its watchdog", { skip: process.getuid?.() !== 0 ? "mounting /dev/fuse needs root" : false }, async (t) => {
  const d = await startDaemon(t, ["--backend", "devfuse", "--window", "200"]);
  // Watchdog armed by one heartbeat, then only profile reports, through agents/self/ctl and a
  // shim record (query of itself), for 3 s: with a 1 s watchdog, only calls that count as
  // activity keep it from being Unresponsive.
  const loop = `echo heartbeat > $AGENTSYS_ROOT/agents/self/ctl; i=0; while [ $i -lt 15 ]; do echo "profile op 10 ok" > $AGENTSYS_ROOT/agents/self/ctl; i=$((i+1)); sleep 0.2; done; sleep 600`;
  t.equal((await d.sh("cat > $M/ctl", `spawn ${JSON.stringify({ agent_id: 310, name: "talker", command: "sh", args: ["-c", loop], limits: { watchdog_timeout_us: 1_000_000 } })}\n`)).code, 0);
  t.equal((await d.sh("cat > $M/ctl", `spawn ${JSON.stringify({ agent_id: 311, name: "quiet", command: "sh", args: ["-c", "echo heartbeat > $AGENTSYS_ROOT/agents/self/ctl; sleep 600"], limits: { watchdog_timeout_us: 1_000_000 } })}\n`)).code, 0);
  await new Promise((r) => setTimeout(r, 3200));
  const events = (await d.sh('cat "$M/events"')).stdout;
  t.notMatch(events, /Fault 310 Unresponsive/, "the agent talking to its supervisor is not taken for hung");
  t.match(events, /Fault 311 Unresponsive/, "the quiet one is (the watchdog works)");

  // Without sampling, the only syscalls counted are the agent's calls: one heartbeat, 15 lines.
  const q = await startDaemon(t, ["--backend", "devfuse", "--window", "0"]);
  t.equal((await q.sh("cat > $M/ctl", `spawn ${JSON.stringify({ agent_id: 312, name: "counted", command: "sh", args: ["-c", loop.replace("sleep 0.2", "true")] })}\n`)).code, 0);
  t.ok(await until(async () => (await q.sh('cat "$M/agents/312/profile"')).stdout.includes("15"), 5000), "the agent made its calls");
  const a = JSON.parse((await q.sh('cat "$M/agents/312/agent.json"')).stdout) as { metrics: { syscall_count: number } };
  t.equal(a.metrics.syscall_count, 16, "its calls reach telemetry, one per line");
  t.match((await q.sh('cat "$M/status"')).stdout, /Total Syscalls: +16\n/, "and the system total");
});
