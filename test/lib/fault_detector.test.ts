import t from "tap";
import { ACTION, BREACH, ERRNO, FAULT, LIMIT_PRESETS, RECOVERY_PRESETS, SYS } from "../../lib/mod.ts";
import { createTestSupervisor } from "./harness.ts";

t.test("200 MiB trips the default (conservative) memory limit (SIS unit case)", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a" });
  t.equal(sup.faults.checkMemory(100, 200 * 1024 * 1024), true);
  t.equal(sup.faults.checkMemory(100, 100 * 1024 * 1024), false, "exactly at the limit is fine");
  t.same(sup.limits.defaults(), LIMIT_PRESETS.conservative);
});

t.test("checks: CPU per window, syscall rate; unknown agent never breaches", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a" });
  t.equal(sup.faults.checkCpu(100, 1_000_001), true);
  t.equal(sup.faults.checkCpu(100, 1_000_000), false);
  t.equal(sup.faults.checkSyscallRate(100, 1001), true);
  t.equal(sup.faults.checkSyscallRate(100, 1000), false);
  t.equal(sup.faults.checkCpu(404, 9e9), false);
  t.equal(sup.faults.checkMemory(404, 9e9), false);
  t.equal(sup.faults.checkSyscallRate(404, 9e9), false);
});

t.test("per-agent limits override the defaults (fix); unlimited disables checks", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a", limits: { memory_limit_bytes: 1000 } });
  sup.onAgentSpawn(2, { agent_id: 101, name: "b", limits: LIMIT_PRESETS.unlimited });
  sup.onAgentSpawn(3, { agent_id: 102, name: "c" });
  t.equal(sup.faults.checkMemory(100, 1001), true);
  t.equal(sup.limits.of(100)!.cpu_quota_us, 1_000_000, "other fields keep the defaults");
  t.equal(sup.faults.checkMemory(101, 1e15), false);
  t.equal(sup.faults.checkCpu(101, 1e15), false);
  sup.limits.setDefaults({ memory_limit_bytes: 10 });
  t.equal(sup.faults.checkMemory(102, 11), true, "agents on the defaults follow them");
  t.equal(sup.faults.checkMemory(100, 11), false, "overrides do not");
  t.equal(sup.limits.setFor(102, { cpu_quota_us: -1 }), ERRNO.EINVAL);
  t.equal(sup.limits.setFor(404, {}), ERRNO.ESRCH);
  t.equal(sup.limits.clearFor(100), 0);
  t.equal(sup.faults.checkMemory(100, 11), true);
  t.equal(sup.limits.clearFor(404), ERRNO.ESRCH);
});

t.test("recovery presets and per-agent overrides decide the action", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "default" });
  sup.onAgentSpawn(2, { agent_id: 101, name: "permissive", recovery: "permissive" });
  sup.onAgentSpawn(3, { agent_id: 102, name: "strict", recovery: "strict" });
  sup.onAgentSpawn(4, { agent_id: 103, name: "custom", recovery: { SyscallFlood: "Alert" } });
  const kinds = [0, 1, 2, 3, 4, 5, 6];
  t.same(kinds.map((k) => sup.recovery.actionAt(sup.ctx.table.slotOfId(100), k)), RECOVERY_PRESETS.default);
  t.same(kinds.map((k) => sup.recovery.actionAt(sup.ctx.table.slotOfId(101), k)), RECOVERY_PRESETS.permissive);
  t.same(kinds.map((k) => sup.recovery.actionAt(sup.ctx.table.slotOfId(102), k)), RECOVERY_PRESETS.strict);
  t.equal(sup.recovery.actionAt(sup.ctx.table.slotOfId(103), FAULT.SyscallFlood), ACTION.Alert);
  t.equal(sup.recovery.actionAt(sup.ctx.table.slotOfId(103), FAULT.MemoryExceeded), ACTION.Kill);
  t.equal(sup.recovery.of(103)!.actions.SyscallFlood, "Alert");
  t.same(sup.recovery.of(100)!.backoff, { base_ms: 100, cap_ms: 30_000, reset_after_ms: 60_000 });
  t.equal(sup.recovery.setFor(404, null), ERRNO.ESRCH);
  sup.recovery.setDefaults([...RECOVERY_PRESETS.strict]);
  t.equal(sup.recovery.actionAt(sup.ctx.table.slotOfId(100), FAULT.CpuQuotaExceeded), ACTION.Kill, "defaults changed live");
  t.equal(sup.recovery.defaults().actions.Crashed, "Kill");
});

