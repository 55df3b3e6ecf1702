import { AgentSupervisor, createManualClock, createConstantRandom } from "../../lib/mod.ts";

/**
 * A small fleet with a known history, used by the golden render tests (and later by the FUSE
 * tests): a crashing agent that restarted, a high-risk reviewed agent, an agent with a policy
 * violation, samples with CPU and memory, and syscalls.
 */
export function buildScenario(): AgentSupervisor {
  const clock = createManualClock();
  const sup = new AgentSupervisor({ clock, random: createConstantRandom(0.5) });
  sup.onAgentSpawn(4100, { agent_id: 100, name: "planner", capabilities: ["FsBasic", "DocBasic"], auto_restart: true, risk_level: "High" });
  sup.onAgentSpawn(4101, { agent_id: 101, name: "researcher-with-a-long-name", capabilities: ["FsBasic"] });
  sup.onAgentSpawn(4102, { agent_id: 102, name: "screen-reader", capabilities: ["Screenshot", "Capture"], risk_level: "Minimal", recovery: "permissive" });
  clock.advanceUs(1_000_000);
  sup.onSample(100, 250_000, 52_428_800, 120);
  sup.onSample(101, 40_000, 8_388_608, 15);
  sup.onSample(102, 10_000, 4_194_304, 3);
  sup.telemetry.recordSyscall(100, 5);
  clock.advanceUs(250_000);
  sup.compliance.record(100, { type: "DecisionMade", decision_type: "plan", confidence: 0.8, human_reviewed: false });
  sup.compliance.record(100, { type: "HumanOversight", reviewer_id: "alice", action: "approved" });
  sup.policy.applyPatch(101, { type: "AddCapability", capability: "DocBasic" });
  sup.onFault(102, { type: "PolicyViolation", reason: "read outside scope" });
  clock.advanceUs(500_000);
  sup.onAgentExit(4100, -11);
  sup.onAgentSpawn(4103, { agent_id: 100, name: "planner" });
  sup.deps.add(101, 100, "Required");
  sup.profiler.record(100, "plan", 1_200, true);
  sup.profiler.record(100, "plan", 2_800, false);
  sup.profiler.record(100, "search", 400, true);
  clock.advanceUs(1_000);
  return sup;
}
