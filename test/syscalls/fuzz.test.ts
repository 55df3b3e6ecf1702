import fc from "fast-check";
import t from "tap";
import { agentsJson, AgentSupervisor, createManualClock, durableMeta, ERRNO, errnoName } from "../../lib/mod.ts";
import { AgentFs } from "../../fs/mod.ts";
import { encodeRequest, NR, SyscallRequests as Req } from "../../syscalls/mod.ts";

/**
 * Fuzzing (issue 8): generated and mutated inputs written to every control file of the tree,
 * in process (the mount is fuzzed by test/stress/mount_fuzz.test.ts). For every input: nothing
 * throws, the write returns its length or a negative errno, a refusal leaves a readable reason
 * in `last_error`, and a refused input changes nothing (a fingerprint of all state that
 * commands can touch is equal before and after). 100k inputs in CI, 1M under STRESS=1.
 */
const LONG = process.env.STRESS === "1";
const TEXT_RUNS = LONG ? 40_000 : Number(process.env.FUZZ_TEXT_RUNS ?? 4_000); // × BATCH inputs
const RECORD_RUNS = LONG ? 10_000 : 1_000;
const BATCH = 20;
const ERRNOS = new Set<number>(Object.values(ERRNO));
const enc = new TextEncoder();
const O_WRONLY = 1;

interface World {
  sup: AgentSupervisor;
  fs: AgentFs;
  /** Fingerprint of the state now, when known (saves one render per input). */
  fp: string | null;
  /** Lines in last_error now. */
  errors: number;
}

function world(): World {
  const sup = new AgentSupervisor({ clock: createManualClock() });
  // Room for every refusal of a batch, so each one is seen as a new line.
  const fs = new AgentFs({ sup, maxWrite: 131072, lastErrorCapacity: 1 << 20 });
  const w: World = { sup, fs, fp: null, errors: 0 };
  for (const line of ["spawn 100 alpha FsBasic pid=40100", "spawn 101 beta FsBasic,DocBasic auto_restart=true max_restarts=3 pid=40101", "spawn 102 gamma none risk=High pid=40102", "dep 101 100"]) {
    if (write(w, "/ctl", enc.encode(line + "\n")) < 0) throw new Error(`setup: ${line}`);
  }
  return w;
}

/** Everything a command can change, minus what is meant to change on a refusal (audit, last_error). */
function fingerprint(w: World): string {
  const j = agentsJson(w.sup, {});
  return JSON.stringify([j.agents, j.system, durableMeta(w.sup), w.sup.ctx.events.total]);
}

function write(w: World, path: string, bytes: Uint8Array): number {
  const fh = w.fs.open(path, O_WRONLY);
  if (fh < 0) return fh;
  try {
    return w.fs.write(path, fh, bytes, 0);
  } finally {
    w.fs.release(path, fh);
  }
}

function lastErrors(w: World): string[] {
  const fh = w.fs.open("/last_error", 0);
  const r = w.fs.read("/last_error", fh, 1 << 24, 0);
  w.fs.release("/last_error", fh);
  return typeof r === "number" ? [] : new TextDecoder().decode(r).split("\n").slice(0, -1);
}

/**
 * Runs without shrinking: a breach is reported by its input in `problems` (reproduce with
 * FUZZ_SEED), and shrinking 20-input batches costs minutes for little.
 */
function run(prop: fc.IProperty<[unknown]> | fc.IPropertyWithHooks<never>, numRuns: number, problems: string[]): void {
  try {
    fc.assert(prop as fc.IProperty<unknown[]>, { numRuns, seed: Number(process.env.FUZZ_SEED ?? 1234), endOnFailure: true });
  } catch (e) {
    // A breach is in `problems`; anything else (the generators, the setup) is reported here.
    if (problems.length === 0) problems.push(String((e as Error).message).slice(-1500));
  }
}

let tried = 0;
let refused = 0;

