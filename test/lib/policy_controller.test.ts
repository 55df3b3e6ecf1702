import t from "tap";
import { CAP, ERRNO, EVENT_KIND, MAX_VIOLATIONS } from "../../lib/mod.ts";
import { createTestSupervisor } from "./harness.ts";

t.test("applyPatch() applies the five patches and audits each", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a", capabilities: ["FsBasic"] });
  const p = sup.policy;
  t.equal(p.applyPatch(100, { type: "AddCapability", capability: "Capture" }), 0);
  t.equal(p.checkCapability(100, CAP.Capture), true, "enforced at once (fix)");
  t.equal(p.applyPatch(100, { type: "RemoveCapability", capability: "FsBasic" }), 0);
  t.equal(p.checkCapability(100, CAP.FsBasic), false);
  t.equal(p.applyPatch(100, { type: "UpdateScope", scope: { path_prefix: "/data", max_ops_per_sec: 5 } }), 0);
  t.equal(p.applyPatch(100, { type: "EnableAutoRestart", max_restarts: 5 }), 0);
  t.same(p.policyOf(100), {
    agent_id: 100,
    capabilities: ["Capture"],
    capability_mask: 1 << CAP.Capture,
    scope: { path_prefix: "/data", max_ops_per_sec: 5 },
    auto_restart: true,
    max_restarts: 5,
    violations: 0,
    policy_changes: 4,
  });
  t.equal(p.applyPatch(100, { type: "DisableAutoRestart" }), 0);
  t.equal(p.policyOf(100)!.auto_restart, false);
  const trail = sup.audit.entries(100);
  t.same(trail.map((e) => e.detail), ["+Capture", "-FsBasic", "scope path=/data max_ops_per_sec=5", "restart 5", "norestart"]);
  t.ok(trail.every((e) => e.result === "ok" && e.wall.endsWith("Z")));
  let changes = 0;
  for (let i = 0; i < sup.ctx.events.length; i++) if (sup.ctx.events.kind[sup.ctx.events.at(i)] === EVENT_KIND.PolicyChange) changes++;
  t.equal(changes, 5, "one PolicyChange event per patch");
});

t.test("applyPatch() refuses Admin (PrivilegeEscalation), unknown agents and bad patches", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a" });
  const p = sup.policy;
  t.equal(p.applyPatch(100, { type: "AddCapability", capability: "Admin" }), ERRNO.EPERM);
  t.match(sup.lastReason, /PrivilegeEscalation/);
  t.equal(p.checkCapability(100, CAP.Admin), false);
  t.equal(p.applyPatch(404, { type: "DisableAutoRestart" }), ERRNO.ESRCH);
  t.match(sup.lastReason, /AgentNotFound/);
  t.equal(p.applyPatch(100, { type: "EnableAutoRestart", max_restarts: -1 }), ERRNO.EINVAL);
  t.equal(p.applyPatch(100, { type: "AddCapability", capability: "Nope" as "FsBasic" }), ERRNO.EINVAL);
  t.same(sup.audit.entries(100).map((e) => e.result), ["EPERM", "EINVAL", "EINVAL"], "refusals are audited too");
  t.equal(p.policyOf(100)!.policy_changes, 0, "nothing changed");
});

t.test("applyPatch() lets an agent only drop its own privileges, unless it holds Admin", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a", capabilities: ["FsBasic", "Capture"] });
  sup.onAgentSpawn(2, { agent_id: 101, name: "b" });
  sup.onAgentSpawn(3, { agent_id: 1, name: "agentd", capabilities: ["Admin"] }, { allowAdmin: true });
  const p = sup.policy;
  t.equal(p.applyPatch(100, { type: "RemoveCapability", capability: "Capture" }, { agentId: 100, via: "syscall" }), 0);
  t.equal(p.applyPatch(100, { type: "AddCapability", capability: "Capture" }, { agentId: 100 }), ERRNO.EPERM);
  t.match(sup.lastReason, /InsufficientPermission/);
  t.equal(p.applyPatch(101, { type: "RemoveCapability", capability: "FsBasic" }, { agentId: 100 }), ERRNO.EPERM);
  t.equal(p.applyPatch(101, { type: "AddCapability", capability: "DocBasic" }, { agentId: 1 }), 0, "Admin may act on others");
  t.equal(p.applyPatch(101, { type: "AddCapability", capability: "Admin" }, { agentId: 1 }), ERRNO.EPERM, "but never grant Admin");
  t.same(sup.audit.entries(100)[0].caller, { agentId: 100, via: "syscall" });
});

t.test("violations: the last 100 per agent are kept", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a" });
  for (let i = 0; i < 130; i++) sup.policy.recordViolation(100, "PolicyViolation", `v${i}`);
  const v = sup.policy.violations(100);
  t.equal(v.length, MAX_VIOLATIONS);
  t.equal(v[0].detail, "v30");
  t.equal(v[99].detail, "v129");
  t.equal(sup.policy.policyOf(100)!.violations, 100);
});

t.test("exportCompliance() lists every agent's policy by id", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 200, name: "b", capabilities: ["DocBasic"], scope: { path_prefix: "/tmp" } });
  sup.onAgentSpawn(2, { agent_id: 100, name: "a" });
  const ex = sup.policy.exportCompliance();
  t.same(ex.map((e) => e.agent_id), [100, 200]);
  t.same(ex[1].capabilities, ["DocBasic"]);
  t.same(ex[1].scope, { path_prefix: "/tmp" });
  t.equal(sup.policy.checkCapability(404, CAP.FsBasic), false);
});

t.test("audit.after(seq) returns only the newer entries, oldest first", async (t) => {
  const { sup } = createTestSupervisor();
  for (let i = 0; i < 5; i++) sup.audit.record(100, "write", `w${i}`, 0, {});
  const all = sup.audit.entries();
  t.same(sup.audit.after(all[2].seq).map((e) => e.detail), ["w3", "w4"]);
  t.same(sup.audit.after(all[4].seq), []);
  t.same(sup.audit.after(0).length, 5);
});
