import { TypeCompiler } from "@sinclair/typebox/compiler";
import { isMap, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { scopeProblem, type AgentSpec, type DependencySpec } from "../lib/mod.ts";
import { Fleet, type FleetAgent, type FleetDefaults } from "./fleet_schema.ts";
import { explain } from "./schema_explain.ts";

/** One agent of a loaded fleet; `deps` point into `FleetPlan.agents` or at existing ids. */
export interface PlannedAgent {
  /** The spec without `depends_on` (those are resolved to ids when the agent starts). */
  spec: AgentSpec;
  deps: { ref: { index: number } | { id: number }; type: "Required" | "Optional" | "Peer" }[];
  /** Line of the agent's entry in the file (1-based), for messages. */
  line: number;
}

export interface FleetPlan {
  defaults: FleetDefaults;
  agents: PlannedAgent[];
  /** Indices of `agents` in start order: every agent after the agents it depends on. */
  order: number[];
}

/** A fleet file that cannot be used: `file:line: field: what is wrong`. */
export class FleetError extends Error {
  override name = "FleetError";
}

const check = TypeCompiler.Compile(Fleet);

/**
 * Parse and validate a fleet file (YAML 1.2, which includes JSON) into a start plan. Every
 * error names the file, the line and the field. Relative `cwd` values resolve against
 * `baseDir` (the file's directory), which is also the default `cwd`, so a fleet file can
 * refer to scripts beside it.
 *
 * @example
 * const plan = loadFleet(text, "fleet.yaml", "/srv/agents");
 * plan.order.map((i) => plan.agents[i].spec.name); // dependencies first
 */
export function loadFleet(text: string, file: string, baseDir: string): FleetPlan {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = lines.linePos(e.pos[0]).line;
    throw new FleetError(`${file}:${line}: ${e.message.split("\n")[0]}`);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const lineOf = (path: (string | number)[]) => lineAt(doc.contents, path, lines);
  const where = (path: (string | number)[]) => `${file}:${lineOf(path)}: ${fieldName(path)}`;
  if (value === null || value === undefined) throw new FleetError(`${file}:1: the file is empty: expected "agents:" with a list of agents`);
  if (!check.Check(value)) {
    const e = explain(Fleet, value, "");
    const path = e.path.split("/").filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    throw new FleetError(`${where(path)}: ${e.message.charAt(0).toLowerCase() + e.message.slice(1)}${describeValue(value, path)}`);
  }
  const fleet = value as Fleet;
  const byName = new Map<string, number>();
  const byId = new Map<number, number>();
  fleet.agents.forEach((a, i) => {
    if (byName.has(a.name)) throw new FleetError(`${where(["agents", i, "name"])}: name "${a.name}" is already used by agents[${byName.get(a.name)}]`);
    byName.set(a.name, i);
    const scopeBad = a.scope ? scopeProblem(a.scope) : "";
    if (scopeBad) throw new FleetError(`${where(["agents", i, "scope"])}: ${scopeBad}`);
    if (a.agent_id) {
      if (byId.has(a.agent_id)) throw new FleetError(`${where(["agents", i, "agent_id"])}: agent_id ${a.agent_id} is already used by agents[${byId.get(a.agent_id)}]`);
      byId.set(a.agent_id, i);
    }
  });
  const agents = fleet.agents.map((a, i): PlannedAgent => {
    const { depends_on, ...rest } = a as FleetAgent;
    const spec: AgentSpec = { ...rest, cwd: resolveDir(baseDir, rest.cwd) };
    const deps = (depends_on ?? []).map((d, k): PlannedAgent["deps"][number] => {
      const ref = typeof d === "object" ? d.agent : d;
      const type = typeof d === "object" && d.type ? d.type : "Required";
      const at = ["agents", i, "depends_on", k];
      if (typeof ref === "string") {
        const index = byName.get(ref);
        if (index === undefined) throw new FleetError(`${where(at)}: no agent named "${ref}" in this file`);
        if (index === i) throw new FleetError(`${where(at)}: an agent cannot depend on itself`);
        return { ref: { index }, type };
      }
      const index = byId.get(ref);
      if (index === i) throw new FleetError(`${where(at)}: an agent cannot depend on itself`);
      return { ref: index !== undefined ? { index } : { id: ref }, type };
    });
    return { spec, deps, line: lineOf(["agents", i]) };
  });
  const order = startOrder(agents, (i) => where(["agents", i, "depends_on"]));
  return { defaults: fleet.defaults ?? {}, agents, order };
}

/** Depth-first topological order in file order; a cycle is an error naming its agents. */
function startOrder(agents: PlannedAgent[], where: (i: number) => string): number[] {
  const state = new Uint8Array(agents.length); // 0 new, 1 on the path, 2 placed
  const order: number[] = [];
  const path: number[] = [];
  const visit = (i: number): void => {
    if (state[i] === 2) return;
    if (state[i] === 1) {
      const cycle = path.slice(path.indexOf(i)).concat(i).map((k) => agents[k].spec.name);
      throw new FleetError(`${where(i)}: dependency cycle ${cycle.join(" → ")}`);
    }
    state[i] = 1;
    path.push(i);
    for (const d of agents[i].deps) if ("index" in d.ref) visit(d.ref.index);
    path.pop();
    state[i] = 2;
    order.push(i);
  };
  for (let i = 0; i < agents.length; i++) visit(i);
  return order;
}

/** The spec to start, with its dependencies resolved to AgentIds. */
export function resolvedSpec(plan: FleetPlan, index: number, idOf: (index: number) => number | undefined): AgentSpec {
  const a = plan.agents[index];
  if (a.deps.length === 0) return a.spec;
  const depends_on: DependencySpec[] = [];
  for (const d of a.deps) {
    const id = "id" in d.ref ? d.ref.id : idOf(d.ref.index);
    if (id !== undefined) depends_on.push({ id, type: d.type });
  }
  return { ...a.spec, depends_on };
}

function resolveDir(base: string, dir: string | undefined): string {
  if (dir === undefined) return base;
  if (dir.startsWith("/")) return dir;
  return `${base.replace(/\/+$/, "")}/${dir}`;
}

/** `agents[1].limits.cpu_quota_us` from a path. */
function fieldName(path: (string | number)[]): string {
  if (path.length === 0) return "(top level)";
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

function describeValue(root: unknown, path: (string | number)[]): string {
  let v: unknown = root;
  for (const s of path) {
    if (v === null || typeof v !== "object") return "";
    v = (v as Record<string | number, unknown>)[s];
  }
  if (v === undefined || (typeof v === "object" && v !== null)) return "";
  return `, got ${JSON.stringify(v)}`;
}

/** The line of the deepest node on `path` that exists (a missing field: its parent's line). */
function lineAt(root: unknown, path: (string | number)[], lines: LineCounter): number {
  let node = root as Node | null | undefined;
  let line = node?.range ? lines.linePos(node.range[0]).line : 1;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
      if (!pair) break;
      const key = pair.key as Node | null;
      if (key?.range) line = lines.linePos(key.range[0]).line;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      if (item.range) line = lines.linePos(item.range[0]).line;
      node = item;
    } else break;
  }
  return line;
}
