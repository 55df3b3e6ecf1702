import fc from "fast-check";
import t from "tap";
import { agentsJson, AgentSupervisor, createManualClock, durableMeta, ERRNO, errnoName } from "../../lib/mod.ts";
import { AgentFs } from "../../fs/mod.ts";
import { CONTROL_FILES, recordWrite, textBytes } from "./fuzz_inputs.ts";

/**
 * Fuzzing: generated and mutated inputs written to every control file of the tree,
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
    const r = w.fs.write(path, fh, bytes, 0);
    if (typeof r !== "number") throw new Error("a write without a journal answered later");
    return r;
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
