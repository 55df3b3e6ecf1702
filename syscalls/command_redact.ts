import { AgentSpec } from "../lib/mod.ts";
import { parseJson } from "./json_parse.ts";

/**
 * A keyed digest of a secret value (HMAC-SHA256 with a key only the daemon's owner can read):
 * the audit trail shows it instead of the value, so it proves what was set — the owner can
 * compute the digest of a candidate value (`agentsys audit digest`) — without disclosing it.
 */
export type SecretDigest = (value: string) => string;

/** Every digest starts so; a value that already does is kept (rendering a trail twice). */
export const DIGEST_PREFIX = "hmac-sha256:";

/** What stands for a value that cannot be digested (not a string) or a JSON text that does not parse. */
const HIDDEN = "(not shown)";

/**
 * The spec's own fields: what everyone may see of them (the command line, as procfs shows it, the
 * policy, the limits), except `env`. A refused write may carry anything under a misspelt key
 * (`"envv": {…}`): the values of unknown keys are not shown.
 */
const SPEC_KEYS: ReadonlySet<string> = new Set(Object.keys(AgentSpec.properties));
/** The `spawn` key=value form also takes these (docs/commands.md). */
const KV_KEYS: ReadonlySet<string> = new Set([...SPEC_KEYS, "pid", "risk"]);

/** `spawn {…}`, `update 7 {…}`, optionally after an audit detail's `/ctl: ` prefix. */
const JSON_COMMAND = /^(\s*(?:\S+:\s)?\s*(?:spawn|update)(?:\s+\d+)?\s+)(\{[\s\S]*)$/;
/** The `spawn <id> <name> <caps> key=value…` form: an `env=` token would be refused, but echoed. */
const KV_SPAWN = /^\s*(?:\S+:\s)?\s*spawn\s/;
/** Verbs whose lines end in free text (`reason=…`), shown as written. */
const FREE_TEXT = /^\s*(?:\S+:\s)?\s*(?:fault|compliance)\s/;

/**
 * A control write's text as the audit trail and `last_error` may show it (SPEC §9, Secrets):
 * - `spawn {JSON}` and `update <id> {JSON}`: environment values replaced by their digests, the
 *   values of keys a spec does not have hidden (a refused write may carry anything under a
 *   misspelt key), and a JSON text that does not parse replaced by its length;
 * - `spawn`'s key=value form: the values of `env=` and of unknown keys hidden;
 * - any other line (a misspelt verb, say) but `fault` and `compliance`: from its first `{` on,
 *   replaced by its length, and `env=` values hidden.
 * Names stay: they say what was set. The command line stays too, as procfs shows it to everyone.
 *
 * @example
 * redactCommandText('spawn {"name":"a","env":{"KEY":"sk-1"}}', (v) => `hmac-sha256:${v.length}`);
 * // 'spawn {"name":"a","env":{"KEY":"hmac-sha256:4"}}'
 */
export function redactCommandText(text: string, digest: SecretDigest): string {
  if (!text.includes("{") && !text.includes("=")) return text; // the common case, cheaply
  return text.split("\n").map((line) => redactLine(line, digest)).join("\n");
}

function redactLine(line: string, digest: SecretDigest): string {
  const m = JSON_COMMAND.exec(line);
  if (m) {
    const parsed = parseJson(m[2]);
    if (!parsed.ok || parsed.value === null || typeof parsed.value !== "object" || Array.isArray(parsed.value)) return m[1] + hiddenJson(m[2]);
    const spec = parsed.value as Record<string, unknown>;
    const keys = Object.keys(spec);
    if (!keys.includes("env") && keys.every((k) => SPEC_KEYS.has(k))) return line;
    const shown: Record<string, unknown> = {};
    for (const k of keys) shown[k] = k === "env" ? redactEnv(spec.env, digest) : SPEC_KEYS.has(k) ? spec[k] : HIDDEN;
    return m[1] + JSON.stringify(shown);
  }
  if (FREE_TEXT.test(line)) return line;
  const dash = line.search(/\s--(\s|$)/);
  const head = dash < 0 ? line : line.slice(0, dash);
  const tail = dash < 0 ? "" : line.slice(dash);
  if (KV_SPAWN.test(line)) return hideFromBrace(head).replace(/(\s)([^\s=]+)=\S*/g, (all, sp: string, k: string) => (k === "env" || !KV_KEYS.has(k) ? `${sp}${k}=${HIDDEN}` : all)) + tail;
  return hideFromBrace(line).replace(/(^|\s)env([=.])\S*/g, `$1env$2${HIDDEN}`);
}

/** A line from its first `{` on replaced by its length: JSON that no known form took. */
function hideFromBrace(text: string): string {
  const brace = text.indexOf("{");
  return brace < 0 ? text : text.slice(0, brace) + hiddenJson(text.slice(brace));
}

function hiddenJson(text: string): string {
  return `{${HIDDEN}: ${text.length} bytes that are not a JSON object}`;
}

function redactEnv(env: unknown, digest: SecretDigest): unknown {
  if (env === null || typeof env !== "object" || Array.isArray(env)) return HIDDEN;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env as Record<string, unknown>)) {
    out[k] = typeof v !== "string" ? HIDDEN : v.startsWith(DIGEST_PREFIX) ? v : digest(v);
  }
  return out;
}
