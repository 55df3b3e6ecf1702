import fc from "fast-check";
import t from "tap";
import { canonicalIpv6, formatNetAllowlist, netRuleFor, parseNetAllowlist, type NetRule } from "../../lib/mod.ts";

function rules(text: string): NetRule[] {
  const r = parseNetAllowlist(text);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

t.test("parseNetAllowlist() reads names, suffixes, addresses and ports", async (t) => {
  t.same(rules(""), [], "empty: allows nothing");
  t.same(rules("API.Example.com.,*.pypi.org:443"), [
    { kind: "name", host: "api.example.com", port: "*" },
    { kind: "suffix", host: "pypi.org", port: 443 },
  ]);
  t.same(rules("*"), [{ kind: "any", host: "*", port: "*" }]);
  t.same(rules("*:443"), [{ kind: "any", host: "*", port: 443 }]);
  t.same(rules("10.0.0.5:8080, [::1]:22"), [
    { kind: "ipv4", host: "10.0.0.5", port: 8080 },
    { kind: "ipv6", host: "0000:0000:0000:0000:0000:0000:0000:0001", port: 22 },
  ]);
});

t.test("parseNetAllowlist() explains what is wrong, naming the entry", async (t) => {
  for (const [text, why] of [
    ["a,,b", /empty entry/],
    ["exa mple.com", /not a DNS name/],
    ["-bad.com", /not a DNS name/],
    ["host:0", /port "0"/],
    ["host:65536", /port "65536"/],
    ["host:http", /port "http"/],
    ["::1", /brackets/],
    ["[::1", /closing \]/],
    ["[zz::1]", /not an IPv6/],
    ["300.1.1.1", /not an IPv4/],
    ["a.*.com", /wildcard/],
    ["*.", /not a DNS name/],
  ] as const) {
    const r = parseNetAllowlist(text);
    t.equal(r.ok, false, `${text} refused`);
    if (!r.ok) {
      t.match(r.reason, why, `${text}: ${r.reason}`);
      t.match(r.reason, /^entry "/);
    }
  }
});

t.test("netRuleFor() matches host and port", async (t) => {
  const r = rules("api.example.com,*.pypi.org:443,10.0.0.5:8080,[::1]:22,localhost:3000");
  t.equal(netRuleFor(r, "api.example.com", 80)?.host, "api.example.com");
  t.equal(netRuleFor(r, "API.EXAMPLE.COM.", 443)?.host, "api.example.com", "case and trailing dot do not matter");
  t.equal(netRuleFor(r, "files.pypi.org", 443)?.kind, "suffix");
  t.equal(netRuleFor(r, "a.b.pypi.org", 443)?.kind, "suffix");
  t.equal(netRuleFor(r, "pypi.org", 443), undefined, "*.suffix is not the suffix itself");
  t.equal(netRuleFor(r, "files.pypi.org", 80), undefined, "the port counts");
  t.equal(netRuleFor(r, "evilpypi.org", 443), undefined, "a suffix matches whole labels");
  t.equal(netRuleFor(r, "10.0.0.5", 8080)?.kind, "ipv4");
  t.equal(netRuleFor(r, "10.0.0.5", 80), undefined);
  t.equal(netRuleFor(r, "[0:0::1]", 22)?.kind, "ipv6", "IPv6 compared in full form");
  t.equal(netRuleFor(r, "localhost", 3000)?.host, "localhost");
  t.equal(netRuleFor(rules("*.example.com"), "1.2.3.4", 80), undefined, "an address never matches a name rule");
  t.equal(netRuleFor([], "api.example.com", 443), undefined, "an empty list allows nothing");
  t.ok(netRuleFor(rules("*"), "anything.test", 1));
  t.match(netRuleFor(rules("*,127.0.0.1"), "127.0.0.1", 80), { kind: "ipv4" }, "the most specific rule wins: an exact address over *");
  t.match(netRuleFor(rules("*.org,*.pypi.org:443,files.pypi.org"), "files.pypi.org", 443), { kind: "name" });
  t.match(netRuleFor(rules("*.org,*.pypi.org:443"), "files.pypi.org", 443), { kind: "suffix", host: "pypi.org" }, "the longest suffix");
});

t.test("canonicalIpv6() expands every spelling to one", async (t) => {
  t.equal(canonicalIpv6("::"), "0000:0000:0000:0000:0000:0000:0000:0000");
  t.equal(canonicalIpv6("2001:DB8::1"), "2001:0db8:0000:0000:0000:0000:0000:0001");
  t.equal(canonicalIpv6("::ffff:127.0.0.1"), "0000:0000:0000:0000:0000:ffff:7f00:0001");
  t.equal(canonicalIpv6("1:2:3:4:5:6:7:8:9"), null);
  t.equal(canonicalIpv6("1::2::3"), null);
  t.equal(canonicalIpv6("fe80::1%eth0"), null, "zones are not allowlist material");
});

t.test("format(parse(x)) is a fixed point", async () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));
  const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => `[${g.map((x) => x.toString(16)).join(":")}]`);
  const host = fc.oneof(name, name.map((n) => `*.${n}`), v4, v6, fc.constant("*"));
  const entry = fc.tuple(host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(([h, p]) => (p === undefined ? h : `${h}:${p}`));
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
      const first = parseNetAllowlist(entries.join(","));
      if (!first.ok) throw new Error(`${entries.join(",")}: ${first.reason}`);
      const text = formatNetAllowlist(first.value);
      const again = parseNetAllowlist(text);
      return again.ok && formatNetAllowlist(again.value) === text && JSON.stringify(again.value) === JSON.stringify(first.value);
    }),
  );
});

t.test("parseNetAllowlist() never throws", async () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => typeof parseNetAllowlist(s).ok === "boolean"));
});