t.test("onFault() applies the action: Throttle, Kill, Restart, Alert", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a" });
  t.equal(sup.onFault(100, { type: "CpuQuotaExceeded", used: 2e6, quota: 1e6 }), ACTION.Throttle);
  t.equal(sup.getAgent(100)!.state, "throttled");
  t.equal(sup.onFault(100, { type: "Unresponsive", idle_time: 4e7, threshold: 3e7 }), ACTION.Restart);
  t.equal(sup.getAgent(100)!.state, "stopping");
  t.equal(sup.onAgentExit(1, -15), 1, "restart through the rules");
  t.equal(sup.getAgent(100)!.restart_count, 1);
  sup.onAgentSpawn(2, { agent_id: 100, name: "a" });
  t.equal(sup.onFault(100, { type: "PolicyViolation", reason: "wrote /etc/passwd" }), ACTION.Kill);
  t.equal(sup.getAgent(100)!.state, "stopping");
  t.same(sup.policy.violations(100).map((v) => v.detail), ["wrote /etc/passwd"]);
  t.equal(sup.compliance.of(100)!.violations, 1);
  sup.onAgentSpawn(3, { agent_id: 101, name: "b", recovery: "permissive" });
  t.equal(sup.onFault(101, { type: "MemoryExceeded", used: 1, limit: 0 }), ACTION.Alert);
  t.equal(sup.getAgent(101)!.state, "running");
  t.equal(sup.onFault(404, { type: "Crashed", signal: 11 }), ERRNO.ESRCH);
});

t.test("onSample() raises faults from windows and lifts a throttle after clean windows", async (t) => {
  const { sup, clock } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "spinner", limits: { cpu_quota_us: 500_000 } });
  let cpu = 0;
  const window = (used: number) => {
    clock.advanceUs(1_000_000);
    cpu += used;
    return sup.onSample(100, cpu, 1024, 0);
  };
  t.equal(window(100_000), 0);
  t.equal(window(900_000), BREACH.cpu);
  t.equal(sup.getAgent(100)!.state, "throttled");
  t.equal(sup.telemetry.agentMetrics(100)!.recent_faults.length, 1);
  t.equal(window(600_000), BREACH.cpu, "still over while throttled…");
  t.equal(sup.telemetry.agentMetrics(100)!.fault_count, 1, "…but no new fault while throttled");
  t.equal(window(450_000), BREACH.cpu, "just under the quota while throttled is not clean (90 % > 80 %)");
  window(100_000);
  window(100_000);
  t.equal(sup.getAgent(100)!.state, "throttled");
  window(100_000);
  t.equal(sup.getAgent(100)!.state, "running", "lifted after 3 clean windows");
  t.equal(sup.telemetry.agentMetrics(100)!.cpu_time_us, cpu);
  t.equal(sup.onSample(404, 0, 0, 0), ERRNO.ESRCH);
});

t.test("onSample() catches memory, syscall floods and an expired watchdog", async (t) => {
  const { sup, clock } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "balloon" });
  clock.advanceUs(1_000_000);
  t.equal(sup.onSample(100, 0, 200 * 1024 * 1024, 0), BREACH.memory);
  t.equal(sup.getAgent(100)!.state, "stopping", "memory → Kill");
  sup.onAgentSpawn(2, { agent_id: 101, name: "flooder" });
  clock.advanceUs(1_000_000);
  t.equal(sup.onSample(101, 0, 0, 5000), 0, "start-up window: rates not checked yet");
  clock.advanceUs(1_000_000);
  t.equal(sup.onSample(101, 0, 0, 10_000), BREACH.syscalls);
  t.equal(sup.telemetry.agentMetrics(101)!.recent_faults[0].SyscallFlood !== undefined, true);
  sup.onAgentSpawn(3, { agent_id: 102, name: "hang", limits: { watchdog_timeout_us: 2_000_000 } });
  sup.touchAgent(102);
  clock.advanceUs(3_000_000);
  t.equal(sup.onSample(102, 0, 0, 0), BREACH.watchdog);
  t.equal(sup.getAgent(102)!.state, "stopping", "Unresponsive → Restart: stopping first");
  t.equal(sup.ctx.sys[SYS.faults], 3);
  t.equal(sup.onSample(100, 0, 0, 0), 0, "no checks once stopping");
});

t.test("onSample() does not check rates during the start-up grace", async (t) => {
  const { sup, clock } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "node-start" });
  let sys = 0;
  for (let i = 0; i < 4; i++) {
    clock.advanceUs(200_000);
    sys += 400; // 2000/s during start-up
    t.equal(sup.onSample(100, 0, 0, sys), 0, `window ${i + 1} inside the 1 s grace`);
  }
  clock.advanceUs(200_000);
  sys += 400;
  t.equal(sup.onSample(100, 0, 0, sys), BREACH.syscalls, "once the process has run 1 s, the rate counts");
});