/** One input through the tree, with every invariant checked; false (and a message) on a breach. */
function check(w: World, path: string, bytes: Uint8Array, problems: string[]): void {
  tried++;
  const before = w.fp ?? fingerprint(w);
  w.fp = null;
  let r: number;
  try {
    r = write(w, path, bytes);
  } catch (e) {
    problems.push(`${path} ${JSON.stringify(new TextDecoder().decode(bytes.slice(0, 120)))}: threw ${(e as Error).stack}`);
    return;
  }
  const errors = lastErrors(w);
  const added = errors.length - w.errors;
  w.errors = errors.length;
  if (r === bytes.byteLength) return; // accepted (a syscall write may still note refused records)
  if (!(r < 0 && ERRNOS.has(r))) {
    problems.push(`${path} ${JSON.stringify(new TextDecoder().decode(bytes.slice(0, 120)))}: returned ${r}`);
    return;
  }
  refused++;
  const le = errors[errors.length - 1] ?? "";
  if (added < 1 || !le.includes(`${errnoName(r)}: `) || /: \s*(\[|$)/.test(le.slice(le.indexOf(`${errnoName(r)}: `)))) {
    problems.push(`${path} ${JSON.stringify(new TextDecoder().decode(bytes.slice(0, 120)))}: ${errnoName(r)} without a reason in last_error (${le})`);
  }
  // A write of several commands stops at the first refused one; the ones before it stay
  // applied (docs/reliability.md). Every other refusal changes nothing.
  w.fp = fingerprint(w);
  if (w.fp !== before && !isMultiCommand(bytes)) {
    problems.push(`${path} ${JSON.stringify(new TextDecoder().decode(bytes.slice(0, 120)))}: refused (${errnoName(r)}) but state changed`);
  }
}

function isMultiCommand(bytes: Uint8Array): boolean {
  const text = new TextDecoder().decode(bytes);
  return text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#")).length > 1;
}

// ---------------------------------------------------------------- generators: text

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
const textBytes = fc.tuple(textInput, fc.boolean(), fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => (b[0] = 0x80 | (b[0] & 0x3f), b)), fc.boolean()), { freq: 5 })).map(([text, nl, splice]) => {
  const b = enc.encode(nl ? text + "\n" : text);
  if (!splice) return b;
  const [at, junk, nul] = splice;
  const i = at % (b.byteLength + 1);
  return concat([b.subarray(0, i), nul ? new Uint8Array(1) : junk, b.subarray(i)]);
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

const CONTROL_FILES = ["/ctl", "/ctl", "/ctl", "/agents/100/ctl", "/agents/101/policy", "/limits", "/recovery"];

t.test(`text: ${TEXT_RUNS * BATCH} generated and mutated writes to the control files`, async (t) => {
  const problems: string[] = [];
  const start = tried;
  run(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...CONTROL_FILES), textBytes), { minLength: BATCH, maxLength: BATCH }), (inputs) => {
      const w = world();
      for (const [path, bytes] of inputs) check(w, path, bytes, problems);
      return problems.length === 0;
    }),
    TEXT_RUNS,
    problems,
  );
  t.same(problems.slice(0, 3).map((p) => p.slice(0, 600)), [], "no invariant broken");
  t.ok(tried - start >= TEXT_RUNS * BATCH * 0.99, `${tried - start} inputs tried, ${refused} refused so far`);
});

// ---------------------------------------------------------------- generators: binary records

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

const recordWrite = fc.array(fc.oneof(validRecord, mutatedRecord), { minLength: 1, maxLength: 3 }).map(concat);

t.test(`binary: ${RECORD_RUNS * BATCH} generated and mutated record writes to the syscall file`, async (t) => {
  const problems: string[] = [];
  const start = tried;
  run(
    fc.property(fc.array(recordWrite, { minLength: BATCH, maxLength: BATCH }), (inputs) => {
      const w = world();
      for (const bytes of inputs) check(w, "/syscall", bytes, problems);
      return problems.length === 0;
    }),
    RECORD_RUNS,
    problems,
  );
  t.same(problems.slice(0, 3).map((p) => p.slice(0, 600)), [], "no invariant broken");
  t.ok(tried - start >= RECORD_RUNS * BATCH * 0.99, `${tried - start} record writes tried`);
  t.comment(`fuzz: ${tried} inputs, ${refused} refused`);
});
