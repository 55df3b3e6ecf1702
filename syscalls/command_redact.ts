import { AgentSpec } from "../lib/mod.ts";
import { parseJson } from "./json_parse.ts";
import { splitShellWords } from "./shell_words.ts";

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

/** The digest where no key is at hand: values are hidden, not digested. */
export const NO_DIGEST: SecretDigest = () => HIDDEN;

/**
 * The spec's own fields: what everyone may see of them (the command line, as procfs shows it, the
 * policy, the limits), except `env`. A refused write may carry anything under a misspelt key
 * (`"envv": {…}`): the values of unknown keys are not shown.
 */
const SPEC_KEYS: ReadonlySet<string> = new Set(Object.keys(AgentSpec.properties));
/** The `spawn` key=value form also takes these (docs/commands.md). */
const KV_KEYS: ReadonlySet<string> = new Set([...SPEC_KEYS, "pid", "risk"]);

/**
 * A control write's text as the audit trail and `last_error` may show it (SPEC §9, Secrets):
 * - `spawn {JSON}` and `update <id> {JSON}`: environment values replaced by their digests, the
 *   values of keys a spec does not have hidden (a refused write may carry anything under a
 *   misspelt key), and a JSON text that does not parse replaced by its length;
 * - `spawn`'s key=value form: the values of `env=` and of unknown keys hidden, whole however
 *   they are quoted (`env='A=1 B=2'`);
 * - any other line (a misspelt verb, say) but `fault` and `compliance`: from its first `{` on,
 *   replaced by its length, and `env=` values hidden.
 * Words are read as the decoder reads them (shell_words.ts), verb included (`'spawn'`); from a
 * word that does not split (an unterminated quote, a trailing backslash) on, a line is
 * replaced by its length, since where its values end is unknown. Names stay: they say what was
 * set. The command line (after `--`) stays too, as procfs shows it to everyone.
 *
 * @example
 * redactCommandText('spawn {"name":"a","env":{"KEY":"sk-1"}}', (v) => `hmac-sha256:${v.length}`);
 * // 'spawn {"name":"a","env":{"KEY":"hmac-sha256:4"}}'
 */
export function redactCommandText(text: string, digest: SecretDigest): string {
  if (!text.includes("{") && !text.includes("=")) return text; // the common case, cheaply
  return text.split("\n").map((line) => redactLine(line, digest)).join("\n");
}

/**
 * An audit entry as it may be shown: a control write's detail redacted — entries journaled
 * before writes were redacted still hold the values — while the other entries (lifecycle
 * events, patches, chain checks) carry no environment and are shown as they are.
 */
export function redactAuditEntry<T extends { action: string; detail: string }>(entry: T, digest: SecretDigest): T {
  return entry.action === "write" ? { ...entry, detail: redactCommandText(entry.detail, digest) } : entry;
}

function redactLine(line: string, digest: SecretDigest): string {
  const lead = splitShellWords(line, { limit: 2 });
  // An audit detail starts with the file written: "/ctl: spawn …".
  const v = lead.words.length === 2 && /^\S+:$/.test(line.slice(lead.starts[0], lead.ends[0])) ? 1 : 0;
  const verb = lead.words[v];
  if (verb === "spawn" || verb === "update") {
    const json = jsonStart(line, lead.ends[v]);
    if (json >= 0) return redactJson(line.slice(0, json), line.slice(json), digest);
  }
  if (verb === "fault" || verb === "compliance") return line;
  if (verb === "spawn") return redactWords(line, lead.ends[v], true, hiddenSpawnWord);
  return redactWords(line, 0, false, hiddenEnvWord);
}

/** Where a `spawn`/`update` line's JSON starts (after an optional id word), or -1: the decoder's JSON forms and `spawn <id> {…}`. */
function jsonStart(line: string, from: number): number {
  let at = skipBlanks(line, from);
  if (line[at] === "{") return at;
  const id = splitShellWords(line, { from: at, limit: 1 });
  if (id.error !== undefined || id.words.length === 0 || !/^\d+$/.test(id.words[0])) return -1;
  at = skipBlanks(line, id.next);
  return line[at] === "{" ? at : -1;
}

function skipBlanks(text: string, at: number): number {
  while (text[at] === " " || text[at] === "\t") at++;
  return at;
}

function redactJson(head: string, json: string, digest: SecretDigest): string {
  const parsed = parseJson(json);
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== "object" || Array.isArray(parsed.value)) return head + hiddenJson(json);
  const spec = parsed.value as Record<string, unknown>;
  const keys = Object.keys(spec);
  if (!keys.includes("env") && keys.every((k) => SPEC_KEYS.has(k))) return head + json;
  const shown: Record<string, unknown> = {};
  for (const k of keys) shown[k] = k === "env" ? redactEnv(spec.env, digest) : SPEC_KEYS.has(k) ? spec[k] : HIDDEN;
  return head + JSON.stringify(shown);
}

/** `env=…` and unknown keys' values in spawn's key=value form. */
function hiddenSpawnWord(word: string): string | undefined {
  const eq = word.indexOf("=");
  if (eq <= 0) return undefined;
  const k = word.slice(0, eq);
  return k === "env" || !KV_KEYS.has(k) ? `${k}=${HIDDEN}` : undefined;
}

function hiddenEnvWord(word: string): string | undefined {
  return word.startsWith("env=") || word.startsWith("env.") ? `env${word[3]}${HIDDEN}` : undefined;
}

/**
 * `line` with the words from `from` on that `hide` names replaced (the whole word, quotes and
 * all), up to the first `--` word when `toDash` (the command line after it stays). The text
 * from a `{`, or from a word that does not split, to that end is described, not shown.
 */
function redactWords(line: string, from: number, toDash: boolean, hide: (word: string) => string | undefined): string {
  const s = splitShellWords(line, { from });
  const dash = toDash ? s.words.indexOf("--") : -1;
  const n = dash < 0 ? s.words.length : dash;
  const end = dash < 0 ? line.length : s.starts[dash];
  const brace = line.indexOf("{");
  const unsplit = s.error !== undefined && dash < 0 ? s.next : end;
  const cut = brace >= 0 && brace < unsplit ? brace : unsplit;
  let out = "";
  let pos = 0;
  for (let i = 0; i < n && s.starts[i] < cut; i++) {
    const shown = hide(s.words[i]);
    if (shown === undefined) continue;
    out += line.slice(pos, s.starts[i]) + shown;
    pos = Math.min(s.ends[i], cut);
  }
  out += line.slice(pos, cut);
  if (cut < end) out += cut === brace ? hiddenJson(line.slice(cut, end)) : `(not shown: ${end - cut} characters that do not split into words)`;
  return out + line.slice(end);
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
