import { LIMIT_FIELDS, type AgentJson, type AgentSpec } from "../lib/mod.ts";
import { resolvedSpec, type FleetPlan } from "../syscalls/mod.ts";

/**
 * Bring a daemon to a fleet file: defaults first, then each agent in dependency order —
 * started when new, updated in place when its spec changed (restarted when a process field
 * changed), left alone when unchanged. An agent waits for its Required dependencies to be
 * running (ready, for `readiness: notify`) before it starts, like systemd's Requires+After.
 * The same code serves `agentsys up --fleet` (in-process) and `agentsys apply` (through ctl).
 */
export interface FleetTarget {
  /** Apply one text command line (docs/commands.md): its value, or throws with the reason. */
  exec(line: string): Promise<number>;
  agents(): Promise<AgentJson[]>;
}

export type ApplyAction = "created" | "updated" | "restarted" | "unchanged" | "skipped" | "failed";

export interface ApplyResult {
  name: string;
  id: number;
  action: ApplyAction;
  detail?: string;
}

export interface ApplyOptions {
  /** How long a dependency may take to be running (ms). */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

const RUNNING = new Set(["running", "throttled"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function applyFleet(target: FleetTarget, plan: FleetPlan, options: ApplyOptions = {}): Promise<ApplyResult[]> {
  const timeout = options.startTimeoutMs ?? 10_000;
  const log = options.log ?? (() => {});
  for (const line of defaultLines(plan)) await target.exec(line);

  const ids = new Map<number, number>();
  const results: ApplyResult[] = [];
  let existing = await target.agents();
  for (const i of plan.order) {
    const planned = plan.agents[i];
    const name = planned.spec.name;
    const waitFor = planned.deps.filter((d) => d.type === "Required").map((d) => ("id" in d.ref ? d.ref.id : ids.get(d.ref.index))).filter((x): x is number => x !== undefined);
    const notReady = await waitRunning(target, waitFor, timeout);
    if (notReady) {
      results.push({ name, id: planned.spec.agent_id ?? 0, action: "skipped", detail: `dependency ${notReady.agent_id} (${notReady.name}) is ${notReady.state}, not running` });
      log(`fleet: ${name}: not started: dependency ${notReady.agent_id} is ${notReady.state}`);
      continue;
    }
    const spec = resolvedSpec(plan, i, (k) => ids.get(k));
    const current = planned.spec.agent_id ? existing.find((a) => a.agent_id === planned.spec.agent_id) : existing.find((a) => a.name === name);
    try {
      const r = current ? await update(target, current, spec) : { id: await target.exec(`spawn ${JSON.stringify(spec)}`), action: "created" as const };
      ids.set(i, r.id);
      results.push({ name, ...r });
      if (r.action !== "unchanged") log(`fleet: ${name}: ${r.action} (agent ${r.id})`);
    } catch (e) {
      results.push({ name, id: current?.agent_id ?? planned.spec.agent_id ?? 0, action: "failed", detail: (e as Error).message });
      log(`fleet: ${name}: ${(e as Error).message}`);
      if (current) ids.set(i, current.agent_id);
    }
    existing = await target.agents();
  }
  return results;
}

/** `limits default …` and `recovery default …` lines for the file's defaults. */
function defaultLines(plan: FleetPlan): string[] {
  const d = plan.defaults;
  const out: string[] = [];
  if (d.limits && Object.keys(d.limits).length > 0) out.push(`limits default ${LIMIT_FIELDS.filter((f) => d.limits![f] !== undefined).map((f) => `${f}=${d.limits![f]}`).join(" ")}`);
  const parts: string[] = [];
  if (typeof d.recovery === "string") parts.push(d.recovery);
  else if (d.recovery) parts.push("default", ...Object.entries(d.recovery).map(([k, v]) => `${k}=${v}`));
  if (d.restart_backoff) parts.push(...Object.entries(d.restart_backoff).map(([k, v]) => `${k}=${v}`));
  if (parts.length > 0) out.push(`recovery default ${parts.join(" ")}`);
  return out;
}

async function update(target: FleetTarget, current: AgentJson, spec: AgentSpec): Promise<{ id: number; action: ApplyAction }> {
  const id = current.agent_id;
  const want = { ...spec, agent_id: id };
  if (current.spec && sameSpec(current.spec, want)) return { id, action: "unchanged" };
  if (!current.spec) return { id, action: "unchanged" }; // registered without a command: not ours to replace
  const processChanged = await target.exec(`update ${id} ${JSON.stringify(want)}`);
  if (processChanged === 1 && current.active) {
    await target.exec(`restart ${id}`);
    return { id, action: "restarted" };
  }
  return { id, action: "updated" };
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

function sameSpec(a: AgentSpec, b: AgentSpec): boolean {
  return JSON.stringify(canonical({ ...a, agent_id: 0 })) === JSON.stringify(canonical({ ...b, agent_id: 0 }));
}

/** Wait until every id is running; the first that is not (after the timeout), or null. */
type Waiting = Pick<AgentJson, "agent_id" | "name"> & { state: string };

async function waitRunning(target: FleetTarget, ids: number[], timeoutMs: number): Promise<Waiting | null> {
  if (ids.length === 0) return null;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const all = await target.agents();
    const pending = ids.map((id): Waiting => all.find((a) => a.agent_id === id) ?? { agent_id: id, name: "?", state: "missing" }).find((a) => !RUNNING.has(a.state));
    if (!pending) return null;
    if (Date.now() >= end || pending.state === "failed" || pending.state === "exited" || pending.state === "missing") return pending;
    await sleep(100);
  }
}
