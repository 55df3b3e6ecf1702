import { fail, type CoreContext } from "./_context.ts";
import type { AuditTrail, Caller } from "./audit_trail.ts";
import { ADMIN_BIT, capabilityIndex, capabilityNames, type CapabilityName } from "./capability.ts";
import { FLAG } from "./agent_table.ts";
import { ERRNO } from "./errno.ts";
import { EVENT_KIND } from "./event_ring.ts";
import { describePatch, type PolicyPatch, type Scope } from "./policy_patch.ts";
import { scopeProblem } from "./scope_check.ts";

export interface Violation {
  ts_us: number;
  kind: string;
  detail: string;
}

export interface AgentPolicy {
  agent_id: number;
  capabilities: CapabilityName[];
  capability_mask: number;
  scope: Scope;
  auto_restart: boolean;
  max_restarts: number;
  violations: number;
  policy_changes: number;
}

export const MAX_VIOLATIONS = 100;

/**
 * PolicyController: the five patches (atomic, enforced at once, audited in the AuditTrail,
 * PolicyChange event),
 * Admin never granted, violations (last 100 per agent), the capability check the shim uses
 * (live policy, SPEC §4 **fix**), and the compliance export.
 */
export class PolicyController {
  readonly #ctx: CoreContext;
  readonly #scopes: Scope[] = [{}];
  readonly #scopeIndex = new Map<string, number>([["{}", 0]]);
  readonly #violations = new Map<number, Violation[]>();
  readonly #audit: AuditTrail;
  readonly #changeListeners: ((id: number) => void)[] = [];

  constructor(ctx: CoreContext, audit: AuditTrail) {
    this.#ctx = ctx;
    this.#audit = audit;
  }

