import { BACKOFF_FIELDS, FAULT_NAMES, LIMIT_FIELDS, LIMIT_PRESETS } from "../lib/mod.ts";
import { AGENT_VERBS, TEXT_VERBS } from "./verbs.ts";
import { parseJson } from "./json_parse.ts";
import { decodePatchWords, type Decoded } from "./patch_decode.ts";
import { splitShellWords } from "./shell_words.ts";
import { quoteToken } from "./token_quote.ts";

/**
 * One text command line (SPEC §7) → a command object, not yet schema-checked (`checkCommand`
 * does that). Words are split as sh splits them (shell_words.ts), except in the JSON forms
 * (`spawn {…}`, `update <id> {…}`: the JSON is read as written) and in an unquoted `reason=`
 * of `fault` and `compliance` (the rest of the line as written). Syntax errors say which
 * token or character and what was expected. Verbs mirror the SIS shell; the full grammar is
 * in docs/commands.md.
 *
 * @example
 * decodeTextCommand("policy-update 100 +FsBasic");
 * // { ok: true, value: { op: "policy-update", agent: 100, patch: { type: "AddCapability", capability: "FsBasic" } } }
 * decodeTextCommand(`spawn 7 a none -- sh -c 'echo "$HOME"'`);
 * // { ok: true, value: { op: "spawn", spec: { name: "a", capabilities: [], agent_id: 7, command: "sh", args: ["-c", 'echo "$HOME"'] } } }
 */
export function decodeTextCommand(line: string): Decoded<unknown> {
  const text = line.trim();
  const head = splitShellWords(text, { limit: 1 });
  if (head.error !== undefined) return { ok: false, reason: head.error };
  const verb = head.words[0];
  if (verb === undefined) return { ok: false, reason: "empty command" };
  if (verb === "spawn" && text.slice(head.next).trimStart().startsWith("{")) return decodeSpawnJson(text.slice(head.next).trim());
  if (verb === "update") return decodeUpdate(text, head.next);
  if (verb === "fault" || verb === "compliance") return decodeTagged(verb, text, head.next);
  const split = splitShellWords(text, { from: head.next });
  if (split.error !== undefined) return { ok: false, reason: split.error };
  const toks = split.words;
  switch (verb) {
    case "spawn":
      return decodeSpawn(toks);
    case "policy-update": {
      const id = agentId(toks, 0);
      if (!id.ok) return id;
      const patch = decodePatchWords(toks.slice(1));
      return patch.ok ? { ok: true, value: { op: "policy-update", agent: id.value, patch: patch.value } } : patch;
    }
    case "limits":
      return decodeLimits(toks);
    case "recovery":
      return decodeRecovery(toks);
    case "dep": {
      const a = agentId(toks, 0);
      if (!a.ok) return a;
      const b = agentId(toks, 1);
      if (!b.ok) return b;
      if (toks.length > 3) return { ok: false, reason: `token 4 ${quoteToken(toks[3])}: expected end of line` };
      return { ok: true, value: { op: "dep", agent: a.value, on: b.value, type: toks[2] ?? "Required" } };
    }
    case "profile-reset": {
      if (toks.length === 0) return { ok: true, value: { op: "profile-reset" } };
      const id = agentId(toks, 0);
      if (!id.ok) return id;
      return toks.length > 1 ? { ok: false, reason: `token 2 ${quoteToken(toks[1])}: expected end of line` } : { ok: true, value: { op: "profile-reset", agent: id.value } };
    }
    case "profile": {
      const id = agentId(toks, 0);
      if (!id.ok) return id;
      if (toks.length !== 4) return { ok: false, reason: "expected: profile <id> <operation> <duration_us> <ok|fail>" };
      const d = Number(toks[2]);
      if (!/^\d+(\.\d+)?$/.test(toks[2])) return { ok: false, reason: `token 3 ${quoteToken(toks[2])}: expected a duration in µs` };
      if (toks[3] !== "ok" && toks[3] !== "fail") return { ok: false, reason: `token 4 ${quoteToken(toks[3])}: expected ok or fail` };
      return { ok: true, value: { op: "profile", agent: id.value, operation: toks[1], duration_us: d, success: toks[3] === "ok" } };
    }
    case "risk": {
      const id = agentId(toks, 0);
      if (!id.ok) return id;
      if (toks.length !== 2) return { ok: false, reason: "expected: risk <id> <Minimal|Limited|High|Unacceptable>" };
      return { ok: true, value: { op: "risk", agent: id.value, level: toks[1] } };
    }
    default: {
      if ((AGENT_VERBS as readonly string[]).includes(verb)) {
        const id = agentId(toks, 0);
        if (!id.ok) return id;
        if (toks.length > 1) return { ok: false, reason: `token 2 ${quoteToken(toks[1])}: expected end of line after "${verb} <id>"` };
        return { ok: true, value: { op: verb, agent: id.value } };
      }
      return { ok: false, reason: `unknown verb ${quoteToken(verb)}: expected ${TEXT_VERBS.join(", ")}` };
    }
  }
}

