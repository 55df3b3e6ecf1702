import fc from "fast-check";
import { encodeRequest, NR, SyscallRequests as Req } from "../../syscalls/mod.ts";

/**
 * Input generators of the fuzzers: valid commands for every verb, the same with one
 * token changed, dropped or duplicated, truncations, huge and odd numbers, NUL bytes, invalid
 * UTF-8, very long lines, deeply nested and huge JSON; binary records valid, bit-flipped, cut
 * short, with extreme fields and hostile payloads. Used in process (test/syscalls/fuzz.test.ts)
 * and through the mount (test/stress/mount_fuzz.test.ts).
 */
const enc = new TextEncoder();

const id = fc.constantFrom("100", "101", "102", "103", "0", "default");
const cap = fc.constantFrom("FsBasic", "DocBasic", "NetBasic", "Admin", "none", "FsBasic,DocBasic");
const VALID: fc.Arbitrary<string>[] = [
  fc.tuple(fc.constantFrom("kill", "stop", "restart", "reset", "throttle", "unthrottle", "remove", "heartbeat", "ready"), id).map(([v, i]) => `${v} ${i}`),
  fc.tuple(id, fc.constantFrom("+FsBasic", "-FsBasic", "+Admin", "restart 3", "norestart", "scope path=/tmp max_file_size=10 max_ops_per_sec=5")).map(([i, p]) => `policy-update ${i} ${p}`),
  fc.tuple(id, fc.constantFrom("conservative", "unlimited", "cpu_quota_us=5000", "memory_limit_bytes=1000000 watchdog_timeout_us=0")).map(([i, l]) => `limits ${i} ${l}`),
  fc.tuple(id, fc.constantFrom("strict", "permissive", "Crashed=Restart", "base_ms=10 cap_ms=100")).map(([i, r]) => `recovery ${i} ${r}`),
  fc.tuple(id, id, fc.constantFrom("Required", "Optional", "Peer")).map(([a, b, k]) => `dep ${a} ${b} ${k}`),
  fc.tuple(id, fc.constantFrom("MemoryExceeded used=300 limit=100", "PolicyViolation reason=wrote /etc", "Crashed signal=11", "Hang")).map(([i, f]) => `fault ${i} ${f}`),
  id.map((i) => `compliance ${i} DecisionMade decision_type=loan confidence=0.8 human_reviewed=false`),
  fc.tuple(id, fc.constantFrom("llm 12 ok", "tool 0 fail")).map(([i, p]) => `profile ${i} ${p}`),
  fc.tuple(id, fc.constantFrom("Minimal", "Limited", "High", "Unacceptable")).map(([i, r]) => `risk ${i} ${r}`),
  fc.tuple(fc.constantFrom("104", "105", "0"), cap).map(([i, c]) => `spawn ${i} fresh ${c} auto_restart=true max_restarts=2 pid=4${i}`),
  fc.constantFrom('spawn {"name":"j","agent_id":110}', "spawn 106 cmd FsBasic -- sleep 1", "spawn 107 reg none pid=40107", 'update 100 {"name":"alpha","capabilities":["FsBasic"]}', "profile-reset", "profile-reset 100"),
];
const validLine = fc.oneof(...VALID);

/** Values that break parsers: huge, negative, fractional, empty, NUL, odd Unicode, long. */
const nasty = fc.oneof(
  fc.constantFrom("", "-1", "0", "4294967296", "99999999999999999999999", "1e309", "-0", "NaN", "Infinity", "0x10", "1.5", "\0", "a\0b", "\u202e", "\ud800", "😀", "%s%n", "../../etc", "=", "==", "k=", "=v", "--", "{", "}", "[]", "null"),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }).map(String),
  fc.double().map(String),
);

/** A valid line with one whitespace-separated token replaced (or dropped, or duplicated). */
const mutatedLine = fc.tuple(validLine, fc.nat(), nasty, fc.constantFrom("replace", "drop", "dup", "append")).map(([line, k, v, how]) => {
  const toks = line.split(" ");
  const i = k % toks.length;
  if (how === "replace") toks[i] = v;
  else if (how === "drop") toks.splice(i, 1);
  else if (how === "dup") toks.splice(i, 0, toks[i]);
  else toks.push(v);
  return toks.join(" ");
});

const truncatedLine = fc.tuple(validLine, fc.nat()).map(([line, k]) => line.slice(0, k % (line.length + 1)));

const deepJson = fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom("[", '{"a":'), fc.constantFrom("spawn ", "update 100 ")).map(([depth, open, verb]) => {
  const close = open === "[" ? "]" : "}";
  return `${verb}${open.repeat(depth)}1${close.repeat(depth)}`;
});

