import { canonicalIpv4, canonicalIpv6 } from "../lib/mod.ts";

/**
 * Is an address one the proxy must not reach for an allowlisted *name* (SSRF): loopback,
 * private (RFC 1918, carrier-grade NAT 100.64/10), link-local, unique-local, unspecified,
 * multicast, and the IPv4-mapped or -compatible forms of those.
 */
export function isPrivateAddress(address: string): boolean {
  const v4 = canonicalIpv4(address);
  if (v4) return privateV4(v4.split(".").map(Number));
  const v6 = canonicalIpv6(address);
  if (!v6) return true; // not an address we understand: not somewhere to go
  const g = v6.split(":").map((x) => parseInt(x, 16));
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    if (g[5] === 0 && g[6] === 0 && g[7] <= 1) return true; // :: and ::1
    return privateV4([g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255]);
  }
  if ((g[0] & 0xfe00) === 0xfc00) return true; // fc00::/7 unique-local
  if ((g[0] & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((g[0] & 0xff00) === 0xff00) return true; // ff00::/8 multicast
  return false;
}

function privateV4([a, b]: number[]): boolean {
  return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
}
