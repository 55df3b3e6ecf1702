#!/usr/bin/env node
import { errnoName } from "../lib/mod.ts";
import { parseArgs, UsageError, type CliCommand } from "./cli.ts";

/**
 * agentsys — the command. Subcommands live in modules loaded on demand (a client command
 * never loads the FUSE addon). Exit codes: 0 success, 1 failure, 2 usage error. Errors are
 * one line on stderr: `agentsys <command>: <ERRNO>: <reason>`.
 */

type Loader = () => Promise<CliCommand>;
const from = (load: () => Promise<CliCommand[]>, name: string): Loader => async () => (await load()).find((c) => c.name === name)!;
const sis = (n: string) => from(async () => (await import("./cmd_sis.ts")).SIS_READ_COMMANDS, n);
const control = (n: string) => from(async () => (await import("./cmd_control.ts")).CONTROL_COMMANDS, n);
const stream = (n: string) => from(async () => (await import("./cmd_streams.ts")).STREAM_COMMANDS, n);

/** Every command once: name → [group, summary, loader]. */
const COMMANDS: Record<string, [string, string, Loader]> = {
  up: ["daemon", "mount the tree and supervise agents (foreground; logs to stderr)", async () => (await import("./cmd_up.ts")).UP_COMMAND],
  down: ["daemon", "stop a running daemon cleanly (agents stopped, tree unmounted)", async () => (await import("./cmd_down.ts")).DOWN_COMMAND],
  apply: ["daemon", "add or update agents of a running daemon from a fleet file", async () => (await import("./cmd_apply.ts")).APPLY_COMMAND],
  top: ["view", "live view: state, CPU, memory, restarts, faults, recent events", async () => (await import("./cmd_top.ts")).TOP_COMMAND],
  list: ["SIS read", "list agents (id, pid, name, restarts)", sis("list")],
  info: ["SIS read", "one agent's SIS information", sis("info")],
  status: ["SIS read", "subsystems and quick stats", sis("status")],
  metrics: ["SIS read", "one agent's telemetry counters and recent faults", sis("metrics")],
  resources: ["SIS read", "one agent's CPU, memory and syscalls against its limits", sis("resources")],
  telemetry: ["SIS read", "system and per-agent counters (SIS asmstatus)", sis("telemetry")],
  compliance: ["SIS read", "EU AI Act compliance report", sis("compliance")],
  risk: ["SIS read", "one agent's risk class and compliance score", sis("risk")],
  limits: ["SIS read", "one agent's resource limits", sis("limits")],
  deps: ["SIS read", "what an agent depends on, and what depends on it", sis("deps")],
  depgraph: ["SIS read", "the dependency graph", sis("depgraph")],
  policy: ["SIS read", "one agent's capabilities, restart policy and scope", sis("policy")],
  profile: ["SIS read", "one agent's operation profile", sis("profile")],
  gwstatus: ["SIS read", "cloud gateway status", sis("gwstatus")],
  dump: ["SIS read", "telemetry, agents, compliance and gateway in one report", sis("dump")],
  spec: ["read", "one agent's whole spec, env values included (owner, agent's user, read group)", sis("spec")],
  spawn: ["control", "start an agent (prints its id)", control("spawn")],
  kill: ["control", "SIGKILL an agent's process group now (no restart)", control("kill")],
  stop: ["control", "SIGTERM an agent, SIGKILL after the grace (no restart)", control("stop")],
  restart: ["control", "restart an agent now (counters cleared, failed lifted)", control("restart")],
  reset: ["control", "clear an agent's restart counter (failed → exited)", control("reset")],
  "policy-update": ["control", "patch a policy: +Cap, -Cap, restart N, norestart, scope k=v…", control("policy-update")],
  "profile-reset": ["control", "clear the profiler (one agent, or all)", control("profile-reset")],
  logs: ["stream", "an agent's output (stdout and stderr); -f follows", stream("logs")],
  events: ["stream", "lifecycle, fault and action events; -f follows", stream("events")],
  audit: ["stream", "the hash-chained audit trail; -f follows; audit verify checks it", async () => (await import("./cmd_audit.ts")).AUDIT_COMMAND],
};

function usage(): string {
  const groups = new Map<string, string[]>();
  for (const [name, [group, summary]] of Object.entries(COMMANDS)) {
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push(`  ${name.padEnd(16)}${summary}`);
  }
  let out = "Usage: agentsys <command> [options]\n";
  for (const [group, lines] of groups) out += `\n${group[0].toUpperCase()}${group.slice(1)} commands:\n${lines.join("\n")}\n`;
  out +=
    "\nEvery client command works over the mounted tree: --mount DIR (default $AGENTSYS_ROOT,\n" +
    "else /run/agentsys as root, else ${XDG_RUNTIME_DIR:-/tmp}/agentsys-$UID). Read commands\n" +
    "take --json. `agentsys <command> --help` for each. Exit: 0 ok, 1 failed, 2 usage.\n";
  return out;
}

let current = "";

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`${(await import("./config.ts")).packageVersion()}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) throw new UsageError(`unknown command "${name}" (agentsys --help lists them)`);
  current = name;
  const cmd = await entry[2]();
  const parsed = parseArgs(cmd, args);
  if (parsed.flags.help) {
    process.stdout.write(`Usage: agentsys ${cmd.usage}\n\n${entry[1]}\n`);
    return 0;
  }
  return cmd.run(parsed);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as Error & { errno?: string; code?: unknown };
    const where = current ? `agentsys ${current}` : "agentsys";
    if (e?.name === "UsageError") {
      const hint = current ? `agentsys ${current} --help` : "agentsys --help";
      process.stderr.write(`${where}: ${e.message} (see: ${hint})\n`);
      process.exitCode = 2;
      return;
    }
    const errno = e?.errno ?? (typeof e?.code === "string" ? e.code : typeof e?.code === "number" ? errnoName(-Math.abs(e.code)) : undefined);
    process.stderr.write(`${where}: ${errno ? `${errno}: ` : ""}${e?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
