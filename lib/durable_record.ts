import type { AgentSpec } from "./agent_spec.ts";
import { SYS } from "./_context.ts";
import type { AgentSupervisor } from "./supervisor.ts";
import type { ResourceLimits } from "./limits.ts";
import type { RestartBackoff } from "./fault_detector.ts";
import type { Violation } from "./policy_controller.ts";

/**
 * What of an agent must survive a daemon restart (issue 6): its spec, its live policy (patches
 * folded in), its own limits and recovery, risk, dependencies, restart counters and final
 * states, compliance counts and violations, and the identity of its process for re-adoption.
 * Plain JSON: the journal stores one per agent and replaces it whenever it changes.
 */
export interface DurableAgent {
  v: 1;
  agent_id: number;
  name: string;
  spec: AgentSpec | null;
  state: string;
  pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot) and cmdline, to re-adopt safely. */
  proc: { starttime: number; cmdline: string } | null;
  policy: { capabilities: string[]; scope: Record<string, string | number>; auto_restart: boolean; max_restarts: number; policy_changes: number };
  /** Own limits/recovery; null = the daemon's defaults. */
  limits: ResourceLimits | null;
  recovery: { actions: Record<string, string>; backoff: RestartBackoff } | null;
  risk_level: string;
  deps: { id: number; type: string }[];
  counters: { restart_count: number; spawn_count: number; fault_count: number; last_exit_code: number | null };
  compliance: { events: number; decisions: number; violations: number; human_reviews: number };
  violations: Violation[];
}

/** The daemon-wide part: defaults and system counters. */
export interface DurableMeta {
  v: 1;
  limits: ResourceLimits;
  recovery: { actions: Record<string, string>; backoff: RestartBackoff };
  sys: { total_spawns: number; total_exits: number; total_faults: number; total_restarts: number; total_syscalls: number };
}

export function durableAgent(sup: AgentSupervisor, id: number, proc: (pid: number) => DurableAgent["proc"] = () => null): DurableAgent | undefined {
  const a = sup.getAgent(id);
  if (!a) return undefined;
  const slot = sup.ctx.table.slotOfId(id);
  const c = sup.ctx.table.cols;
  const p = sup.policy.policyOf(id)!;
  const comp = sup.compliance.of(id)!;
  return {
    v: 1,
    agent_id: id,
    name: a.name,
    spec: sup.specOf(id) ?? null,
    state: a.state,
    pid: a.pid,
    proc: a.pid > 0 ? proc(a.pid) : null,
    policy: { capabilities: p.capabilities, scope: p.scope as Record<string, string | number>, auto_restart: p.auto_restart, max_restarts: p.max_restarts, policy_changes: p.policy_changes },
    limits: c.limitsProfile[slot] !== 0 ? sup.faults.limitsOf(id)! : null,
    recovery: c.recoveryProfile[slot] !== 0 ? sup.faults.recoveryOf(id)! : null,
    risk_level: a.risk_level,
    deps: sup.deps.dependsOn(id),
    counters: { restart_count: a.restart_count, spawn_count: a.spawn_count, fault_count: a.fault_count, last_exit_code: a.last_exit_code },
    compliance: { events: comp.events, decisions: comp.decisions, violations: comp.violations, human_reviews: comp.human_reviews },
    violations: sup.policy.violations(id),
  };
}

export function durableMeta(sup: AgentSupervisor): DurableMeta {
  const s = sup.ctx.sys;
  return {
    v: 1,
    limits: sup.faults.defaultLimits(),
    recovery: sup.faults.defaultRecovery(),
    sys: { total_spawns: s[SYS.spawns], total_exits: s[SYS.exits], total_faults: s[SYS.faults], total_restarts: s[SYS.restarts], total_syscalls: s[SYS.syscalls] },
  };
}

/** The spec that re-creates a record's policy, limits, recovery, risk and dependencies. */
export function specOfRecord(rec: DurableAgent): AgentSpec {
  const base: AgentSpec = rec.spec ? { ...rec.spec } : { name: rec.name };
  return {
    ...base,
    agent_id: rec.agent_id,
    name: rec.name,
    capabilities: rec.policy.capabilities as AgentSpec["capabilities"],
    scope: Object.keys(rec.policy.scope).length > 0 ? (rec.policy.scope as AgentSpec["scope"]) : undefined,
    auto_restart: rec.policy.auto_restart,
    max_restarts: rec.policy.max_restarts,
    risk_level: rec.risk_level as AgentSpec["risk_level"],
    limits: rec.limits ?? undefined,
    recovery: rec.recovery ? (rec.recovery.actions as AgentSpec["recovery"]) : undefined,
    restart_backoff: rec.recovery ? rec.recovery.backoff : undefined,
    depends_on: rec.deps.map((d) => ({ id: d.id, type: d.type as "Required" })),
  };
}
