import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { agentsJson, AgentSupervisor, errnoName, renderMetrics, type DaemonInfo } from "../lib/mod.ts";
import { AgentLogs, CgroupV1, createSecretDigest, detectSandbox, Durability, Journal, loadAuditKey, ProcessHost, secureStateDir, stateFileMode } from "../host/mod.ts";
import { applyTextCommands, redactCommandText, type FleetPlan } from "../syscalls/mod.ts";
import { createDevFuseBackend, createFuseNativeBackend, mountAgentFs } from "../fs/mod.ts";
import { intFlag, UsageError, type CliCommand } from "./cli.ts";
import { defaultMountpoint, defaultStateDir, groupId, isDaemon, packageVersion, pidFile, runtimeName } from "./config.ts";
import { applyFleet } from "./fleet_apply.ts";
import { readFleet } from "./fleet_file.ts";
import { startMetricsServer } from "./metrics_server.ts";

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} agentsys: ${line}\n`);
}

const BACKENDS = { "fuse-native": createFuseNativeBackend, devfuse: createDevFuseBackend };

/** `agentsys up`: mount the tree over a fresh core, start the fleet, run until SIGINT/SIGTERM. */
export const UP_COMMAND: CliCommand = {
  name: "up",
  usage:
    "up [--mount DIR] [--state DIR] [--fleet FILE] [--window MS] [--grace MS] [--pids-max N]\n" +
    "   [--backend fuse-native|devfuse]\n" +
    "   [--metrics-port N] [--metrics-addr HOST] [--read-group NAME] [--keep-agents] [--ephemeral]\n" +
    "   [--no-sandbox] [--debug]\n\n" +
    "  --mount DIR         mountpoint (default: $AGENTSYS_ROOT, else /run/agentsys as root,\n" +
    "                      else ${XDG_RUNTIME_DIR:-/tmp}/agentsys-$UID)\n" +
    "  --state DIR         state directory: agents' output in DIR/logs, the pid file (default:\n" +
    "                      $AGENTSYS_STATE, else /var/lib/agentsys as root, else\n" +
    "                      ${XDG_STATE_HOME:-~/.local/state}/agentsys)\n" +
    "  --fleet FILE        start the agents of a fleet file (YAML or JSON) in dependency order\n" +
    "  --window MS         sampling window (default 1000; 0 = no sampling)\n" +
    "  --grace MS          SIGTERM → SIGKILL grace on stop (default 5000)\n" +
    "  --backend NAME      FUSE backend: devfuse (the kernel protocol over /dev/fuse, no libfuse;\n" +
    "                      root only; the default as root and under Deno) or fuse-native\n" +
    "                      (libfuse 2 through fusermount; the default for other users) — docs/fs.md\n" +
    "  --pids-max N        processes and threads per agent, its children included (cgroup v1\n" +
    "                      pids; default 4096, 0 = no limit): a fork bomb gets EAGAIN\n" +
    "  --metrics-port N    serve Prometheus metrics at http://HOST:N/metrics (0 = any free port)\n" +
    "  --metrics-addr HOST address for --metrics-port (default 127.0.0.1)\n" +
    "  --read-group NAME   this group may read what is otherwise the daemon owner's and each\n" +
    "                      agent's user's only: agents' specs with their environment, their\n" +
    "                      logs, the state directory (like the journal's adm group)\n" +
    "  --keep-agents       on SIGINT/SIGTERM, unmount but leave the agents running (the next\n" +
    "                      daemon on the same state directory re-adopts them)\n" +
    "  --ephemeral         no journal: nothing survives the daemon (test harnesses)\n" +
    "  --no-sandbox        start every agent with the host as it is (default: each agent in a\n" +
    "                      sandbox built from its policy where the host can — docs/sandbox.md)\n" +
    "  --debug             trace every FUSE request (libfuse debug)",
  flags: {
    state: { type: "string" },
    fleet: { type: "string" },
    window: { type: "string" },
    grace: { type: "string" },
    "pids-max": { type: "string" },
    backend: { type: "string" },
    "metrics-port": { type: "string" },
    "metrics-addr": { type: "string" },
    "read-group": { type: "string" },
    ephemeral: { type: "boolean" },
    "keep-agents": { type: "boolean" },
    debug: { type: "boolean" },
    "no-sandbox": { type: "boolean" },
  },
  positionals: [0, 0],
  async run(args) {
    const windowMs = intFlag(args.flags, "window", 1000);
    const graceMs = intFlag(args.flags, "grace", 5000);
    const pidsMax = intFlag(args.flags, "pids-max", 4096);
    // The kernel-protocol backend is the default where it can mount — as root (docs/fs.md,
    // docs/performance.md: faster under load, no libfuse threads, knows its callers); others
    // get fuse-native, which mounts through fusermount. fuse-native aborts under Deno.
    const onDeno = runtimeName().startsWith("deno");
    const backendName = (args.flags.backend as string | undefined) ?? (onDeno || process.getuid?.() === 0 ? "devfuse" : "fuse-native");
    if (!(backendName in BACKENDS)) throw new UsageError(`--backend ${backendName}: expected one of ${Object.keys(BACKENDS).join(", ")}`);
    if (onDeno && backendName === "fuse-native") throw new UsageError("--backend fuse-native: the fuse-native binding aborts under Deno; use --backend devfuse (the default there)");
    const backend = BACKENDS[backendName as keyof typeof BACKENDS];
    const metricsPort = args.flags["metrics-port"] === undefined ? -1 : intFlag(args.flags, "metrics-port", 0);
    const metricsAddr = (args.flags["metrics-addr"] as string | undefined) ?? "127.0.0.1";
    // A bad fleet file stops here, before anything is mounted or started (exit 2).
    const fleet: FleetPlan | null = args.flags.fleet ? await readFleet(args.flags.fleet as string) : null;
    const mountpoint = (args.flags.mount as string | undefined) ?? defaultMountpoint();
    const stateDir = (args.flags.state as string | undefined) ?? defaultStateDir();
    const keep = args.flags["keep-agents"] === true;
    const readGroup = args.flags["read-group"] as string | undefined;
    const readGid = readGroup === undefined ? undefined : groupId(readGroup);
    if (readGroup !== undefined && readGid === undefined) throw new UsageError(`--read-group ${readGroup}: no such group`);

    // One daemon per state directory, checked before anything is touched (the journal, the
    // agents): a second `up` must not restore and start the first one's agents.
    await mkdir(`${stateDir}/logs`, { recursive: true, mode: 0o700 });
    await refuseIfStateInUse(stateDir);
    await writeFile(pidFile(stateDir), `${process.pid}\n${mountpoint}\n`, { mode: stateFileMode(readGid) });
    // Owner-only (or the read group's) before the journal or a log is written: they hold
    // agents' environments and output (SPEC §9, Secrets).
    const secretDigest = createSecretDigest(loadAuditKey(stateDir, stateFileMode(readGid)));
    secureStateDir(stateDir, { readGid, journal: args.flags.ephemeral === true ? undefined : "agentsys.db", log });
    const sup = new AgentSupervisor();
    const logs = new AgentLogs(`${stateDir}/logs`, undefined, readGid);
    const cgroup = await CgroupV1.detect(undefined, pidsMax);
    sup.enforcement = { cpu: cgroup?.cpuRoot ? "cgroup-v1" : "signals", memory: cgroup?.memoryRoot ? "cgroup-v1" : "sampled" };
    log(
      `enforcement: CPU throttle by ${cgroup?.cpuRoot ? `cgroup v1 (${cgroup.cpuRoot})` : "SIGSTOP/SIGCONT duty cycle (no writable cgroup cpu hierarchy)"}; ` +
        `memory by ${cgroup?.memoryRoot ? `cgroup v1 memory.limit_in_bytes (${cgroup.memoryRoot})` : "sampling (kill on breach)"}; ` +
        `processes by ${cgroup?.pidsRoot ? `cgroup v1 pids.max=${pidsMax || "max"} (${cgroup.pidsRoot})` : "process group only (no writable cgroup pids hierarchy)"}`,
    );
    const sandbox = args.flags["no-sandbox"] === true ? { unavailable: "--no-sandbox" } : detectSandbox();
    const host = new ProcessHost(sup, { mountPath: mountpoint, log, windowMs, graceMs, cgroup, logs, sandbox: "unavailable" in sandbox ? null : sandbox, sandboxOff: "unavailable" in sandbox ? sandbox.unavailable : undefined, sandboxNetDir: sandboxNetDir(stateDir) });
    log(host.sandboxes.summary());
    // The journal: what survives a restart. A state directory that cannot hold it
    // is an error before anything is mounted. --ephemeral: state in memory only.
    let durability: Durability | null = null;
    if (args.flags.ephemeral !== true) {
      try {
        durability = new Durability(sup, new Journal(`${stateDir}/agentsys.db`), log);
      } catch (e) {
        await host.shutdown();
        await rm(pidFile(stateDir), { force: true });
        throw new Error(`cannot open the journal ${stateDir}/agentsys.db: ${(e as Error).message}`);
      }
      durability.discard = (id) => host.discard(id);
    }
    const daemon: DaemonInfo = { pid: process.pid, mount: mountpoint, state_dir: stateDir, started: new Date().toISOString(), window_ms: windowMs, version: packageVersion(), runtime: runtimeName(), backend: backendName };
    const json = { daemon, logPath: (id: number) => logs.path(id) };
    const dur = durability;
    let mounted;
    try {
      // A live mountpoint fails here ("Mountpoint in use"), before any agent is restored.
      mounted = await mountAgentFs({ sup, host, mountpoint, backend, debug: args.flags.debug === true, agentLog: (id) => host.agentLog(id), json, persist: dur ? (scope) => dur.persist(scope) : undefined, auditTail: dur ? (n) => dur.journal.audit({ limit: n }) : undefined, agentUid: (id) => host.uidOf(id), agentOfPid: (pid) => host.agentOfProcess(pid), secretDigest, readGid });
    } catch (e) {
      await host.shutdown();
      dur?.journal.close();
      await rm(pidFile(stateDir), { force: true });
      throw e;
    }
    host.rescanInheritedFds(); // /dev/fuse and the auto_unmount socket exist now
    if (dur) {
      // Restored before the first FUSE request is served: nothing awaits between the mount and
      // here, and requests reach JS as later turns of the loop.
      let restored;
      try {
        restored = dur.restore((id, pid, identity) => host.adopt(id, pid, identity));
      } catch (e) {
        await mounted.unmount();
        await host.shutdown(true);
        dur.journal.close();
        await rm(pidFile(stateDir), { force: true });
        throw e;
      }
      if (restored.restored > 0) {
        log(`journal: ${restored.restored} agents restored, ${restored.adopted.length} re-adopted${restored.adopted.length ? ` (${restored.adopted.join(", ")})` : ""}, ${restored.lost.length} without their process${restored.lost.length ? ` (${restored.lost.join(", ")})` : ""}`);
      }
      sup.onLifecycle(() => dur.soon());
    }
    log(`mounted ${mountpoint} (pid ${process.pid}, ${daemon.runtime}, ${backendName} backend)`);

    const metrics = metricsPort >= 0 ? await startMetricsServer(() => renderMetrics(sup), metricsPort, metricsAddr).catch((e: Error) => (log(`metrics: cannot listen on ${metricsAddr}:${metricsPort}: ${e.message}`), null)) : null;
    if (metrics) {
      const a = metrics.address();
      if (a && typeof a === "object") log(`metrics on http://${a.address}:${a.port}/metrics`);
    }

    let stopping = false;
    const done = new Promise<number>((resolve) => {
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log(`${signal}: ${keep ? "leaving agents running" : "stopping agents"} and unmounting`);
        metrics?.close();
        durability?.beginShutdown();
        await host.shutdown(keep);
        durability?.close(true);
        await mounted.unmount();
        await rm(pidFile(stateDir), { force: true });
        log("unmounted");
        resolve(0);
        // fuse-native keeps the loop referenced after unmount (FUSE-NOTES §1.5): exit explicitly.
        setImmediate(() => process.exit(0));
      };
      process.on("SIGINT", () => void stop("SIGINT"));
      process.on("SIGTERM", () => void stop("SIGTERM"));
    });

    if (fleet) {
      const ctx = { sup, host, caller: { via: "fleet" } };
      const target = {
        async exec(line: string) {
          if (stopping) throw new Error("the daemon is shutting down");
          const r = applyTextCommands(ctx, line);
          sup.audit.record(0, "write", `fleet: ${redactCommandText(line, secretDigest)}`, r.code, { via: "fleet" });
          const durable = durability ? durability.flush(r.code >= 0) : 0;
          if (r.code < 0) throw new Error(`${errnoName(r.code)}: ${r.reason}`);
          if (durable < 0) throw new Error(`${errnoName(durable)}: the change could not be journaled; it was undone`);
          return r.results[r.results.length - 1]?.code ?? 0;
        },
        // Whole specs (the views show env values as "(set)"), so unchanged agents compare equal.
        agents: async () => agentsJson(sup, json).agents.map((a) => ({ ...a, spec: sup.specOf(a.agent_id) ?? null })),
      };
      const results = await applyFleet(target, fleet, { log });
      const count = (a: string) => results.filter((r) => r.action === a).length;
      const others = ["updated", "restarted", "unchanged", "skipped", "failed"].filter((a) => count(a) > 0).map((a) => `, ${count(a)} ${a}`).join("");
      log(`fleet ${args.flags.fleet}: ${count("created")} of ${results.length} agents started${others}`);
    }
    return done;
  },
};

/**
 * The agents' proxy sockets: outside the state directory (0700: an agent's bwrap, running as the
 * agent, must reach its socket's directory), named after it so each daemon has its own and a
 * successor clears what a killed one left.
 */
function sandboxNetDir(stateDir: string): string {
  return join(tmpdir(), `agentsys-net-${createHash("sha256").update(resolve(stateDir)).digest("hex").slice(0, 16)}`);
}

/** Refuse to start on a state directory a live daemon holds (its pid file names it). */
async function refuseIfStateInUse(stateDir: string): Promise<void> {
  const text = await readFile(pidFile(stateDir), "utf8").catch(() => "");
  const pid = Number(text.split("\n")[0]);
  if (!(pid > 0) || pid === process.pid) return;
  if (await isDaemon(pid)) {
    throw new Error(`state directory ${stateDir} is in use by agentsys daemon ${pid} (serving ${text.split("\n")[1] || "?"})`);
  }
}
