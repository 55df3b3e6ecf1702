import { TypeCompiler } from "@sinclair/typebox/compiler";
import {
  ACTION_NAMES,
  ERRNO,
  FAULT_NAMES,
  RECOVERY_PRESETS,
  renderAgentInfo,
  renderAgentList,
  renderCompliance,
  renderStatus,
  renderTelemetry,
  type AgentHost,
  type AgentSupervisor,
  type Caller,
} from "../lib/mod.ts";
import { explain } from "./schema_explain.ts";
import { Command, QUERY_KINDS, type DefaultRecoveryCommand, type RecoveryCommand } from "./command_schemas.ts";

export interface DispatchContext {
  sup: AgentSupervisor;
  /** Runs real processes for `spawn` with a command; absent in pure-core use. */
  host?: AgentHost;
  caller: Caller;
}

/** What a command did: `code` ≥ 0 (the value, e.g. a new AgentId) or a negative errno. */
export interface CommandResult {
  code: number;
  /** Reply payload for reads (syscalls 500/502/509). */
  body?: string;
  /** Why it failed, when code < 0. */
  reason?: string;
}

/** Syscall numbers (SPEC §8); 504–509 are agentsys extensions (docs/abi.md). */
export const NR = {
  get_telemetry: 500,
  update_policy: 501,
  get_agent_info: 502,
  llm_request: 503,
  spawn: 504,
  signal: 505,
  heartbeat: 506,
  fault: 507,
  compliance: 508,
  query: 509,
} as const;

const check = TypeCompiler.Compile(Command);

/**
 * One call of an agent into the supervisor (a control line or a binary record): it counts as
 * the agent's syscall in telemetry (SIS's `record_syscall`) and as activity for its watchdog —
 * an agent busy talking to its supervisor is not hung. Calls of the daemon's owner are nobody's.
 * Reads of the tree do not count: naming their caller would walk /proc on every `cat`.
 */
export function countCall(ctx: Pick<DispatchContext, "sup" | "caller">): void {
  const id = ctx.caller.agentId;
  if (id === undefined) return;
  ctx.sup.telemetry.recordSyscall(id);
  ctx.sup.noteActivity(id);
}

/** Validate a decoded command; the reason names the first failing field (JSON pointer). */
export function checkCommand(value: unknown): { ok: true; command: Command } | { ok: false; reason: string } {
  if (check.Check(value)) return { ok: true, command: value };
  const e = explain(Command, value, "");
  return { ok: false, reason: `invalid command at ${e.path || "/"}: ${e.message}` };
}

function fromCode(sup: AgentSupervisor, code: number): CommandResult {
  return code < 0 ? { code, reason: sup.lastReason } : { code };
}

function needAgent(sup: AgentSupervisor, id: number): CommandResult | null {
  return sup.hasAgent(id) ? null : { code: ERRNO.ESRCH, reason: `no such agent: ${id}` };
}

/**
 * The seven actions a recovery command asks for: the preset (or, without one, the current
 * actions) with the named faults overridden; null when it names neither.
 */
function recoveryActions(cmd: RecoveryCommand | DefaultRecoveryCommand, current: Record<string, string>): number[] | null {
  const named = cmd.actions as Record<string, string | undefined>;
  if (!cmd.preset && Object.keys(named).length === 0) return null;
  return FAULT_NAMES.map((f, k) => {
    const a = named[f] ?? (cmd.preset ? undefined : current[f]);
    return a === undefined ? RECOVERY_PRESETS[cmd.preset!][k] : ACTION_NAMES.indexOf(a as never);
  });
}

/**
 * Run one validated command against the core. Never throws for bad input: every reject is an
 * errno with a reason.
 */
