import { fail, type CoreContext } from "./_context.ts";
import { DEFAULT_MAX_RESTARTS, type AgentSpec, type DependencySpec } from "./agent_spec.ts";
import { FLAG } from "./agent_table.ts";
import { ADMIN_BIT, capabilityMask } from "./capability.ts";
import { RISK_NAMES } from "./compliance_event.ts";
import type { DependencyGraph, DependencyType } from "./dependency_graph.ts";
import { ERRNO } from "./errno.ts";
import { FAULT_NAMES } from "./fault.ts";
import { RECOVERY_PRESETS, actionIndex } from "./fault_action.ts";
import type { LimitTable } from "./limit_table.ts";
import { LIMIT_FIELDS } from "./limits.ts";
import type { Caller } from "./audit_trail.ts";
import type { PolicyController } from "./policy_controller.ts";
import { scopeProblem } from "./scope_check.ts";
import type { RecoveryTable } from "./recovery_table.ts";

/**
 * An AgentSpec checked and written into an agent's slot: capabilities (never Admin at run
 * time), scope, restart policy, risk, limits, recovery and backoff, dependencies (no cycles),
 * and the spec kept to respawn from. One place for the rules of spawn, update, restore and
 * revert alike.
 */
export interface SpawnOptions {
  caller?: Caller;
  /** Let the spec carry Admin: only for the daemon owner's own fleet file at start-up. */
  allowAdmin?: boolean;
}

/** Shared default, so the spawn hot path allocates nothing for absent options. */
export const NO_OPTIONS: SpawnOptions = Object.freeze({});

/** What of the supervisor a spec is written into (AgentSupervisor is one). */
export interface SpecTarget {
  readonly ctx: CoreContext;
  readonly policy: PolicyController;
  readonly limits: LimitTable;
  readonly recovery: RecoveryTable;
  readonly deps: DependencyGraph;
  readonly specs: Map<number, AgentSpec>;
}

/** Validate what can be checked before anything is written; returns the capability mask. */
export function checkSpec(sup: SpecTarget, id: number, spec: AgentSpec, options: SpawnOptions): number {
const ctx = sup.ctx;
  if (spec.depends_on !== undefined) {
    for (const d of spec.depends_on) {
      const dep = typeof d === "number" ? d : d.id;
      if (sup.deps.wouldCycle(id, dep)) return fail(ctx, ERRNO.EINVAL, `Cannot spawn agent ${id}: dependency on ${dep} would make a cycle`);
    }
  }
  const mask = spec.capabilities ? capabilityMask(spec.capabilities) : 0;
  if (mask < 0) return fail(ctx, ERRNO.EINVAL, `Cannot spawn "${spec.name}": unknown capability in [${spec.capabilities!.join(", ")}]`);
  if (mask & ADMIN_BIT && !options.allowAdmin) return fail(ctx, ERRNO.EPERM, `Cannot spawn "${spec.name}" with capability "Admin": Admin is never granted at run time (PrivilegeEscalation)`);
  if (spec.max_restarts !== undefined && !(Number.isInteger(spec.max_restarts) && spec.max_restarts >= 0 && spec.max_restarts <= 65535)) {
    return fail(ctx, ERRNO.EINVAL, `Cannot spawn "${spec.name}": max_restarts "${spec.max_restarts}" is not 0–65535`);
  }
  const scopeBad = spec.scope ? scopeProblem(spec.scope) : "";
  if (scopeBad) return fail(ctx, ERRNO.EINVAL, `Cannot spawn "${spec.name}": ${scopeBad}`);
  if (spec.risk_level !== undefined && !RISK_NAMES.includes(spec.risk_level)) return fail(ctx, ERRNO.EINVAL, `Cannot spawn "${spec.name}": unknown risk level "${spec.risk_level}"`);
  if (spec.limits) {
    for (const f of LIMIT_FIELDS) {
      const v = spec.limits[f];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) return fail(ctx, ERRNO.EINVAL, `Cannot spawn "${spec.name}": limit ${f} "${v}" is not a non-negative number`);
    }
  }
  if (typeof spec.recovery === "string" && !(spec.recovery in RECOVERY_PRESETS)) return fail(ctx, ERRNO.EINVAL, `Cannot spawn "${spec.name}": unknown recovery preset "${spec.recovery}"`);
  if (spec.recovery && typeof spec.recovery === "object") {
    for (const [k, v] of Object.entries(spec.recovery)) {
      if (!(FAULT_NAMES as readonly string[]).includes(k) || actionIndex(String(v)) < 0) return fail(ctx, ERRNO.EINVAL, `Cannot spawn "${spec.name}": recovery "${k}=${v}" is not a fault=action pair`);
    }
  }
  return mask;
}

/** Write a spec's policy, limits, recovery, risk and deps into a slot (validated first). */
export function applySpec(sup: SpecTarget, slot: number, spec: AgentSpec, options: SpawnOptions, fresh: boolean): number {
const t = sup.ctx.table;
  const c = t.cols;
  const id = c.id[slot];
  const mask = checkSpec(sup, id, spec, options);
  if (mask < 0) return mask;
  if (!fresh && !t.setName(slot, spec.name)) return fail(sup.ctx, ERRNO.EINVAL, `Cannot spawn agent ${id}: name is longer than 255 bytes`);
  c.caps[slot] = mask;
  const scope = spec.scope ? sup.policy.internScope(spec.scope) : 0;
  if (scope < 0) return fail(sup.ctx, ERRNO.ENOSPC, `Cannot spawn agent ${id}: too many distinct scopes`);
  c.scope[slot] = scope;
  c.flags[slot] = (c.flags[slot] & FLAG.used) | (spec.auto_restart ? FLAG.autoRestart : 0);
  c.maxRestarts[slot] = spec.max_restarts ?? DEFAULT_MAX_RESTARTS;
  c.risk[slot] = spec.risk_level ? RISK_NAMES.indexOf(spec.risk_level) : 1;
  c.limitsProfile[slot] = 0;
  if (spec.limits) sup.limits.setFor(id, spec.limits);
  c.recoveryProfile[slot] = 0;
  if (spec.recovery !== undefined || spec.restart_backoff !== undefined) {
    let actions: number[] | null = null;
    if (typeof spec.recovery === "string") actions = [...RECOVERY_PRESETS[spec.recovery]];
    else if (spec.recovery) actions = FAULT_NAMES.map((f, k) => {
      const name = (spec.recovery as Record<string, string | undefined>)[f];
      return name === undefined ? RECOVERY_PRESETS.default[k] : actionIndex(name);
    });
    sup.recovery.setFor(id, actions, spec.restart_backoff ?? {});
  }
  if (spec.depends_on) for (const d of spec.depends_on) addDependency(sup, id, d);
  if (spec.command !== undefined) sup.specs.set(id, structuredClone(spec));
  else sup.specs.delete(id);
  if (spec.readiness === "notify") c.flags[slot] |= FLAG.notifyPending;
  return 0;
}

function addDependency(sup: SpecTarget, id: number, d: DependencySpec): void {
if (typeof d === "number") sup.deps.add(id, d, "Required");
else sup.deps.add(id, d.id, d.type as DependencyType);
}

const PROCESS_FIELDS = ["command", "args", "env", "cwd", "user", "readiness", "sandbox"] as const;

/** Did a field that only a new process can take (command, args, env, cwd, user, readiness) change? */
export function processFieldsChanged(before: AgentSpec | undefined, after: AgentSpec): boolean {
  if (!before) return after.command !== undefined;
  return PROCESS_FIELDS.some((f) => JSON.stringify(before[f] ?? null) !== JSON.stringify(after[f] ?? null));
}
