import { fail, type CoreContext } from "./_context.ts";
import { ERRNO } from "./errno.ts";

export const DEP_TYPES = ["Required", "Optional", "Peer"] as const;
export type DependencyType = (typeof DEP_TYPES)[number];

/**
 * DependencyGraph: "a depends on b" edges of three types. Cycles are refused (EINVAL,
 * **fix**: SIS accepted them and recursed). Every walk is iterative with an explicit stack,
 * so a long chain cannot overflow the call stack.
 */
export class DependencyGraph {
  readonly #ctx: CoreContext;
  /** a → (b → type): what a depends on. */
  readonly #deps = new Map<number, Map<number, DependencyType>>();
  /** b → set of a: who depends on b. */
  readonly #rdeps = new Map<number, Set<number>>();

  constructor(ctx: CoreContext) {
    this.#ctx = ctx;
  }

  /** Add "a depends on b". EINVAL for self-edges, unknown types or a cycle. */
  add(a: number, b: number, type: DependencyType = "Required"): number {
    const ctx = this.#ctx;
    if (!DEP_TYPES.includes(type)) return fail(ctx, ERRNO.EINVAL, `Cannot add dependency ${a} -> ${b}: type "${type}" is not Required, Optional or Peer`);
    if (a === b) return fail(ctx, ERRNO.EINVAL, `Cannot add dependency ${a} -> ${b}: an agent cannot depend on itself`);
    if (this.wouldCycle(a, b)) return fail(ctx, ERRNO.EINVAL, `Cannot add dependency ${a} -> ${b}: it would make a cycle (${b} already depends on ${a})`);
    let out = this.#deps.get(a);
    if (!out) this.#deps.set(a, (out = new Map()));
    out.set(b, type);
    let inc = this.#rdeps.get(b);
    if (!inc) this.#rdeps.set(b, (inc = new Set()));
    inc.add(a);
    return 0;
  }

  remove(a: number, b: number): boolean {
    const out = this.#deps.get(a);
    if (!out?.delete(b)) return false;
    if (out.size === 0) this.#deps.delete(a);
    const inc = this.#rdeps.get(b);
    inc?.delete(a);
    if (inc?.size === 0) this.#rdeps.delete(b);
    return true;
  }

  /** Remove every edge touching `id`. */
  removeAgent(id: number): void {
    for (const b of [...(this.#deps.get(id)?.keys() ?? [])]) this.remove(id, b);
    for (const a of [...(this.#rdeps.get(id) ?? [])]) this.remove(a, id);
  }

  /**
   * Would the edge "a depends on b" close a cycle, i.e. does b already reach a? Searched from
   * both ends at once (b forward along depends-on, a backward along depended-on-by), one node
   * per side in turn, so the cost is bounded by the smaller side: adding to the end of a long
   * chain stays O(1) instead of walking the chain.
   */
  wouldCycle(a: number, b: number): boolean {
    if (a === b) return true;
    const fwdSeen = new Set<number>([b]);
    const bwdSeen = new Set<number>([a]);
    const fwd = [b];
    const bwd = [a];
    while (fwd.length > 0 && bwd.length > 0) {
      const f = fwd.pop()!;
      for (const m of this.#deps.get(f)?.keys() ?? []) {
        if (bwdSeen.has(m)) return true;
        if (!fwdSeen.has(m)) (fwdSeen.add(m), fwd.push(m));
      }
      const g = bwd.pop()!;
      for (const m of this.#rdeps.get(g) ?? []) {
        if (fwdSeen.has(m)) return true;
        if (!bwdSeen.has(m)) (bwdSeen.add(m), bwd.push(m));
      }
    }
    return false;
  }

  dependsOn(id: number): { id: number; type: DependencyType }[] {
    return [...(this.#deps.get(id) ?? [])].map(([b, type]) => ({ id: b, type })).sort((x, y) => x.id - y.id);
  }

  dependedOnBy(id: number): { id: number; type: DependencyType }[] {
    return [...(this.#rdeps.get(id) ?? [])]
      .map((a) => ({ id: a, type: this.#deps.get(a)!.get(id)! }))
      .sort((x, y) => x.id - y.id);
  }

  /**
   * Agents to stop when `id` exits for good: everything that transitively Requires it, in
   * reverse topological order (the furthest dependents first, as systemd stops in reverse
   * start order).
   */
  cascade(id: number): number[] {
    if (!this.#rdeps.has(id)) return []; // the common case, on every exit: nothing depends on id
    // Collect the Required-dependents closure.
    const closure = new Set<number>();
    const stack = [id];
    while (stack.length > 0) {
      const n = stack.pop()!;
      for (const a of this.#rdeps.get(n) ?? []) {
        if (this.#deps.get(a)!.get(n) === "Required" && !closure.has(a) && a !== id) {
          closure.add(a);
          stack.push(a);
        }
      }
    }
    // Topological order of the closure by Required edges inside it (dependencies first)…
    const order = this.#topo([...closure], (a) =>
      [...(this.#deps.get(a) ?? [])].filter(([b, t]) => t === "Required" && closure.has(b)).map(([b]) => b),
    );
    // …reversed: dependents before what they depend on.
    return order.reverse();
  }

  /** Start order for a set of agents: dependencies (of any type except Peer) first. */
  startOrder(ids: readonly number[]): number[] {
    const set = new Set(ids);
    return this.#topo([...ids], (a) =>
      [...(this.#deps.get(a) ?? [])].filter(([b, t]) => t !== "Peer" && set.has(b)).map(([b]) => b),
    );
  }

  /** Kahn-free iterative DFS post-order; ties broken by ascending id for stable output. */
  #topo(nodes: number[], next: (n: number) => number[]): number[] {
    const sorted = [...nodes].sort((x, y) => x - y);
    const done = new Set<number>();
    const out: number[] = [];
    for (const root of sorted) {
      if (done.has(root)) continue;
      const stack: { n: number; kids: number[]; i: number }[] = [{ n: root, kids: next(root).sort((x, y) => x - y), i: 0 }];
      done.add(root);
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        if (top.i < top.kids.length) {
          const k = top.kids[top.i++];
          if (!done.has(k)) {
            done.add(k);
            stack.push({ n: k, kids: next(k).sort((x, y) => x - y), i: 0 });
          }
        } else {
          out.push(top.n);
          stack.pop();
        }
      }
    }
    return out;
  }

  /** All agents that have edges, for `depgraph`. */
  nodes(): number[] {
    return [...new Set([...this.#deps.keys(), ...this.#rdeps.keys()])].sort((x, y) => x - y);
  }

  edgeCount(): number {
    let n = 0;
    for (const m of this.#deps.values()) n += m.size;
    return n;
  }
}
