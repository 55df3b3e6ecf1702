import t from "tap";
import { golden } from "../golden.ts";
import { renderAgentInfo, renderCompliance, renderStatus, renderTelemetry } from "../../lib/mod.ts";
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