export function runCommand(ctx: DispatchContext, cmd: Command): CommandResult {
  const { sup } = ctx;
  switch (cmd.op) {
    case "spawn": {
      if (cmd.spec.command !== undefined) {
        if (!ctx.host) return { code: ERRNO.ENOSYS, reason: "cannot start processes: this daemon has no process host" };
        return fromCode(sup, ctx.host.startAgent(cmd.spec));
      }
      if (cmd.pid === undefined) {
        return { code: ERRNO.EINVAL, reason: "spawn needs a command (spawn <id> <name> <caps> -- <command> [args…]) or the pid of a running process" };
      }
      return fromCode(sup, sup.onAgentSpawn(cmd.pid, cmd.spec));
    }
    case "kill":
      return fromCode(sup, sup.stop(cmd.agent, true));
    case "stop":
      return fromCode(sup, sup.stop(cmd.agent, false));
    case "update":
      return fromCode(sup, sup.update(cmd.agent, cmd.spec));
    case "restart":
      return fromCode(sup, sup.restart(cmd.agent));
    case "reset":
      return fromCode(sup, sup.reset(cmd.agent));
    case "throttle":
      return fromCode(sup, sup.throttle(cmd.agent));
    case "unthrottle":
      return fromCode(sup, sup.unthrottle(cmd.agent));
    case "remove":
      return fromCode(sup, sup.remove(cmd.agent));
    case "ready":
      return fromCode(sup, sup.markReady(cmd.agent));
    case "heartbeat": {
      const missing = needAgent(sup, cmd.agent);
      if (missing) return missing;
      return sup.touchAgent(cmd.agent) ? { code: 0 } : { code: ERRNO.EBUSY, reason: `agent ${cmd.agent} has no running process` };
    }
    case "policy-update":
      return fromCode(sup, sup.policy.applyPatch(cmd.agent, cmd.patch, ctx.caller));
    case "limits":
      return fromCode(sup, sup.limits.setFor(cmd.agent, cmd.limits));
    case "recovery": {
      const current = sup.recovery.of(cmd.agent);
      if (!current) return { code: ERRNO.ESRCH, reason: `no such agent: ${cmd.agent}` };
      return fromCode(sup, sup.recovery.setFor(cmd.agent, recoveryActions(cmd, current.actions), cmd.backoff));
    }
    case "default-limits":
      sup.limits.setDefaults(cmd.limits);
      return { code: 0 };
    case "default-recovery": {
      sup.recovery.setDefaults(recoveryActions(cmd, sup.recovery.defaults().actions), cmd.backoff);
      return { code: 0 };
    }
    case "dep": {
      const missing = needAgent(sup, cmd.agent) ?? needAgent(sup, cmd.on);
      if (missing) return missing;
      return fromCode(sup, sup.deps.add(cmd.agent, cmd.on, cmd.type));
    }
    case "fault":
      return fromCode(sup, sup.onFault(cmd.agent, cmd.fault));
    case "compliance":
      return fromCode(sup, sup.compliance.record(cmd.agent, cmd.event));
    case "profile-reset": {
      if (cmd.agent !== undefined) {
        const missing = needAgent(sup, cmd.agent);
        if (missing) return missing;
      }
      sup.profiler.reset(cmd.agent);
      return { code: 0 };
    }
    case "profile": {
      const missing = needAgent(sup, cmd.agent);
      if (missing) return missing;
      sup.profiler.record(cmd.agent, cmd.operation, cmd.duration_us, cmd.success);
      return { code: 0 };
    }
    case "risk":
      return fromCode(sup, sup.compliance.setRisk(cmd.agent, cmd.level));
    case "get_telemetry":
      return { code: 0, body: renderTelemetry(sup) };
    case "get_agent_info": {
      const a = sup.getAgent(cmd.agent);
      return a ? { code: 0, body: renderAgentInfo(a) } : { code: ERRNO.ESRCH, reason: `no such agent: ${cmd.agent}` };
    }
    case "query":
      return runQuery(sup, cmd.agent, cmd.kind);
  }
}

function runQuery(sup: AgentSupervisor, agent: number, kind: number): CommandResult {
  const name = QUERY_KINDS[kind];
  switch (name) {
    case "status":
      return { code: 0, body: renderStatus(sup) };
    case "agents":
      return { code: 0, body: renderAgentList(sup.listAgents()) };
    case "compliance":
      return { code: 0, body: renderCompliance(sup) };
    case "policy": {
      const p = sup.policy.policyOf(agent);
      return p ? { code: 0, body: JSON.stringify(p) } : { code: ERRNO.ESRCH, reason: `no such agent: ${agent}` };
    }
    case "metrics": {
      const m = sup.telemetry.agentMetrics(agent);
      return m ? { code: 0, body: JSON.stringify(m) } : { code: ERRNO.ESRCH, reason: `no such agent: ${agent}` };
    }
    case "events":
      return { code: 0, body: JSON.stringify(sup.telemetry.recentEvents()) };
    default:
      return { code: ERRNO.EINVAL, reason: `query kind ${kind}: expected 0-${QUERY_KINDS.length - 1} (${QUERY_KINDS.join(", ")})` };
  }
}
