import { SYS, fail, type CoreContext } from "./_context.ts";
import { ERRNO } from "./errno.ts";
import { RISK, RISK_NAMES, type ComplianceEvent, type RiskName } from "./compliance_event.ts";

export type ComplianceStatus = "COMPLIANT" | "REVIEW_NEEDED" | "NON_COMPLIANT";

export interface AgentCompliance {
  agent_id: number;
  risk_level: RiskName;
  events: number;
  decisions: number;
  violations: number;
  human_reviews: number;
  score: number;
  status: ComplianceStatus;
  compliant: boolean;
}

export interface LoggedComplianceEvent {
  agent_id: number;
  ts_us: number;
  event: ComplianceEvent;
}

export const DEFAULT_COMPLIANCE_LOG = 4096;

/**
 * ComplianceTracker: risk class per agent (table column), event counters (events in the table,
 * the rest in ext), score and status (SPEC §4), a bounded log of recent events for export.
 */
export class ComplianceTracker {
  readonly #ctx: CoreContext;
  readonly #log: LoggedComplianceEvent[] = [];
  readonly #logCapacity: number;

  constructor(ctx: CoreContext, logCapacity = DEFAULT_COMPLIANCE_LOG) {
    this.#ctx = ctx;
    this.#logCapacity = logCapacity;
  }

  setRisk(id: number, risk: RiskName): number {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return fail(this.#ctx, ERRNO.ESRCH, `Cannot set risk of agent ${id}: no such agent`);
    const r = RISK_NAMES.indexOf(risk);
    if (r < 0) return fail(this.#ctx, ERRNO.EINVAL, `Cannot set risk of agent ${id}: "${risk}" is not Minimal, Limited, High or Unacceptable`);
    this.#ctx.table.cols.risk[slot] = r;
    return 0;
  }

  /** Count an AgentSpawned event without logging an object (hot: every spawn). */
  countSpawnAt(slot: number): void {
    this.#ctx.table.cols.complianceEvents[slot]++;
    this.#ctx.sys[SYS.complianceEvents]++;
  }

  /** Record a compliance event for an agent. */
  record(id: number, event: ComplianceEvent): number {
    const ctx = this.#ctx;
    const slot = ctx.table.slotOfId(id);
    if (slot < 0) return fail(ctx, ERRNO.ESRCH, `Cannot record compliance event for agent ${id}: no such agent`);
    ctx.table.cols.complianceEvents[slot]++;
    ctx.sys[SYS.complianceEvents]++;
    if (event.type !== "AgentSpawned") {
      const e = ctx.ext.of(slot);
      const x = ctx.ext.cols;
      switch (event.type) {
        case "DecisionMade":
          x.decisions[e]++;
          if (event.human_reviewed) x.humanReviews[e]++;
          break;
        case "HumanOversight":
          x.humanReviews[e]++;
          break;
        case "PolicyViolation":
          x.violations[e]++;
          ctx.sys[SYS.violations]++;
          break;
      }
    }
    this.#log.push({ agent_id: id, ts_us: ctx.clock.nowUs(), event });
    if (this.#log.length > this.#logCapacity) this.#log.splice(0, this.#log.length - this.#logCapacity);
    return 0;
  }

  /** Compliance of one slot (score, status and the per-risk compliant rule of SPEC §4). */
  ofSlot(slot: number): AgentCompliance {
    const ctx = this.#ctx;
    const c = ctx.table.cols;
    const e = ctx.ext.peek(slot);
    const x = ctx.ext.cols;
    const violations = e < 0 ? 0 : x.violations[e];
    const reviews = e < 0 ? 0 : x.humanReviews[e];
    const decisions = e < 0 ? 0 : x.decisions[e];
    const risk = c.risk[slot];
    let score = 1 - 0.1 * violations;
    if (risk >= RISK.High && reviews > 0) score += 0.1;
    score = Math.min(1, Math.max(0, score));
    // Round away float noise (1 − 0.1·3 = 0.7000000000000001) before comparing with thresholds.
    score = Math.round(score * 1e9) / 1e9;
    const status: ComplianceStatus = score >= 0.9 ? "COMPLIANT" : score >= 0.7 ? "REVIEW_NEEDED" : "NON_COMPLIANT";
    let compliant: boolean;
    switch (risk) {
      case RISK.Unacceptable:
        compliant = false;
        break;
      case RISK.High:
        compliant = violations === 0 && !(decisions > 0 && reviews === 0);
        break;
      case RISK.Limited:
        compliant = violations < 3;
        break;
      default:
        compliant = violations < 10;
    }
    return {
      agent_id: c.id[slot],
      risk_level: RISK_NAMES[risk],
      events: c.complianceEvents[slot],
      decisions,
      violations,
      human_reviews: reviews,
      score,
      status,
      compliant,
    };
  }

  of(id: number): AgentCompliance | undefined {
    const slot = this.#ctx.table.slotOfId(id);
    return slot < 0 ? undefined : this.ofSlot(slot);
  }

  all(): AgentCompliance[] {
    return this.#ctx.table.sortedSlots().map((s) => this.ofSlot(s));
  }

  /** Mean score over agents; 1.0 when there are none. */
  systemScore(): number {
    const all = this.all();
    if (all.length === 0) return 1;
    let sum = 0;
    for (const a of all) sum += a.score;
    return sum / all.length;
  }

  totalEvents(): number {
    return this.#ctx.sys[SYS.complianceEvents];
  }

  totalViolations(): number {
    return this.#ctx.sys[SYS.violations];
  }

  recentEvents(id?: number): LoggedComplianceEvent[] {
    return id === undefined ? [...this.#log] : this.#log.filter((e) => e.agent_id === id);
  }
}
