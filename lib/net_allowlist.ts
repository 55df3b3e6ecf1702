/**
 * NetClient's allowlist, `scope net=…` (docs/sandbox.md, "Network"):
 *
 *   allowlist := "" | entry ("," entry)*
 *   entry     := host [":" port]
 *   host      := "*" | "*." name | name | ipv4 | "[" ipv6 "]"
 *   port      := 1–65535            (absent: any port)
 *
 * Names are DNS names (labels of letters, digits and hyphens, 1–63 bytes, 253 in all),
 * compared case-insensitively without a trailing dot. `*.example.com` matches names beneath
 * example.com, not example.com itself (write both to allow both). An empty list allows nothing.
 */
export interface NetRule {
  kind: "any" | "name" | "suffix" | "ipv4" | "ipv6";
  /** Lower-case name, suffix without "*.", or the address as written canonically. */
  host: string;
  port: number | "*";
}

export type NetParse = { ok: true; value: NetRule[] } | { ok: false; reason: string };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseNetAllowlist(text: string): NetParse {
  const rules: NetRule[] = [];
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: rules };
  for (const raw of trimmed.split(",")) {
    const entry = raw.trim();
    const r = parseEntry(entry);
    if (typeof r === "string") return { ok: false, reason: `entry ${JSON.stringify(entry)}: ${r}` };
    rules.push(r);
  }
  return { ok: true, value: rules };
}

function parseEntry(entry: string): NetRule | string {
  if (entry === "") return "empty entry (two commas?)";
  let host = entry;
  let port: number | "*" = "*";
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close < 0) return "an IPv6 address needs its closing ]";
    host = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return "expected :port after ]";
      const p = parsePort(rest.slice(1));
      if (typeof p === "string") return p;
      port = p;
    }
    const v6 = canonicalIpv6(host);
    return v6 === null ? `"${host}" is not an IPv6 address` : { kind: "ipv6", host: v6, port };
  }
  const colon = entry.lastIndexOf(":");
  if (colon >= 0) {
    if (entry.indexOf(":") !== colon) return "an IPv6 address goes in brackets: [::1]:443";
    const p = parsePort(entry.slice(colon + 1));
    if (typeof p === "string") return p;
    port = p;
    host = entry.slice(0, colon);
  }
  if (host.endsWith("*.")) return `"${host}" is not a DNS name: "*." needs a name after it`;
  host = host.toLowerCase().replace(/\.$/, "");
  if (host === "*") return { kind: "any", host: "*", port };
  if (IPV4.test(host)) {
    const v4 = canonicalIpv4(host);
    return v4 === null ? `"${host}" is not an IPv4 address (each part 0-255)` : { kind: "ipv4", host: v4, port };
  }
  if (host.startsWith("*.")) {
    const suffix = host.slice(2);
    return isDnsName(suffix) ? { kind: "suffix", host: suffix, port } : `"${suffix}" is not a DNS name`;
  }
  if (host.includes("*")) return 'a wildcard is only "*" or a leading "*."';
  return isDnsName(host) ? { kind: "name", host, port } : `"${host}" is not a DNS name (letters, digits, hyphens and dots)`;
}

function parsePort(s: string): number | string {
  if (!/^\d{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 65535) return `port "${s}" is not 1-65535`;
  return Number(s);
}

function isDnsName(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split(".").every((l) => LABEL.test(l));
}

/** `a.b.c.d` with each part 0–255 and no leading zeros kept, or null. */
export function canonicalIpv4(s: string): string | null {
  const m = IPV4.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts.join(".") : null;
}

/** An IPv6 address in full form, 8 groups of 4 lower-case hex digits (comparable), or null. */
export function canonicalIpv6(s: string): string | null {
  let text = s.toLowerCase();
  if (text.includes("%")) return null;
  // A dotted IPv4 tail (::ffff:1.2.3.4) is the last two groups, written in hex.
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = canonicalIpv4(text.slice(lastColon + 1));
    if (!v4) return null;
    const b = v4.split(".").map(Number);
    text = `${text.slice(0, lastColon + 1)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const group = (h: string) => (h === "" ? [] : h.split(":"));
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  return groups.map((g) => parseInt(g, 16).toString(16).padStart(4, "0")).join(":");
}

export function formatNetAllowlist(rules: readonly NetRule[]): string {
  return rules
    .map((r) => {
      const host = r.kind === "suffix" ? `*.${r.host}` : r.kind === "ipv6" ? `[${compressIpv6(r.host)}]` : r.host;
      return r.port === "*" ? host : `${host}:${r.port}`;
    })
    .join(",");
}

function compressIpv6(full: string): string {
  const groups = full.split(":").map((g) => parseInt(g, 16).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

/**
 * The most specific rule that lets a connection to host:port through, or undefined: an exact
 * address or name before a suffix (the longest first) before `*`, and a rule with a port before
 * one without — so `*,127.0.0.1` still names 127.0.0.1 exactly, which the proxy's private-address
 * rule needs. `host` is what the agent asked for (a name or an address literal, IPv6 with or
 * without brackets).
 */
export function netRuleFor(rules: readonly NetRule[], host: string, port: number): NetRule | undefined {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const v4 = canonicalIpv4(h);
  const v6 = v4 === null && h.includes(":") ? canonicalIpv6(h) : null;
  let best: NetRule | undefined;
  let bestScore = -1;
  for (const r of rules) {
    if (r.port !== "*" && r.port !== port) continue;
    let score: number;
    if (r.kind === "any") score = 0;
    else if ((r.kind === "ipv4" && v4 === r.host) || (r.kind === "ipv6" && v6 === r.host)) score = 3000;
    else if (v4 !== null || v6 !== null) continue;
    else if (r.kind === "name" && h === r.host) score = 3000;
    else if (r.kind === "suffix" && h.endsWith(`.${r.host}`)) score = 1 + r.host.length;
    else continue;
    if (r.port !== "*") score += 0.5;
    if (score > bestScore) {
      best = r;
      bestScore = score;
    }
  }
  return best;
}
