import { fail, SYS } from "./_context.ts";
import type { AgentSpec } from "./agent_spec.ts";
import { STATE } from "./agent_state.ts";
import { FLAG } from "./agent_table.ts";
import { ERRNO } from "./errno.ts";
import { EVENT_KIND } from "./event_ring.ts";
import { FAULT_NAMES } from "./fault.ts";
import { actionIndex } from "./fault_action.ts";
import { LIFECYCLE_INPUT } from "./lifecycle.ts";
import { applySpec } from "./spec_apply.ts";
import type { AgentSupervisor } from "./supervisor.ts";
import type { ResourceLimits } from "./limits.ts";
import type { RestartBackoff } from "./restart_backoff.ts";
import type { Violation } from "./policy_controller.ts";

/**
 * What of an agent must survive a daemon restart: its spec, its live policy (patches
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
    limits: c.limitsProfile[slot] !== 0 ? sup.limits.of(id)! : null,
    recovery: c.recoveryProfile[slot] !== 0 ? sup.recovery.of(id)! : null,
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
    limits: sup.limits.defaults(),
    recovery: sup.recovery.defaults(),
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

/**
 * Bring an agent back from its durable record after a daemon restart. `pid` > 0:
 * its process was re-adopted and runs on. 0: it has none; a record that had a process (or
 * was waiting to restart) lost it while the daemon was down, which counts as an abnormal
 * exit with an unknown status (code 255) and goes through the restart rules — unless `lost`
 * is "stopped" (the daemon stopped it at a clean shutdown): then it is `exited`. Counters,
 * compliance counts and violations continue from the record.
 */
export function restoreAgent(sup: AgentSupervisor, rec: DurableAgent, pid: number, lost: "crashed" | "stopped" = "crashed"): number {
  const ctx = sup.ctx;
  const t = ctx.table;
  const c = t.cols;
  const id = rec.agent_id;
  const slot = t.alloc(id, rec.name);
  if (slot < 0) return fail(ctx, slot, `Cannot restore agent ${id}: ${slot === ERRNO.EEXIST ? "id taken" : "no room"}`);
  const code = applySpec(sup, slot, specOfRecord(rec), { allowAdmin: true }, true);
  if (code < 0) {
    t.free(slot);
    return code;
  }
  if (rec.spec) sup.specs.set(id, structuredClone(rec.spec));
  else sup.specs.delete(id);
  c.flags[slot] &= ~FLAG.notifyPending;
  c.restartCount[slot] = rec.counters.restart_count;
  c.spawnCount[slot] = rec.counters.spawn_count;
  c.complianceEvents[slot] = rec.compliance.events;
  const e = ctx.ext.of(slot);
  const x = ctx.ext.cols;
  x.faultCount[e] = rec.counters.fault_count;
  x.policyChanges[e] = rec.policy.policy_changes;
  x.violations[e] = rec.compliance.violations;
  x.humanReviews[e] = rec.compliance.human_reviews;
  x.decisions[e] = rec.compliance.decisions;
  if (rec.counters.last_exit_code !== null) {
    x.lastExitCode[e] = rec.counters.last_exit_code;
    x.lastExitUs[e] = 0;
  }
  sup.policy.restoreViolations(id, rec.violations);
  const now = ctx.clock.nowUs();
  c.spawnedAtUs[slot] = now;
  c.lastActivityUs[slot] = now;
  if (pid > 0) {
    if (t.setPid(slot, pid) < 0) {
      sup.remove(id);
      return fail(ctx, ERRNO.EEXIST, `Cannot restore agent ${id}: pid ${pid} belongs to another agent`);
    }
    ctx.sys[SYS.active]++;
    if (rec.state !== "starting") c.flags[slot] |= FLAG.ready;
    c.state[slot] = STATE.running;
    ctx.events.push(EVENT_KIND.StateChange, id, now, STATE.running, STATE.exited, 0);
    return id;
  }
  if (rec.state === "exited" || rec.state === "failed" || lost === "stopped") {
    c.state[slot] = rec.state === "failed" ? STATE.failed : STATE.exited;
    return id;
  }
  // It had a process: it ended unseen. Exit through the rules, status unknown (255).
  c.state[slot] = STATE.running;
  ctx.sys[SYS.active]++;
  sup.transition(slot, LIFECYCLE_INPUT.exit, 255);
  return id;
}

/**
 * Put a registered agent's durable fields back to `rec` (a control write whose journal
 * commit failed): policy, limits, recovery, risk, backoff, dependencies, spec and the
 * compliance and policy counters. Its process, if any, is left alone.
 */
export function revertAgent(sup: AgentSupervisor, rec: DurableAgent): number {
  const slot = sup.ctx.table.slotOfId(rec.agent_id);
  if (slot < 0) return fail(sup.ctx, ERRNO.ESRCH, `Cannot revert agent ${rec.agent_id}: no such agent`);
  const r = sup.update(rec.agent_id, specOfRecord(rec), { allowAdmin: true });
  if (r < 0) return r;
  if (rec.spec) sup.specs.set(rec.agent_id, structuredClone(rec.spec));
  else sup.specs.delete(rec.agent_id);
  const e = sup.ctx.ext.of(slot);
  const x = sup.ctx.ext.cols;
  x.policyChanges[e] = rec.policy.policy_changes;
  x.violations[e] = rec.compliance.violations;
  x.humanReviews[e] = rec.compliance.human_reviews;
  x.decisions[e] = rec.compliance.decisions;
  sup.ctx.table.cols.complianceEvents[slot] = rec.compliance.events;
  sup.policy.restoreViolations(rec.agent_id, rec.violations);
  return 0;
}

/** Defaults and system counters from the journal (before any agent is restored). */
export function restoreMeta(sup: AgentSupervisor, meta: DurableMeta): void {
  const s = sup.ctx.sys;
  sup.limits.setDefaults(meta.limits);
  sup.recovery.setDefaults(FAULT_NAMES.map((f) => actionIndex(meta.recovery.actions[f] ?? "Alert")), meta.recovery.backoff);
  s[SYS.spawns] = meta.sys.total_spawns;
  s[SYS.exits] = meta.sys.total_exits;
  s[SYS.faults] = meta.sys.total_faults;
  s[SYS.restarts] = meta.sys.total_restarts;
  s[SYS.syscalls] = meta.sys.total_syscalls;
}
