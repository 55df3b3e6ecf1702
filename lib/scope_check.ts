import { parseNetAllowlist } from "./net_allowlist.ts";
import type { Scope } from "./policy_patch.ts";

/**
 * What the Scope schema cannot say about a scope (every way in — the policy file, syscall 501's
 * JSON, a spec — passes here): "" when it is sound, else the reason.
 */
export function scopeProblem(scope: Scope): string {
  if (scope.net !== undefined) {
    const r = parseNetAllowlist(scope.net);
    if (!r.ok) return `scope net=${scope.net}: ${r.reason}`;
  }
  for (const d of scope.docs ?? []) if (!d.startsWith("/")) return `scope docs ${JSON.stringify(d)}: expected an absolute path`;
  return "";
}
