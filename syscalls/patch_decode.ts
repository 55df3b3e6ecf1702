import { CAPABILITY_NAMES, formatNetAllowlist, parseNetAllowlist, type CapabilityName, type PolicyPatch, type Scope } from "../lib/mod.ts";
import { splitShellWords } from "./shell_words.ts";
import { quoteToken } from "./token_quote.ts";

/** A decoded value or the reason it could not be decoded. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * The `policy` file's patch syntax (SPEC §5): `+FsBasic`, `-Capture`, `restart 5`,
 * `norestart`, `scope path=/x max_file_size=N max_ops_per_sec=N docs=/a,/b net=host,*.suffix:443`
 * (`scope` alone clears it).
 * Words are split as sh splits them (shell_words.ts): `scope path='/srv/my dir'`.
 *
 * @example
 * decodePatch("+FsBasic"); // { ok: true, value: { type: "AddCapability", capability: "FsBasic" } }
 */
export function decodePatch(text: string): Decoded<PolicyPatch> {
  const split = splitShellWords(text.trim());
  return split.error === undefined ? decodePatchWords(split.words) : { ok: false, reason: split.error };
}

/**
 * A patch already split into words (a `policy-update` line's words after the id).
 *
 * @example
 * decodePatchWords(["scope", "path=/srv/my dir"]); // { ok: true, value: { type: "UpdateScope", scope: { path_prefix: "/srv/my dir" } } }
 */
export function decodePatchWords(t: readonly string[]): Decoded<PolicyPatch> {
  if (t.length === 0) return { ok: false, reason: "empty patch: expected +Cap, -Cap, restart N, norestart or scope k=v…" };
  const head = t[0];
  if ((head[0] === "+" || head[0] === "-") && t.length === 1) {
    const cap = head.slice(1);
    if (!(CAPABILITY_NAMES as readonly string[]).includes(cap)) {
      return { ok: false, reason: `unknown capability ${quoteToken(cap)}: expected one of ${CAPABILITY_NAMES.join(", ")}` };
    }
    const capability = cap as CapabilityName;
    return { ok: true, value: head[0] === "+" ? { type: "AddCapability", capability } : { type: "RemoveCapability", capability } };
  }
  if (head === "restart") {
    if (t.length !== 2 || !/^\d{1,5}$/.test(t[1]) || Number(t[1]) > 65535) {
      return { ok: false, reason: `"restart" takes one max_restarts number 0-65535, got ${quoteToken(t.slice(1).join(" "))}` };
    }
    return { ok: true, value: { type: "EnableAutoRestart", max_restarts: Number(t[1]) } };
  }
  if (head === "norestart") {
    if (t.length !== 1) return { ok: false, reason: `"norestart" takes no arguments, got ${quoteToken(t.slice(1).join(" "))}` };
    return { ok: true, value: { type: "DisableAutoRestart" } };
  }
  if (head === "scope") {
    const scope: Scope = {};
    for (const kv of t.slice(1)) {
      const eq = kv.indexOf("=");
      const k = kv.slice(0, eq);
      const v = kv.slice(eq + 1);
      if (eq <= 0) return { ok: false, reason: `scope token ${quoteToken(kv)}: expected key=value` };
      if (k === "path" || k === "path_prefix") {
        if (!v.startsWith("/")) return { ok: false, reason: `scope path ${quoteToken(v)}: expected an absolute path` };
        scope.path_prefix = v;
      } else if (k === "max_file_size" || k === "max_ops_per_sec") {
        if (!/^\d{1,15}$/.test(v)) return { ok: false, reason: `scope ${k} ${quoteToken(v)}: expected a non-negative integer` };
        scope[k] = Number(v);
      } else if (k === "docs") {
        const docs = v.split(",").filter(Boolean);
        const bad = docs.find((d) => !d.startsWith("/"));
        if (bad !== undefined || docs.length === 0) return { ok: false, reason: `scope docs ${quoteToken(v)}: expected absolute paths separated by commas` };
        scope.docs = docs;
      } else if (k === "net") {
        const rules = parseNetAllowlist(v);
        if (!rules.ok) return { ok: false, reason: `scope net ${quoteToken(v)}: ${rules.reason}` };
        scope.net = formatNetAllowlist(rules.value);
      } else return { ok: false, reason: `scope key ${quoteToken(k)}: expected path, max_file_size, max_ops_per_sec, docs or net` };
    }
    return { ok: true, value: { type: "UpdateScope", scope } };
  }
  return { ok: false, reason: `patch ${quoteToken(t.join(" "))}: expected +Cap, -Cap, restart N, norestart or scope k=v…` };
}