function agentId(toks: string[], i: number): Decoded<number> {
  const t = toks[i];
  if (t === undefined) return { ok: false, reason: `token ${i + 1}: expected an agent id` };
  if (!/^\d{1,10}$/.test(t) || Number(t) > 0xffffffff) return { ok: false, reason: `token ${i + 1} ${quoteToken(t)}: expected an agent id (0-4294967295)` };
  return { ok: true, value: Number(t) };
}

/** `k=v` tokens → object; numbers and booleans typed, the rest strings. */
function keyValues(toks: string[], first: number): Decoded<Record<string, string | number | boolean>> {
  const out: Record<string, string | number | boolean> = {};
  for (let i = first; i < toks.length; i++) {
    const eq = toks[i].indexOf("=");
    if (eq <= 0) return { ok: false, reason: `token ${i + 1} ${quoteToken(toks[i])}: expected key=value` };
    out[toks[i].slice(0, eq)] = typed(toks[i].slice(eq + 1));
  }
  return { ok: true, value: out };
}

function typed(v: string): string | number | boolean {
  if (v === "true") return true;
  if (v === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(v) && v.length < 17) return Number(v);
  return v;
}

function decodeSpawnJson(json: string): Decoded<unknown> {
  const spec = parseJson(json);
  return spec.ok ? { ok: true, value: { op: "spawn", spec: spec.value } } : { ok: false, reason: `spawn JSON: ${spec.reason}` };
}

/** `update <id> {JSON}`: the id is a word, the JSON is read as written. */
function decodeUpdate(text: string, from: number): Decoded<unknown> {
  const idWord = splitShellWords(text, { from, limit: 1 });
  if (idWord.error !== undefined) return { ok: false, reason: idWord.error };
  const id = agentId(idWord.words, 0);
  if (!id.ok) return id;
  const json = text.slice(idWord.next).trim();
  if (!json.startsWith("{")) return { ok: false, reason: "expected: update <id> {JSON AgentSpec}" };
  const spec = parseJson(json);
  return spec.ok ? { ok: true, value: { op: "update", agent: id.value, spec: spec.value } } : { ok: false, reason: `update JSON: ${spec.reason}` };
}

function decodeSpawn(toks: string[]): Decoded<unknown> {
  const dash = toks.indexOf("--");
  const head = dash < 0 ? toks : toks.slice(0, dash);
  const id = agentId(head, 0);
  if (!id.ok) return id;
  if (head.length < 3) return { ok: false, reason: "expected: spawn <id> <name> <caps|none> [key=value…] [-- <command> <args…>]" };
  const caps = head[2] === "none" ? [] : head[2].split(",").filter(Boolean);
  const spec: Record<string, unknown> = { name: head[1], capabilities: caps };
  if (id.value !== 0) spec.agent_id = id.value;
  const kv = keyValues(head, 3);
  if (!kv.ok) return kv;
  let pid: number | undefined;
  for (const [k, v] of Object.entries(kv.value)) {
    if (k === "pid") pid = v as number;
    else if (k === "risk") spec.risk_level = v;
    else spec[k] = v;
  }
  if (dash >= 0) {
    if (dash + 1 >= toks.length) return { ok: false, reason: `token ${dash + 2}: expected a command after "--"` };
    spec.command = toks[dash + 1];
    spec.args = toks.slice(dash + 2);
  }
  return { ok: true, value: pid === undefined ? { op: "spawn", spec } : { op: "spawn", spec, pid } };
}