  /** Capability check (hot path of the shim): does agent `id` hold capability index `cap`? */
  checkCapability(id: number, cap: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    return slot >= 0 && (this.#ctx.table.cols.caps[slot] & (1 << cap)) !== 0;
  }

  checkCapabilityAt(slot: number, cap: number): boolean {
    return (this.#ctx.table.cols.caps[slot] & (1 << cap)) !== 0;
  }

  /**
   * Apply one patch atomically. Returns 0, or ESRCH (AgentNotFound), EPERM
   * (InsufficientPermission / PrivilegeEscalation), EINVAL (InvalidPatch). Every attempt,
   * accepted or refused, is audited.
   */
  applyPatch(id: number, patch: PolicyPatch, caller: Caller = {}): number {
    const code = this.#apply(id, patch, caller);
    this.#audit.record(id, "policy-update", describePatch(patch), code, caller);
    if (code === 0) this.changed(id);
    return code;
  }

  /**
   * Hear every change of an agent's capabilities or scope (a patch, a spec update): the host
   * rebuilds what binds the agent — its sandbox — from the live policy. Returns unsubscribe.
   */
  onChange(listener: (id: number) => void): () => void {
    this.#changeListeners.push(listener);
    return () => {
      const i = this.#changeListeners.indexOf(listener);
      if (i >= 0) this.#changeListeners.splice(i, 1);
    };
  }

  /** Tell the listeners that agent `id`'s policy changed (the supervisor calls it after a spec update). */
  changed(id: number): void {
    for (const l of this.#changeListeners) l(id);
  }

  #apply(id: number, patch: PolicyPatch, caller: Caller): number {
    const ctx = this.#ctx;
    const t = ctx.table;
    const slot = t.slotOfId(id);
    if (slot < 0) return fail(ctx, ERRNO.ESRCH, `Cannot patch policy of agent ${id}: no such agent (AgentNotFound)`);
    if (patch.type === "AddCapability" && patch.capability === "Admin") {
      return fail(ctx, ERRNO.EPERM, `Cannot add capability "Admin" to agent ${id}: Admin is never granted (PrivilegeEscalation)`);
    }
    const denied = this.#authorize(id, patch, caller);
    if (denied !== "") return fail(ctx, ERRNO.EPERM, denied);
    const c = t.cols;
    switch (patch.type) {
      case "AddCapability":
      case "RemoveCapability": {
        const cap = capabilityIndex(patch.capability);
        if (cap < 0) return fail(ctx, ERRNO.EINVAL, `Cannot patch agent ${id}: unknown capability "${patch.capability}" (InvalidPatch)`);
        if (patch.type === "AddCapability") c.caps[slot] |= 1 << cap;
        else c.caps[slot] &= ~(1 << cap);
        break;
      }
      case "UpdateScope": {
        const problem = scopeProblem(patch.scope);
        if (problem) return fail(ctx, ERRNO.EINVAL, `Cannot set scope of agent ${id}: ${problem} (InvalidPatch)`);
        const s = this.internScope(patch.scope);
        if (s < 0) return fail(ctx, ERRNO.ENOSPC, `Cannot set scope of agent ${id}: too many distinct scopes`);
        c.scope[slot] = s;
        break;
      }
      case "EnableAutoRestart":
        if (!(Number.isInteger(patch.max_restarts) && patch.max_restarts >= 0 && patch.max_restarts <= 65535)) {
          return fail(ctx, ERRNO.EINVAL, `Cannot enable restart of agent ${id}: max_restarts "${patch.max_restarts}" is not 0–65535 (InvalidPatch)`);
        }
        c.flags[slot] |= FLAG.autoRestart;
        c.maxRestarts[slot] = patch.max_restarts;
        break;
      case "DisableAutoRestart":
        c.flags[slot] &= ~FLAG.autoRestart;
        break;
      default:
        return fail(ctx, ERRNO.EINVAL, `Cannot patch agent ${id}: unknown patch type (InvalidPatch)`);
    }
    const e = ctx.ext.of(slot);
    ctx.ext.cols.policyChanges[e]++;
    ctx.events.push(EVENT_KIND.PolicyChange, id, ctx.clock.nowUs(), 0, 0, 0);
    return 0;
  }

  /** "" when allowed, else the reason (SPEC §9: an agent acts on itself only, unless Admin). */
  #authorize(target: number, patch: PolicyPatch, caller: Caller): string {
    if (caller.agentId === undefined) return "";
    const t = this.#ctx.table;
    const cs = t.slotOfId(caller.agentId);
    if (cs >= 0 && t.cols.caps[cs] & ADMIN_BIT) return "";
    if (caller.agentId !== target) {
      return `Cannot patch agent ${target} as agent ${caller.agentId}: agents may only change their own policy without Admin (InsufficientPermission)`;
    }
    if (patch.type === "RemoveCapability" || patch.type === "DisableAutoRestart") return "";
    return `Cannot apply "${describePatch(patch)}" to agent ${target} as itself: an agent may only drop privileges (InsufficientPermission)`;
  }

  /** Intern a scope; 0 is "unrestricted". Returns -1 when the table is full. */
  internScope(scope: Scope): number {
    const norm: Scope = {};
    if (scope.path_prefix !== undefined) norm.path_prefix = scope.path_prefix;
    if (scope.max_file_size !== undefined) norm.max_file_size = scope.max_file_size;
    if (scope.max_ops_per_sec !== undefined) norm.max_ops_per_sec = scope.max_ops_per_sec;
    if (scope.docs !== undefined) norm.docs = [...scope.docs];
    if (scope.net !== undefined) norm.net = scope.net;
    const key = JSON.stringify(norm);
    const hit = this.#scopeIndex.get(key);
    if (hit !== undefined) return hit;
    if (this.#scopes.length > 0xffff) return -1;
    this.#scopes.push(norm);
    this.#scopeIndex.set(key, this.#scopes.length - 1);
    return this.#scopes.length - 1;
  }

  /** Agent `id`'s scope as held (not a copy: do not change it), for checks on hot paths. */
  scopeOf(id: number): Readonly<Scope> | undefined {
    const slot = this.#ctx.table.slotOfId(id);
    return slot < 0 ? undefined : this.#scopes[this.#ctx.table.cols.scope[slot]];
  }

  scopeAt(slot: number): Scope {
    const s = this.#scopes[this.#ctx.table.cols.scope[slot]];
    return s.docs ? { ...s, docs: [...s.docs] } : { ...s };
  }

  /** Record a violation (kept: the last 100 per agent). */
  recordViolation(id: number, kind: string, detail: string): void {
    let list = this.#violations.get(id);
    if (!list) this.#violations.set(id, (list = []));
    list.push({ ts_us: this.#ctx.clock.nowUs(), kind, detail });
    if (list.length > MAX_VIOLATIONS) list.splice(0, list.length - MAX_VIOLATIONS);
  }

  /** Put back an agent's violations (daemon restart). */
  restoreViolations(id: number, list: readonly Violation[]): void {
    if (list.length === 0) this.#violations.delete(id);
    else this.#violations.set(id, list.slice(-MAX_VIOLATIONS));
  }

  violations(id: number): Violation[] {
    return [...(this.#violations.get(id) ?? [])];
  }

  /** Forget an agent's violations (agent removed). */
  forget(id: number): void {
    this.#violations.delete(id);
  }

  policyOf(id: number): AgentPolicy | undefined {
    const t = this.#ctx.table;
    const slot = t.slotOfId(id);
    if (slot < 0) return undefined;
    const e = this.#ctx.ext.peek(slot);
    return {
      agent_id: id,
      capabilities: capabilityNames(t.cols.caps[slot]),
      capability_mask: t.cols.caps[slot],
      scope: this.scopeAt(slot),
      auto_restart: (t.cols.flags[slot] & FLAG.autoRestart) !== 0,
      max_restarts: t.cols.maxRestarts[slot],
      violations: this.#violations.get(id)?.length ?? 0,
      policy_changes: e < 0 ? 0 : this.#ctx.ext.cols.policyChanges[e],
    };
  }

  /** Compliance export: every agent's policy, ascending id. */
  exportCompliance(): AgentPolicy[] {
    const t = this.#ctx.table;
    return t.sortedSlots().map((s) => this.policyOf(t.cols.id[s])!);
  }
}
