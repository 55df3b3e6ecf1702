import { AgentSupervisor } from "../lib/mod.ts";
import { mkdir } from "node:fs/promises";
import { AgentLogs, CgroupV1, ProcessHost } from "../lib/host/mod.ts";
import { mountAgentFs } from "../fs/mod.ts";
import { defaultMountpoint, defaultStateDir, parseFlags } from "./config.ts";

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} agentsys: ${line}\n`);
}

/** `agentsys up`: mount the tree over a fresh core, run until SIGINT/SIGTERM, unmount. */
export async function runUp(args: string[]): Promise<number> {
  const flags = parseFlags(args, { mount: "string", state: "string", window: "string", grace: "string", "keep-agents": "boolean", debug: "boolean", help: "boolean" });
  if (flags.help) {
    process.stdout.write("Usage: agentsys up [--mount DIR] [--state DIR] [--window MS] [--grace MS] [--keep-agents] [--debug]\n");
    return 0;
  }
  const num = (name: string, dflt: number) => {
    const v = flags[name];
    if (v === undefined) return dflt;
    if (typeof v !== "string" || !/^\d+$/.test(v)) throw Object.assign(new Error(`flag "--${name}" needs a whole number of ms, got "${v}"`), { name: "UsageError" });
    return Number(v);
  };
  const windowMs = num("window", 1000);
  const graceMs = num("grace", 5000);
  const mountpoint = (flags.mount as string | undefined) ?? defaultMountpoint();
  const sup = new AgentSupervisor();
  const stateDir = (flags.state as string | undefined) ?? defaultStateDir();
  await mkdir(`${stateDir}/logs`, { recursive: true });
  const logs = new AgentLogs(`${stateDir}/logs`);
  const cgroup = await CgroupV1.detect();
  sup.enforcement = { cpu: cgroup?.cpuRoot ? "cgroup-v1" : "signals", memory: cgroup?.memoryRoot ? "cgroup-v1" : "sampled" };
  log(
    `enforcement: CPU throttle by ${cgroup?.cpuRoot ? `cgroup v1 (${cgroup.cpuRoot})` : "SIGSTOP/SIGCONT duty cycle (no writable cgroup cpu hierarchy)"}; ` +
      `memory by ${cgroup?.memoryRoot ? `cgroup v1 memory.limit_in_bytes (${cgroup.memoryRoot})` : "sampling (kill on breach)"}`,
  );
  const host = new ProcessHost(sup, { mountPath: mountpoint, log, windowMs, graceMs, cgroup, logs });
  const keep = flags["keep-agents"] === true;
  let mounted;
  try {
    mounted = await mountAgentFs({ sup, host, mountpoint, debug: flags.debug === true, agentLog: (id) => host.agentLog(id) });
  } catch (e) {
    await host.shutdown();
    throw e;
  }
  log(`mounted ${mountpoint} (pid ${process.pid})`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: ${keep ? "leaving agents running" : "stopping agents"} and unmounting`);
      await host.shutdown(keep);
      await mounted.unmount();
      log("unmounted");
      resolve(0);
      // fuse-native keeps the loop referenced after unmount (FUSE-NOTES §1.5): exit explicitly.
      setImmediate(() => process.exit(0));
    };
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGTERM", () => void stop("SIGTERM"));
  });
}