/** `limits <id|default> <conservative|unlimited | key=value…>` */
function decodeLimits(toks: string[]): Decoded<unknown> {
  const dflt = toks[0] === "default";
  const id = dflt ? ({ ok: true, value: 0 } as const) : agentId(toks, 0);
  if (!id.ok) return id;
  const make = (limits: unknown) => ({ ok: true as const, value: dflt ? { op: "default-limits", limits } : { op: "limits", agent: id.value, limits } });
  if (toks.length === 2 && (toks[1] === "conservative" || toks[1] === "unlimited")) return make({ ...LIMIT_PRESETS[toks[1]] });
  if (toks.length < 2) return { ok: false, reason: `expected: limits <id|default> <conservative|unlimited|${LIMIT_FIELDS.join("=N|")}=N…>` };
  const kv = keyValues(toks, 1);
  if (!kv.ok) return kv;
  return make(kv.value);
}

/** `recovery <id|default> [preset] [Fault=Action…] [base_ms= cap_ms= reset_after_ms=]` */
function decodeRecovery(toks: string[]): Decoded<unknown> {
  const dflt = toks[0] === "default";
  const id = dflt ? ({ ok: true, value: 0 } as const) : agentId(toks, 0);
  if (!id.ok) return id;
  if (toks.length < 2) return { ok: false, reason: `expected: recovery <id> <default|permissive|strict> and/or <Fault>=<Action>… ${BACKOFF_FIELDS.map((f) => `${f}=`).join(" ")}` };
  let first = 1;
  let preset: string | undefined;
  if (!toks[1].includes("=")) {
    preset = toks[1];
    first = 2;
  }
  const kv = keyValues(toks, first);
  if (!kv.ok) return kv;
  const actions: Record<string, unknown> = {};
  const backoff: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kv.value)) {
    if ((FAULT_NAMES as readonly string[]).includes(k)) actions[k] = v;
    else if ((BACKOFF_FIELDS as readonly string[]).includes(k)) backoff[k] = v;
    else return { ok: false, reason: `recovery key ${quoteToken(k)}: expected a fault (${FAULT_NAMES.join(", ")}) or ${BACKOFF_FIELDS.join(", ")}` };
  }
  const value: Record<string, unknown> = dflt ? { op: "default-recovery", actions, backoff } : { op: "recovery", agent: id.value, actions, backoff };
  if (preset !== undefined) value.preset = preset;
  return { ok: true, value };
}

/** Free-text fields: their values stay strings (`decision_type=1` is the text "1"). */
const TEXT_FIELDS = new Set(["reason", "attempted", "decision_type", "data_category", "access_type", "violation_type", "reviewer_id", "action"]);

/**
 * `fault <id> <Type> [k=v…]`, `compliance <id> <Event> [k=v…]`: words, except that a `reason=`
 * written so (its key unquoted) whose value does not start with a quote takes the rest of the
 * line exactly as written, spaces, quotes and backslashes included — free text needs no
 * quoting (`reason=can't write /etc`). A quoted value is one word like any other, and more
 * key=value words may follow it (`reason='wrote /etc' k=v`).
 */
function decodeTagged(verb: "fault" | "compliance", text: string, from: number): Decoded<unknown> {
  const lead = splitShellWords(text, { from, limit: 2 });
  if (lead.error !== undefined) return { ok: false, reason: lead.error };
  const id = agentId(lead.words, 0);
  if (!id.ok) return id;
  if (lead.words.length < 2) return { ok: false, reason: `expected: ${verb} <id> <Type> [key=value…]` };
  const obj: Record<string, unknown> = { type: lead.words[1] };
  let at = lead.next;
  for (let i = 2; ; i++) {
    while (text[at] === " " || text[at] === "\t" || text[at] === "\n") at++;
    if (at >= text.length) break;
    const q = text[at + 7];
    if (text.startsWith("reason=", at) && q !== "'" && q !== '"') {
      obj.reason = text.slice(at + 7);
      break;
    }
    const w = splitShellWords(text, { from: at, limit: 1 });
    if (w.error !== undefined) return { ok: false, reason: w.error };
    const tok = w.words[0];
    if (tok === undefined) break;
    const eq = tok.indexOf("=");
    if (eq <= 0) return { ok: false, reason: `token ${i + 1} ${quoteToken(tok)}: expected key=value` };
    const k = tok.slice(0, eq);
    obj[k] = TEXT_FIELDS.has(k) ? tok.slice(eq + 1) : typed(tok.slice(eq + 1));
    at = w.next;
  }
  return { ok: true, value: verb === "fault" ? { op: "fault", agent: id.value, fault: obj } : { op: "compliance", agent: id.value, event: obj } };
}
