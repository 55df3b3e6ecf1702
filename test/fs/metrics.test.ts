import { execFileSync } from "node:child_process";
import t from "tap";
import { startDaemon, until, type Daemon } from "./daemon.ts";

const AGENTS = new URL("../../fixtures/agents/", import.meta.url).pathname;

/** promtool comes with Debian's prometheus package, which bin/setup installs as root. */
function hasPromtool(): boolean {
  try {
    execFileSync("promtool", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function state(d: Daemon, id: number): Promise<string> {
  const r = await d.sh(`cat "$M/agents/${id}/status"`);
  return /^State: (\w+)$/m.exec(r.stdout)?.[1] ?? "";
}

const skip = hasPromtool() ? false : "promtool is not installed (Debian package prometheus; bin/setup installs it as root)";

/** `promtool check metrics` on the mounted file: its exit code and everything it printed. */
async function promtool(d: Daemon): Promise<{ code: number; output: string }> {
  const r = await d.sh('cat "$M/metrics" | promtool check metrics 2>&1');
  return { code: r.code, output: r.stdout };
}

t.test("the metrics file passes promtool check metrics with agents in every state", { skip }, async (t) => {
  // Without sampling, so a throttle stays until unthrottled (the monitor lifts it when CPU is low).
  const d = await startDaemon(t);
  const node = process.execPath;
  // A short backoff so the crasher reaches failed within the test's time.
  t.equal((await d.sh('echo base_ms=50 > "$M/recovery"')).code, 0);
  const setup = [
    `spawn 100 crasher none auto_restart=true max_restarts=2 -- ${node} ${AGENTS}crasher.cjs`,
    "spawn 101 sleeper FsBasic -- sleep 1000",
    "spawn 102 throttled none -- sleep 1000",
    `spawn 103 quitter none -- ${node} ${AGENTS}exit-nonzero.cjs`,
    // A label value that needs escaping (a double quote, a backslash), in JSON: no word splitting.
    `spawn ${JSON.stringify({ agent_id: 104, name: 'odd"name\\', command: "sleep", args: ["1000"] })}`,
    "spawn 105 faulty none -- sleep 1000",
    "fault 105 CpuQuotaExceeded used=2 quota=1",
    "profile 101 op 120 ok",
    "profile 101 op 80 fail",
    "spawn 106 stopped none -- sleep 1000",
    "stop 106",
  ].join("\n");
  const w = await d.sh(`cat > "$M/ctl"`, setup + "\n");
  t.equal(w.code, 0, `setup written (${w.stderr})`);
  t.equal((await d.sh('echo throttle > "$M/agents/102/ctl"')).code, 0);
  t.ok(await until(async () => (await state(d, 100)) === "failed", 15_000), "the crasher ends failed");
  t.ok(await until(async () => (await state(d, 103)) === "exited", 5000), "the quitter ends exited");
  t.ok(await until(async () => (await state(d, 106)) === "exited", 5000), "the stopped one ends exited");
  t.equal(await state(d, 101), "running");
  t.equal(await state(d, 102), "throttled");
  t.equal(await state(d, 105), "throttled", "CpuQuotaExceeded throttles by default");

  const text = (await d.sh('cat "$M/metrics"')).stdout;
  t.match(text, /^agentsys_agent_state\{agent_id="100",name="crasher",state="failed"\} 1$/m);
  t.match(text, /^agentsys_agent_restarts\{agent_id="100",name="crasher"\} 2$/m);
  t.match(text, /^agentsys_agent_faults_total\{agent_id="105",name="faulty"\} [1-9]/m);
  t.match(text, /^agentsys_agent_up\{agent_id="104",name="odd\\"name\\\\"\} 1$/m, "label values escaped");
  t.same(await promtool(d), { code: 0, output: "" }, "promtool accepts it without a complaint");
});

t.test("the metrics file passes promtool check metrics with sampled CPU and memory", { skip }, async (t) => {
  const d = await startDaemon(t, ["--window", "200"]);
  const w = await d.sh(`cat > "$M/ctl"`, `spawn 100 spinner none -- ${process.execPath} ${AGENTS}spinner.cjs\nspawn 101 idle none -- sleep 1000\n`);
  t.equal(w.code, 0, `spawned (${w.stderr})`);
  const sampled = async () => {
    const text = (await d.sh('cat "$M/metrics"')).stdout;
    return /^agentsys_agent_cpu_seconds_total\{agent_id="100",name="spinner"\} \d+\.\d+$/m.test(text) && /^agentsys_agent_memory_bytes\{agent_id="101",name="idle"\} [1-9]\d{3,}$/m.test(text);
  };
  t.ok(await until(sampled, 10_000, 100), "fractional CPU seconds and memory in bytes were sampled");
  t.same(await promtool(d), { code: 0, output: "" }, "promtool accepts it without a complaint");
});
