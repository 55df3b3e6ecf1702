import t from "tap";
import { SYS, RECENT_FAULTS } from "../../lib/mod.ts";
import { createTestSupervisor } from "./harness.ts";

t.test("TelemetryAggregator records syscalls, CPU and memory per agent and system", async (t) => {
  const { sup } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a" });
  t.equal(sup.telemetry.recordSyscall(100), true);
  t.equal(sup.telemetry.recordSyscall(100, 9), true);
  t.equal(sup.telemetry.recordSyscall(404), false);
  t.equal(sup.telemetry.recordCpu(100, 1500), true);
  t.equal(sup.telemetry.recordMemory(100, 4096), true);
  t.equal(sup.telemetry.recordCpu(404, 1), false);
  t.equal(sup.telemetry.recordMemory(404, 1), false);
  const m = sup.telemetry.agentMetrics(100)!;
  t.equal(m.syscall_count, 10);
  t.equal(m.cpu_time_us, 1500);
  t.equal(m.memory_bytes, 4096);
  t.equal(sup.telemetry.totalSyscalls(), 10);
  t.equal(sup.telemetry.agentMetrics(404), undefined);
});

t.test("TelemetryAggregator keeps the last 10 faults per agent, oldest first", async (t) => {
  const { sup, clock } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a", recovery: "permissive" });
  for (let i = 1; i <= 13; i++) {
    clock.advanceUs(10);
    sup.onFault(100, { type: "SyscallFlood", rate: 1000 + i, threshold: 1000 });
  }
  const m = sup.telemetry.agentMetrics(100)!;
  t.equal(m.fault_count, 13);
  t.equal(m.recent_faults.length, RECENT_FAULTS);
  t.same(m.recent_faults[0], { SyscallFlood: { rate: 1004, threshold: 1000 } });
  t.same(m.recent_faults[9], { SyscallFlood: { rate: 1013, threshold: 1000 } });
  t.equal(sup.ctx.sys[SYS.faults], 13);
});

t.test("snapshot() has the SIS TelemetrySnapshot shape with externally tagged events", async (t) => {
  const { sup, clock } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a", auto_restart: true });
  clock.advanceUs(50);
  sup.policy.applyPatch(100, { type: "AddCapability", capability: "DocBasic" });
  sup.onFault(100, { type: "CapabilityViolation", attempted: "Admin" });
  sup.onAgentExit(1, -15);
  const snap = sup.telemetry.snapshot();
  t.same(Object.keys(snap), ["timestamp", "agent_metrics", "system_metrics", "recent_events", "total_syscalls"]);
  t.same(Object.keys(snap.agent_metrics["100"]), [
    "agent_id", "spawn_count", "exit_count", "fault_count", "cpu_time_us", "memory_bytes",
    "syscall_count", "last_spawn", "last_exit", "last_exit_code", "recent_faults",
  ]);
  t.same(Object.keys(snap.system_metrics), ["total_spawns", "total_exits", "total_faults", "total_restarts", "active_agents"]);
  t.same(snap.recent_events, [
    { Spawn: [100, 0] },
    { PolicyChange: [100, 50] },
    { Fault: [100, { CapabilityViolation: { attempted: "Admin" } }, 50] },
    { Exit: [100, 143, 50] },
  ], "agentsys-only kinds (StateChange, Action) are left out of the SIS JSON");
  t.equal(snap.agent_metrics["100"].last_exit_code, 143, "killed by SIGTERM → 128+15");
  t.equal(snap.agent_metrics["100"].fault_count, 1, "our own SIGTERM after Kill is not a crash");
});
