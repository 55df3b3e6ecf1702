import t from "tap";
import { ERRNO } from "../../lib/mod.ts";
import { createTestSupervisor } from "./harness.ts";

t.test("a high-risk agent with 5 decisions and 0 reviews is non-compliant; 1 review makes it compliant (SIS unit case)", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a", risk_level: "High" });
  for (let i = 0; i < 5; i++) {
    t.equal(sup.compliance.record(100, { type: "DecisionMade", decision_type: "loan", confidence: 0.9, human_reviewed: false }), 0);
  }
  t.equal(sup.compliance.of(100)!.compliant, false);
  sup.compliance.record(100, { type: "HumanOversight", reviewer_id: "alice", action: "approved" });
  const c = sup.compliance.of(100)!;
  t.equal(c.compliant, true);
  t.equal(c.human_reviews, 1);
  t.equal(c.decisions, 5);
  t.equal(c.events, 7, "spawn + 5 decisions + 1 oversight");
  t.equal(c.score, 1, "1.0 + 0.1 review bonus, clamped");
});

t.test("score and status follow SPEC §4", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a" });
  const violate = (n: number) => {
    for (let i = 0; i < n; i++) sup.compliance.record(100, { type: "PolicyViolation", violation_type: "scope", severity: "High" });
  };
  t.equal(sup.compliance.of(100)!.status, "COMPLIANT");
  violate(1);
  t.equal(sup.compliance.of(100)!.score, 0.9);
  t.equal(sup.compliance.of(100)!.status, "COMPLIANT");
  violate(2);
  t.equal(sup.compliance.of(100)!.score, 0.7);
  t.equal(sup.compliance.of(100)!.status, "REVIEW_NEEDED");
  t.equal(sup.compliance.of(100)!.compliant, false, "Limited: compliant below 3 violations");
  violate(1);
  t.equal(sup.compliance.of(100)!.status, "NON_COMPLIANT");
  violate(20);
  t.equal(sup.compliance.of(100)!.score, 0, "clamped at 0");
  t.equal(sup.compliance.totalViolations(), 24);
});

t.test("per-risk compliant rules: Unacceptable never, Minimal below 10", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a", risk_level: "Unacceptable" });
  sup.onAgentSpawn(2, { agent_id: 101, name: "b", risk_level: "Minimal" });
  t.equal(sup.compliance.of(100)!.compliant, false);
  for (let i = 0; i < 9; i++) sup.compliance.record(101, { type: "PolicyViolation", violation_type: "x", severity: "Low" });
  t.equal(sup.compliance.of(101)!.compliant, true);
  sup.compliance.record(101, { type: "PolicyViolation", violation_type: "x", severity: "Low" });
  t.equal(sup.compliance.of(101)!.compliant, false);
  t.equal(sup.compliance.setRisk(101, "High"), 0);
  t.equal(sup.compliance.of(101)!.risk_level, "High");
  t.equal(sup.compliance.setRisk(404, "High"), ERRNO.ESRCH);
  t.equal(sup.compliance.setRisk(101, "Extreme" as "High"), ERRNO.EINVAL);
  t.equal(sup.compliance.record(404, { type: "AgentSpawned" }), ERRNO.ESRCH);
});

t.test("system score is the mean, 1.0 with no agents; events are logged for export", async (t) => {
  const { sup } = createTestSupervisor();
  t.equal(sup.compliance.systemScore(), 1);
  sup.onAgentSpawn(1, { agent_id: 100, name: "a" });
  sup.onAgentSpawn(2, { agent_id: 101, name: "b" });
  for (let i = 0; i < 5; i++) sup.compliance.record(101, { type: "PolicyViolation", violation_type: "x", severity: "Low" });
  t.equal(sup.compliance.systemScore(), 0.75);
  sup.compliance.record(100, { type: "SensitiveDataAccess", data_category: "health", access_type: "read" });
  sup.compliance.record(100, { type: "AgentExited", exit_code: 0, operations_count: 3 });
  t.same(sup.compliance.recentEvents(100).map((e) => e.event.type), ["SensitiveDataAccess", "AgentExited"]);
  t.equal(sup.compliance.totalEvents(), 2 + 5 + 2);
});
