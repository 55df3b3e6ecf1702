import {
  BACKOFF_FIELDS,
  FAULT_NAMES,
  LIMIT_FIELDS,
  renderAgentDeps,
  renderAgentLimits,
  renderAgentMetrics,
  renderAgentPolicy,
  renderAgentProfile,
  renderAgentResources,
  renderAgentRisk,
  renderAgentStatus,
  renderCompliance,
  renderEvents,
  renderMetrics,
  renderStatus,
  renderStatusBytes,
  renderTelemetry,
  agentJson,
  agentsJson,
  auditLine,
  type AgentSupervisor,
  type AuditRecord,
  type JsonContext,
} from "../lib/mod.ts";
import { redactAuditEntry, type SecretDigest } from "../syscalls/mod.ts";
import type { NodeKind } from "./node_kind.ts";

export interface RenderContext {
  sup: AgentSupervisor;
  lastErrors: readonly string[];
  agentLog?: (id: number) => string;
  /** The daemon's identity and log paths for the JSON views. */
  json?: JsonContext;
  /** The journaled audit trail's last entries; else the in-memory trail. */
  auditTail?: (limit: number) => AuditRecord[];
  /** The digest environment values are shown as in the audit trail (redactAuditEntry). */
  secretDigest: SecretDigest;
}


/** How many entries the `audit` file shows (the CLI reads the rest from the journal). */
export const AUDIT_TAIL = 1000;

/** One renderer per readable node kind; `arg` is the AgentId for per-agent files. */
export const RENDERERS: Partial<Record<NodeKind, (ctx: RenderContext, arg: number) => string>> = {
  status: ({ sup }) => renderStatus(sup),
  telemetry: ({ sup }) => renderTelemetry(sup),
  compliance: ({ sup }) => renderCompliance(sup),
  cloudGateway: () => "Cloud Gateway not initialized\n",
  events: ({ sup }) => renderEvents(sup),
  audit: ({ sup, auditTail, secretDigest }) => renderAudit(auditTail ? auditTail(AUDIT_TAIL) : memoryTrail(sup), secretDigest),
  metrics: ({ sup }) => renderMetrics(sup),
  limits: ({ sup }) => renderDefaultLimits(sup),
  recovery: ({ sup }) => renderDefaultRecovery(sup),
  lastError: ({ lastErrors }) => lastErrors.join(""),
  agentStatus: ({ sup }, id) => renderAgentStatus(sup, id),
  agentMetrics: ({ sup }, id) => renderAgentMetrics(sup, id),
  agentResources: ({ sup }, id) => renderAgentResources(sup, id),
  agentLimits: ({ sup }, id) => renderAgentLimits(sup, id),
  agentRisk: ({ sup }, id) => renderAgentRisk(sup, id),
  agentDeps: ({ sup }, id) => renderAgentDeps(sup, id),
  agentProfile: ({ sup }, id) => renderAgentProfile(sup, id),
  agentLog: ({ agentLog }, id) => (agentLog ? agentLog(id) : ""),
  agentPolicy: ({ sup }, id) => renderAgentPolicy(sup, id),
  agentsJson: ({ sup, json }) => JSON.stringify(agentsJson(sup, json)) + "\n",
  agentJson: ({ sup, json }, id) => JSON.stringify(agentJson(sup, id, json) ?? null) + "\n",
  agentSpec: ({ sup }, id) => JSON.stringify(sup.specOf(id) ?? null) + "\n",
};

/** Renderers that write bytes directly (the hot files); they take precedence over RENDERERS. */
export const BYTE_RENDERERS: Partial<Record<NodeKind, (ctx: RenderContext, arg: number) => Uint8Array>> = {
  status: ({ sup }) => renderStatusBytes(sup),
};

/** The `audit` file: `<seq> <wall> <ts_us> agent=<id> <action> <result> via=<file> "<detail>"`. */
function renderAudit(entries: readonly AuditRecord[], digest: SecretDigest): string {
  let out = "";
  for (const e of entries) out += `${auditLine(redactAuditEntry(e, digest))}\n`;
  return out;
}

function memoryTrail(sup: AgentSupervisor): AuditRecord[] {
  return sup.audit.entries().map((e) => ({ ...e, uid: e.caller.uid ?? null, via: e.caller.via ?? (e.caller.agentId !== undefined ? `agent:${e.caller.agentId}` : "core") }));
}

function renderDefaultLimits(sup: AgentSupervisor): string {
  const l = sup.limits.defaults();
  return LIMIT_FIELDS.map((f) => `${f}=${l[f]}`).join("\n") + "\n";
}

function renderDefaultRecovery(sup: AgentSupervisor): string {
  const r = sup.recovery.defaults();
  const lines = FAULT_NAMES.map((f) => `${f}=${r.actions[f]}`);
  for (const f of BACKOFF_FIELDS) lines.push(`${f}=${r.backoff[f]}`);
  return lines.join("\n") + "\n";
}

