import t from "tap";
import { golden } from "../golden.ts";
import {
  agentJson,
  agentsJson,
  GATEWAY_UNAVAILABLE,
  renderAgentDeps,
  renderAgentInfo,
  renderAgentInfoShell,
  renderAgentLimits,
  renderAgentList,
  renderAgentMetrics,
  renderAgentPolicy,
  renderAgentProfile,
  renderAgentResources,
  renderAgentRisk,
  renderCompliance,
  renderDepgraph,
  renderDump,
  renderShellStatus,
  renderShellTelemetry,
  renderStatus,
  renderTelemetry,
} from "../../lib/mod.ts";
import { buildScenario } from "./scenario.ts";

t.test("renderStatus() matches the golden SIS export_proc text", async (t) => {
  const text = renderStatus(buildScenario());
  await golden(t, "status.txt", text);
  const lines = text.split("\n");
  t.equal(lines[1], "=".repeat(43));
  t.equal(lines[12], "  ID    Spawns Exits  Faults CPU(us)   Mem(B)");
  t.match(lines[14], /^ {3}100 {7}2 {5}1 {7}1 {3}250000  52428800$/, "row widths 4/6/5/6/8/7 (wider values push right)");
});

t.test("renderTelemetry() matches the golden SIS JSON", async (t) => {
  const text = renderTelemetry(buildScenario());
  await golden(t, "telemetry.json", text);
  const j = JSON.parse(text);
  t.equal(j.system_metrics.total_restarts, 1);
  t.equal(j.system_metrics.active_agents, 3);
});

t.test("renderCompliance() matches the golden SIS report with values at column 23", async (t) => {
  const text = renderCompliance(buildScenario());
  await golden(t, "compliance.txt", text);
  for (const line of text.split("\n")) {
    const m = /^( *[A-Za-z ]+:)( +)\S/.exec(line);
    if (m && !line.startsWith("Agent ID:") && !line.startsWith("- ")) t.equal(m[1].length + m[2].length, 22, `value at column 23: ${line}`);
  }
});

t.test("renderAgentInfo() matches the golden SIS agent info", async (t) => {
  const sup = buildScenario();
  await golden(t, "agent_info.txt", renderAgentInfo(sup.getAgent(100)!));
});

t.test("SIS shell views match their golden layouts, from the core and from agents.json alike", async (t) => {
  const sup = buildScenario();
  const all = agentsJson(sup);
  const byId = (id: number) => all.agents.find((a) => a.agent_id === id);
  await golden(t, "shell/list.txt", renderAgentList(all.agents));
  t.equal(renderAgentList(all.agents), renderAgentList(sup.listAgents()), "list: agents.json rows render as the core's");
  t.match(renderAgentList(all.agents), /\n100   4103  planner              1\/3\n/, "id padEnd 4, pid padEnd 4, name padEnd 20");
  t.match(renderAgentList(all.agents), /researcher-with-a-\s{3}0\/3/, "names cut at 18 characters");
  t.equal(renderAgentList([]), "No active agents\n");
  await golden(t, "shell/info.txt", renderAgentInfoShell(byId(100)));
  t.equal(renderAgentInfoShell(undefined), "Agent not found\n");
  await golden(t, "shell/status.txt", renderShellStatus(all.system));
  await golden(t, "shell/telemetry.txt", renderShellTelemetry(all.system, all.agents));
  t.match(renderShellTelemetry(all.system, []), /\nNo active agents\n$/);
  await golden(t, "shell/metrics.txt", renderAgentMetrics(sup, 102));
  await golden(t, "shell/resources.txt", renderAgentResources(sup, 100));
  await golden(t, "shell/limits.txt", renderAgentLimits(sup, 100));
  await golden(t, "shell/risk.txt", renderAgentRisk(sup, 100));
  await golden(t, "shell/deps.txt", renderAgentDeps(sup, 100) + renderAgentDeps(sup, 101));
  const rows = all.agents.map((a) => ({ agent_id: a.agent_id, depends_on: a.deps.depends_on.map((d) => d.id) }));
  await golden(t, "shell/depgraph.txt", renderDepgraph(rows));
  await golden(t, "shell/policy.txt", renderAgentPolicy(sup, 101));
  await golden(t, "shell/profile.txt", renderAgentProfile(sup, 100) + renderAgentProfile(sup, 101));
  const dump = renderDump({ telemetry: renderShellTelemetry(all.system, all.agents), list: renderAgentList(all.agents), compliance: renderCompliance(sup), gateway: GATEWAY_UNAVAILABLE });
  await golden(t, "shell/dump.txt", dump);
  t.ok(dump.startsWith("\n========== ASM Debug Dump ==========\n\n") && dump.endsWith("\n========== End of Dump ==========\n\n"));
});

t.test("agents.json: one stable object per agent with the SIS metrics inside", async (t) => {
  const sup = buildScenario();
  const all = agentsJson(sup, { daemon: { pid: 1, mount: "/m", state_dir: null, started: "x", window_ms: 1000, version: "0", runtime: "node 20", backend: "fuse-native" }, logPath: (id) => `/logs/${id}.log` });
  t.equal(all.version, 1);
  t.same(all.agents.map((a) => a.agent_id), [100, 101, 102]);
  const a = all.agents[0];
  t.same(a.metrics, sup.telemetry.agentMetrics(100), "metrics is SIS's AgentMetrics");
  t.equal(a.log_path, "/logs/100.log");
  t.same(a.deps.depended_on_by, [{ id: 101, type: "Required" }]);
  t.equal(a.risk.risk_level, "High");
  t.equal(a.resources.cpu_percent, 25, "250 ms of CPU in a 1 s window is 25 %");
  t.equal(all.agents[2].recovery.actions.Crashed, "Alert", "permissive preset");
  t.equal(all.system.total_restarts, 1);
  t.equal(agentJson(sup, 5), undefined);
});
