/**
 * Every verb of the command language, once (SPEC §7, §8): how the text codec reads it, which
 * binary record carries it, and what an agent may do with it on itself. The text decoder, the
 * binary dispatcher, caller authority (caller_authority.ts) and the verb lists in error messages
 * all read this table. What a verb does is `runCommand` (commands.ts).
 *
 * - `form`: the text syntax — "agent" is `<verb> <id>` and nothing else (the per-agent `ctl`
 *   drops the id); "own" has its own grammar in text_decode.ts; "binary" has no text form.
 * - `signal`: the action number of record 505 (`signal`, arg0), for the verbs it carries.
 * - `self`: an agent's rights on itself. "yes": it may, whoever the backend says is calling
 *   (so also on its own `agents/<id>/ctl` owned by its user, where fuse-native cannot name the
 *   writer); "known-caller": only when the backend names the calling agent (policy patches:
 *   the policy controller then lets it only drop privileges); "read": anyone may (reads);
 *   "no": the daemon owner's (or an Admin agent's).
 */
export const VERBS = {
  spawn: { form: "own", self: "no" },
  update: { form: "own", self: "no" },
  kill: { form: "agent", self: "no", signal: 1 },
  stop: { form: "agent", self: "yes", signal: 0 },
  restart: { form: "agent", self: "yes", signal: 2 },
  reset: { form: "agent", self: "no", signal: 3 },
  throttle: { form: "agent", self: "no", signal: 4 },
  unthrottle: { form: "agent", self: "no", signal: 5 },
  remove: { form: "agent", self: "no", signal: 6 },
  ready: { form: "agent", self: "yes", signal: 7 },
  heartbeat: { form: "agent", self: "yes" },
  "policy-update": { form: "own", self: "known-caller" },
  limits: { form: "own", self: "no" },
  recovery: { form: "own", self: "no" },
  dep: { form: "own", self: "no" },
  fault: { form: "own", self: "yes" },
  compliance: { form: "own", self: "yes" },
  "profile-reset": { form: "own", self: "no" },
  profile: { form: "own", self: "yes" },
  risk: { form: "own", self: "no" },
  get_telemetry: { form: "binary", self: "read" },
  get_agent_info: { form: "binary", self: "read" },
  query: { form: "binary", self: "read" },
} as const satisfies Record<string, { form: "agent" | "own" | "binary"; self: "yes" | "known-caller" | "read" | "no"; signal?: number }>;

export type Verb = keyof typeof VERBS;
type Entry = { form: string; self: string; signal?: number };
const ENTRIES = Object.entries(VERBS) as [Verb, Entry][];

/** Verbs of the text language, in table order (for "expected …" in error messages). */
export const TEXT_VERBS: readonly Verb[] = ENTRIES.filter(([, e]) => e.form !== "binary").map(([v]) => v);

/** `<verb> <id>` verbs. */
export type AgentVerb = { [K in Verb]: (typeof VERBS)[K]["form"] extends "agent" ? K : never }[Verb];
export const AGENT_VERBS: readonly AgentVerb[] = ENTRIES.filter(([, e]) => e.form === "agent").map(([v]) => v as AgentVerb);

/** Verbs an agent may use on itself whoever the backend says writes (its own `ctl`). */
export const SELF_VERBS: ReadonlySet<string> = new Set(ENTRIES.filter(([, e]) => e.self === "yes").map(([v]) => v));

/** Verbs an agent named by the backend may use on itself. */
export const SELF_OPS: ReadonlySet<string> = new Set(ENTRIES.filter(([, e]) => e.self === "yes" || e.self === "known-caller").map(([v]) => v));

/** Reads: anyone may. */
export const READ_OPS: ReadonlySet<string> = new Set(ENTRIES.filter(([, e]) => e.self === "read").map(([v]) => v));

/** Record 505's action numbers → verb (arg0 = index). */
export const SIGNAL_OPS: readonly Verb[] = ENTRIES.filter(([, e]) => e.signal !== undefined)
  .sort((a, b) => a[1].signal! - b[1].signal!)
  .map(([v]) => v);

for (let i = 0; i < SIGNAL_OPS.length; i++) if ((VERBS[SIGNAL_OPS[i]] as Entry).signal !== i) throw new Error("Cannot load the verb table: signal numbers must be 0…n-1");
