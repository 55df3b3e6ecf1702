import { CAPABILITY_NAMES, ERRNO, PATCH_TYPE } from "../lib/mod.ts";
import { refusalFor } from "./caller_authority.ts";
import { parseJson } from "./json_parse.ts";
import { SIGNAL_OPS } from "./verbs.ts";
import { checkCommand, countCall, NR, runCommand, type CommandResult, type DispatchContext } from "./commands.ts";
import { decodeRequests, encodeReply, type RequestRecord } from "./record_codec.ts";
import { DEFAULT_REPLY_CAPACITY } from "./record_layout.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

function json(payload: Uint8Array): { ok: true; value: unknown } | { ok: false; reason: string } {
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    return { ok: false, reason: "payload is not UTF-8" };
  }
  const parsed = parseJson(text);
  return parsed.ok ? parsed : { ok: false, reason: `payload is not JSON: ${parsed.reason}` };
}

/** One request record → a command object (unchecked), or an errno with a reason. */
export function recordToCommand(r: RequestRecord): { ok: true; value: unknown; capacity: number } | { ok: false; code: number; reason: string } {
  const cap = (n: number) => (n > 0 ? n : DEFAULT_REPLY_CAPACITY);
  switch (r.nr) {
    case NR.get_telemetry:
      return { ok: true, value: { op: "get_telemetry", capacity: cap(r.arg0) }, capacity: cap(r.arg0) };
    case NR.get_agent_info:
      return { ok: true, value: { op: "get_agent_info", agent: r.agent, capacity: cap(r.arg0) }, capacity: cap(r.arg0) };
    case NR.query:
      return { ok: true, value: { op: "query", agent: r.agent, kind: r.arg0, capacity: cap(r.arg1) }, capacity: cap(r.arg1) };
    case NR.update_policy: {
      switch (r.arg0) {
        case PATCH_TYPE.AddCapability:
        case PATCH_TYPE.RemoveCapability: {
          const name = CAPABILITY_NAMES[r.arg1];
          if (name === undefined) return { ok: false, code: ERRNO.EINVAL, reason: `update_policy: capability index ${r.arg1} unknown (0-${CAPABILITY_NAMES.length - 1})` };
          const type = r.arg0 === PATCH_TYPE.AddCapability ? "AddCapability" : "RemoveCapability";
          return { ok: true, value: { op: "policy-update", agent: r.agent, patch: { type, capability: name } }, capacity: 0 };
        }
        case PATCH_TYPE.EnableAutoRestart:
          return { ok: true, value: { op: "policy-update", agent: r.agent, patch: { type: "EnableAutoRestart", max_restarts: r.arg1 } }, capacity: 0 };
        case PATCH_TYPE.DisableAutoRestart:
          return { ok: true, value: { op: "policy-update", agent: r.agent, patch: { type: "DisableAutoRestart" } }, capacity: 0 };
        case PATCH_TYPE.UpdateScope: {
          const scope = json(r.payload);
          if (!scope.ok) return { ok: false, code: ERRNO.EINVAL, reason: `update_policy scope: ${scope.reason}` };
          return { ok: true, value: { op: "policy-update", agent: r.agent, patch: { type: "UpdateScope", scope: scope.value } }, capacity: 0 };
        }
        default:
          return { ok: false, code: ERRNO.EINVAL, reason: `update_policy: patch type ${r.arg0} unknown (0 add, 1 remove, 2 enable restart, 3 disable restart, 4 scope)` };
      }
    }
    case NR.spawn: {
      const spec = json(r.payload);
      if (!spec.ok) return { ok: false, code: ERRNO.EINVAL, reason: `spawn: ${spec.reason}` };
      const s = spec.value as Record<string, unknown>;
      if (s && typeof s === "object" && s.agent_id === undefined && r.agent !== 0) s.agent_id = r.agent;
      return { ok: true, value: r.arg0 > 0 ? { op: "spawn", spec: s, pid: r.arg0 } : { op: "spawn", spec: s }, capacity: 0 };
    }
    case NR.signal: {
      const op = SIGNAL_OPS[r.arg0];
      if (op === undefined) return { ok: false, code: ERRNO.EINVAL, reason: `signal: action ${r.arg0} unknown (${SIGNAL_OPS.map((o, i) => `${i} ${o}`).join(", ")})` };
      return { ok: true, value: { op, agent: r.agent }, capacity: 0 };
    }
    case NR.heartbeat:
      return { ok: true, value: { op: "heartbeat", agent: r.agent }, capacity: 0 };
    case NR.fault: {
      const f = json(r.payload);
      return f.ok ? { ok: true, value: { op: "fault", agent: r.agent, fault: f.value }, capacity: 0 } : { ok: false, code: ERRNO.EINVAL, reason: `fault: ${f.reason}` };
    }
    case NR.compliance: {
      const e = json(r.payload);
      return e.ok ? { ok: true, value: { op: "compliance", agent: r.agent, event: e.value }, capacity: 0 } : { ok: false, code: ERRNO.EINVAL, reason: `compliance: ${e.reason}` };
    }
    case NR.llm_request:
      return { ok: false, code: ERRNO.ENOSYS, reason: "llm_request (503): this daemon has no LLM gateway" };
    default:
      return { ok: false, code: ERRNO.ENOSYS, reason: `syscall ${r.nr}: no such number (500-509)` };
  }
}

export interface RecordOutcome {
  /** 0, or EINVAL when the framing is bad (then nothing in the buffer was applied). */
  code: number;
  reason?: string;
  /** Concatenated replies, one per record, in order. */
  replies: Uint8Array[];
  /** Per-record failures (errno + reason) for last_error. */
  rejects: { nr: number; code: number; reason: string }[];
  /** Bytes at the end that are not a complete record yet. */
  rest: number;
}

/**
 * Apply every complete record in `buf`. Framing is checked for the whole buffer first, so a
 * bad record refuses the batch before anything is applied; a record that fails on its own
 * (unknown agent, unknown number…) gets a reply with a negative `ret` and the others proceed.
 */
export function applyRecords(ctx: DispatchContext, buf: Uint8Array): RecordOutcome {
  const decoded = decodeRequests(buf);
  if (!decoded.ok) return { code: ERRNO.EINVAL, reason: decoded.reason, replies: [], rejects: [], rest: 0 };
  const replies: Uint8Array[] = [];
  const rejects: RecordOutcome["rejects"] = [];
  const self = ctx.caller.agentId;
  for (const record of decoded.records) {
    countCall(ctx);
    // An agent's record for agent 0 is about the agent itself (it need not know its id);
    // spawn keeps 0 ("pick an id").
    const r = record.agent === 0 && self !== undefined && record.nr !== NR.spawn ? { ...record, agent: self } : record;
    const cmd = recordToCommand(r);
    let result: CommandResult;
    let capacity = DEFAULT_REPLY_CAPACITY;
    if (!cmd.ok) result = { code: cmd.code, reason: cmd.reason };
    else {
      capacity = cmd.capacity;
      const checked = checkCommand(cmd.value);
      const refused = checked.ok ? refusalFor(ctx.sup, ctx.caller, checked.command) : "";
      result = !checked.ok ? { code: ERRNO.EINVAL, reason: checked.reason } : refused ? { code: ERRNO.EPERM, reason: refused } : runCommand(ctx, checked.command);
    }
    if (result.code < 0) rejects.push({ nr: r.nr, code: result.code, reason: result.reason ?? "" });
    replies.push(encodeReply(r.nr, result.code, result.body === undefined ? null : encoder.encode(result.body), capacity));
  }
  return { code: 0, replies, rejects, rest: decoded.rest };
}
