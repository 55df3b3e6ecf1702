import t from "tap";
import { golden } from "../golden.ts";
import parsePrometheus from "parse-prometheus-text-format";
import { NODE, childrenOf } from "../../fs/node_kind.ts";
import { CALLERS_KNOWN, startDaemon } from "./daemon.ts";

t.test("the mounted tree, read by real processes", async (t) => {
  const d = await startDaemon(t);
  const setup = [
    "spawn 100 planner FsBasic,DocBasic -- sleep 1000",
    "spawn 101 researcher FsBasic risk=High -- sleep 1000",
    "spawn 102 screen-reader Screenshot,Capture risk=Minimal -- sleep 1000",
    "dep 101 100",
    "policy-update 102 -Capture",
    "compliance 101 DecisionMade decision_type=plan confidence=0.8 human_reviewed=false",
    "compliance 101 HumanOversight reviewer_id=alice action=approved",
  ].join("\n");
  const w = await d.sh(`printf '%s\\n' "$CMDS" > "$M/ctl"`.replace("$CMDS", setup.replace(/"/g, '\\"')));
  t.equal(w.code, 0, `setup written (${w.stderr})`);

  t.test("ls shows every node of the table", async (t) => {
    const root = await d.sh('ls -A "$M"');
    t.same(root.stdout.trim().split("\n").sort(), childrenOf("root").sort());
    const agent = await d.sh('ls -A "$M/agents/100"');
    t.same(agent.stdout.trim().split("\n").sort(), childrenOf("agentDir").sort());
    t.same((await d.sh('ls "$M/agents"')).stdout.trim().split("\n"), ["100", "101", "102"]);
    const links = await d.sh('for p in "$M"/by-pid/*; do readlink "$p"; done');
    t.same(links.stdout.trim().split("\n").sort(), ["../agents/100", "../agents/101", "../agents/102"]);
    const perms = await d.sh('stat -c "%n %A" "$M/status" "$M/ctl" "$M/syscall" "$M/limits" "$M/agents/100/policy" "$M/agents/100/ctl"');
    t.same(perms.stdout.trim().split("\n").map((l) => l.replace(d.mount, "")), [
      "/status -r--r--r--",
      "/ctl -rw-------",
      // Open to all where the daemon names its callers: agents use the shim as themselves.
      `/syscall ${CALLERS_KNOWN ? "-rw-rw-rw-" : "-rw-------"}`,
      "/limits -rw-r--r--",
      "/agents/100/policy -rw-r--r--",
      "/agents/100/ctl --w-------",
    ]);
  });

  t.test("cat of every readable file succeeds", async (t) => {
    const files = Object.values(NODE)
      .filter((n) => n.type !== "dir" && n.type !== "link" && n.mode & 0o444)
      .map((n) => n.path.replace(":id", "100"));
    for (const f of files) {
      const r = await d.sh(`cat "$M${f}"`);
      t.equal(r.code, 0, `cat ${f}: ${r.stderr}`);
      // ctl and syscall answer only on the descriptor that wrote; log is private (0400).
      if (!["/last_error", "/agents/100/log", "/ctl", "/syscall"].includes(f)) t.ok(r.stdout.length > 0, `${f} has content`);
    }
  });

  t.test("status is the SIS text, byte-exact", async (t) => {
    await golden(t, "mount_status.txt", (await d.sh('cat "$M/status"')).stdout);
  });

  t.test("compliance is the SIS report, byte-exact but for the timestamp", async (t) => {
    const text = (await d.sh('cat "$M/compliance"')).stdout;
    t.match(text, /^Timestamp: {12}\d+$/m);
    await golden(t, "mount_compliance.txt", text.replace(/^(Timestamp: +)\d+$/m, "$1<us>"));
  });

  t.test("agents/<id>/status starts with the SIS agent info", async (t) => {
    const text = (await d.sh('cat "$M/agents/101/status"')).stdout;
    t.match(text, /^PID: [1-9]\d*$/m);
    t.match(text, /^Enforcement: cpu=(cgroup-v1|signals) memory=(cgroup-v1|sampled)$/m);
    const masked = text.replace(/^PID: \d+$/m, "PID: <pid>").replace(/^Uptime: \d+ us$/m, "Uptime: <us> us").replace(/^Enforcement: .*$/m, "Enforcement: <backend>");
    await golden(t, "mount_agent_status.txt", masked);
  });

  t.test("telemetry parses as JSON with the SIS shape", async (t) => {
    const j = JSON.parse((await d.sh('cat "$M/telemetry"')).stdout);
    t.same(Object.keys(j), ["timestamp", "agent_metrics", "system_metrics", "recent_events", "total_syscalls"]);
    t.same(Object.keys(j.agent_metrics), ["100", "101", "102"]);
    t.equal(j.system_metrics.active_agents, 3);
    t.same(j.recent_events.slice(0, 3).map((e: Record<string, unknown>) => Object.keys(e)[0]), ["Spawn", "Spawn", "Spawn"]);
  });

  t.test("metrics parses as Prometheus exposition format", async (t) => {
    const text = (await d.sh('cat "$M/metrics"')).stdout;
    const families = parsePrometheus(text);
    const byName = new Map(families.map((f) => [f.name, f]));
    t.equal(byName.get("agentsys_active_agents")?.metrics[0].value, "3");
    t.equal(byName.get("agentsys_spawns_total")?.type, "COUNTER");
    const up = byName.get("agentsys_agent_up")!;
    t.same(up.metrics.map((m) => m.labels), [
      { agent_id: "100", name: "planner" },
      { agent_id: "101", name: "researcher" },
      { agent_id: "102", name: "screen-reader" },
    ]);
    const state = byName.get("agentsys_agent_state")!;
    t.same(state.metrics.map((m) => m.labels?.state), ["running", "running", "running"]);
  });

  t.test("per-agent SIS views", async (t) => {
    t.match((await d.sh('cat "$M/agents/101/deps"')).stdout, /Depends On:\n {4}- Agent 100\n/);
    t.match((await d.sh('cat "$M/agents/100/deps"')).stdout, /Depended On By:\n {4}- Agent 101\n/);
    t.match((await d.sh('cat "$M/agents/101/risk"')).stdout, /Risk Level: {12}High \(requires oversight\)\n {2}Compliance Score: {6}100\.0%/);
    t.match((await d.sh('cat "$M/agents/102/policy"')).stdout, /Capabilities: {4}1\n[\s\S]*Capability list: Screenshot\n/);
    t.match((await d.sh('cat "$M/agents/100/limits"')).stdout, /CPU Quota: {9}1000000 us\/sec/);
    t.equal((await d.sh('cat "$M/cloud_gateway"')).stdout, "Cloud Gateway not initialized\n");
    t.match((await d.sh('cat "$M/limits"')).stdout, /^cpu_quota_us=1000000\nmemory_limit_bytes=104857600\n/);
  });

  t.test("a missing agent is ENOENT", async (t) => {
    const r = await d.sh('cat "$M/agents/999/status"');
    t.not(r.code, 0);
    t.match(r.stderr, /No such file or directory/);
  });
});
