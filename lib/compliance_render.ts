import type { AgentSupervisor } from "./supervisor.ts";

/** Values start at column 23: labels are padded to 22 characters (SPEC §6.3). */
const LABEL_WIDTH = 22;

export const REQUIREMENT_LINES = [
  "- Transparency: All operations logged",
  "- Risk Assessment: Agents classified by risk level",
  "- Human Oversight: Available via compliance events",
  "- Audit Trail: Complete event history maintained",
  "- Robustness: Fault detection and recovery active",
] as const;

/**
 * The `compliance` file: SIS EU AI Act report (SPEC §6.3), byte-exact.
 *
 * @example
 * renderCompliance(sup).split("\n")[0]; // "EU AI Act Compliance Report"
 */
export function renderCompliance(sup: AgentSupervisor): string {
  const all = sup.compliance.all();
  const dist = [0, 0, 0, 0];
  const riskIndex = { Minimal: 0, Limited: 1, High: 2, Unacceptable: 3 } as const;
  for (const a of all) dist[riskIndex[a.risk_level]]++;
  const lines = [
    "EU AI Act Compliance Report",
    "=".repeat(27),
    "",
    field("Timestamp:", sup.ctx.clock.nowUs()),
    field("Total Agents:", all.length),
    field("Total Events:", sup.compliance.totalEvents()),
    field("Policy Violations:", sup.compliance.totalViolations()),
    field("System Compliance:", pct(sup.compliance.systemScore())),
    "",
    "Risk Level Distribution:",
    field("  Minimal:", dist[0]),
    field("  Limited:", dist[1]),
    field("  High:", dist[2]),
    field("  Unacceptable:", dist[3]),
    "",
    "Agent Compliance Details:",
    "-".repeat(25),
  ];
  for (const a of all) {
    lines.push(
      "",
      `Agent ID: ${a.agent_id}`,
      field("  Risk Level:", a.risk_level),
      field("  Events Logged:", a.events),
      field("  Violations:", a.violations),
      field("  Human Oversight:", a.human_reviews),
      field("  Compliance Score:", pct(a.score)),
      field("  Status:", a.status),
    );
  }
  lines.push("", ...REQUIREMENT_LINES);
  return lines.join("\n") + "\n";
}

function field(label: string, value: string | number): string {
  return label.padEnd(LABEL_WIDTH) + String(value);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