const hugeJson = fc.constantFrom(
  `spawn {"name":"${"n".repeat(100_000)}"}`,
  `spawn {"name":"x","agent_id":1e400}`,
  `spawn {"name":"x","agent_id":-5}`,
  `spawn {"name":"x","args":[${'"a",'.repeat(20_000)}"a"]}`,
  `spawn {"name":"x","env":{"${"k".repeat(5000)}":"v"}}`,
  `spawn {"name":"x","__proto__":{"admin":true}}`,
  `update 100 {"name":"alpha","capabilities":["Admin"]}`,
  `spawn {"name":"x","capabilities":["Admin"]}`,
);

const longLine = fc.tuple(validLine, fc.integer({ min: 1000, max: 200_000 })).map(([line, n]) => line + " " + "x".repeat(n));

const textInput = fc.oneof(
  { arbitrary: validLine, weight: 2 },
  { arbitrary: mutatedLine, weight: 6 },
  { arbitrary: truncatedLine, weight: 2 },
  { arbitrary: deepJson, weight: 1 },
  { arbitrary: hugeJson, weight: 1 },
  { arbitrary: longLine, weight: 1 },
  { arbitrary: fc.array(fc.oneof(validLine, mutatedLine), { minLength: 2, maxLength: 4 }).map((ls) => ls.join("\n")), weight: 1 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 200 }), weight: 2 },
);

/** Bytes: the text (with a trailing newline or not), sometimes with NULs or invalid UTF-8 spliced in. */
export const textBytes = fc.tuple(textInput, fc.boolean(), fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => (b[0] = 0x80 | (b[0] & 0x3f), b)), fc.boolean()), { freq: 5 })).map(([text, nl, splice]) => {
  const b = enc.encode(nl ? text + "\n" : text);
  if (!splice) return b;
  const [at, junk, nul] = splice;
  const i = at % (b.byteLength + 1);
  return concat([b.subarray(0, i), nul ? new Uint8Array(1) : junk, b.subarray(i)]);
});

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export const CONTROL_FILES = ["/ctl", "/ctl", "/ctl", "/agents/100/ctl", "/agents/101/policy", "/limits", "/recovery"];

// ---------------------------------------------------------------- binary records

const validRecord = fc.oneof(
  fc.constant(Req.getTelemetry()),
  fc.constantFrom(100, 101, 102, 7).map((a) => Req.getAgentInfo(a)),
  fc.tuple(fc.constantFrom(100, 101, 102), fc.nat(6)).map(([a, k]) => encodeRequest(NR.query, a, k)),
  fc.tuple(fc.constantFrom(100, 101, 102, 9), fc.nat(5), fc.nat(20)).map(([a, p, c]) => encodeRequest(NR.update_policy, a, p, c)),
  fc.tuple(fc.constantFrom(100, 101, 102), fc.nat(9)).map(([a, s]) => encodeRequest(NR.signal, a, s)),
  fc.constantFrom(100, 0, 120).map((a) => encodeRequest(NR.spawn, a, 0, 0, enc.encode('{"name":"rec","capabilities":["FsBasic"]}'))),
);

/** Records with bytes flipped, fields set to extremes, cut short, or with hostile payloads. */
const mutatedRecord = fc.oneof(
  fc.tuple(validRecord, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([r, i, v]) => {
    const b = r.slice();
    b[i % b.byteLength] = v;
    return b;
  }),
  fc.tuple(validRecord, fc.nat(), fc.bigUint64Array({ minLength: 1, maxLength: 1 })).map(([r, i, v]) => {
    const b = r.slice();
    const at = [8, 12, 16, 24][i % 4];
    if (at + 8 <= b.byteLength) new DataView(b.buffer).setBigUint64(at, v[0], true);
    return b;
  }),
  fc.tuple(validRecord, fc.nat()).map(([r, k]) => r.slice(0, k % r.byteLength)),
  fc.tuple(fc.constantFrom(NR.spawn, NR.update_policy), fc.oneof(fc.uint8Array({ maxLength: 300 }), deepJson.map((s) => enc.encode(s.slice(s.indexOf(" ") + 1))))).map(([nr, payload]) => encodeRequest(nr, 100, nr === NR.update_policy ? 4 : 0, 0, payload)),
  fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.nat(), fc.nat(), fc.nat()).map(([nr, a, x, y]) => encodeRequest(nr, a, x, y)),
  fc.uint8Array({ maxLength: 200 }),
);

export const recordWrite = fc.array(fc.oneof(validRecord, mutatedRecord), { minLength: 1, maxLength: 3 }).map(concat);
