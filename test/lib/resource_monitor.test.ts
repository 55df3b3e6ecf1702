import t from "tap";
import { HISTORY_WINDOWS } from "../../lib/mod.ts";
import { createTestSupervisor } from "./harness.ts";

t.test("ResourceMonitor keeps 60 windows oldest first after wrapping (fix of SIS's ring order)", async (t) => {
  const { sup, clock } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a" });
  let cpu = 0;
  for (let i = 1; i <= 75; i++) {
    clock.advanceUs(1_000_000);
    cpu += i * 1000;
    t.equal(sup.resources.recordSample(100, cpu, i * 10, i), true);
  }
  const w = sup.resources.windows(100);
  t.equal(w.length, HISTORY_WINDOWS);
  t.equal(w[0].cpu_us, 16_000, "oldest kept is window 16");
  t.equal(w[59].cpu_us, 75_000);
  t.ok(w.every((x, i) => i === 0 || x.end_us > w[i - 1].end_us), "chronological");
  t.equal(sup.resources.cpuRate(100, 1), 75_000, "µs per second over the last window");
  t.equal(sup.resources.cpuRate(100, 2), 74_500);
  t.equal(sup.resources.peakMemory(100), 750);
  t.equal(sup.resources.recordSample(404, 0, 0, 0), false);
  t.same(sup.resources.windows(404), []);
  t.equal(sup.resources.cpuRate(404), 0);
  t.equal(sup.resources.peakMemory(404), 0);
});

t.test("ResourceMonitor rates use real window lengths; a restart starts a new baseline", async (t) => {
  const { sup, clock } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a", auto_restart: true });
  clock.advanceUs(500_000);
  sup.resources.recordSample(100, 0, 0, 100);
  t.equal(sup.resources.syscallRate(100), 200, "100 calls in 0.5 s");
  sup.onAgentExit(1, -9);
  sup.onAgentSpawn(2, { agent_id: 100, name: "a" }); // the restart, from backoff
  clock.advanceUs(2_000_000);
  sup.resources.recordSample(100, 0, 0, 40); // the new process's own counter
  t.equal(sup.resources.syscallRate(100), 20, "40 calls of the new process in 2 s");
  t.equal(sup.telemetry.agentMetrics(100)!.syscall_count, 140);
});

t.test("a process group whose totals go down (a member left) is not charged a lifetime", async (t) => {
  const { sup, clock } = createTestSupervisor();
  sup.onAgentSpawn(1, { agent_id: 100, name: "a", limits: { cpu_quota_us: 500_000, syscall_rate_limit: 1000 } });
  const sample = (cpuUs: number, sys: number) => {
    clock.advanceUs(1_000_000);
    return sup.onSample(100, cpuUs, 1, sys);
  };
  sample(10_000_000, 500_000); // a long-lived group: 10 s of CPU, 500k syscalls so far
  sample(10_100_000, 500_100);
  t.equal(sample(10_150_000, 500_150), 0, "warm, under its limits");
  t.equal(sample(6_000_000, 300_000), 0, "a member exited: the totals drop, nothing is charged");
  t.equal(sup.resources.cpuRate(100, 1), 0);
  t.equal(sup.resources.syscallRate(100, 1), 0);
  t.equal(sample(6_100_000, 300_100), 0, "the next window is measured from the new totals");
  t.equal(sup.resources.cpuRate(100, 1), 100_000);
  t.equal(sup.telemetry.agentMetrics(100)!.fault_count, 0, "no false CpuQuotaExceeded or SyscallFlood");
});
