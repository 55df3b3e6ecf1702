/**
 * `scope.max_ops_per_sec` (SPEC §3): how many control writes an agent may make on the tree and
 * the shim per second. A token bucket per agent, one second deep: a burst of `rate` writes, then
 * `rate` per second; past it the write fails with EAGAIN (docs/sandbox.md, "Scope keys").
 */
export class OpRate {
  readonly #buckets = new Map<number, { tokens: number; at: number }>();

  /** May agent `id` make one more operation at `nowMs` under `rate` per second (0 = unlimited)? */
  take(id: number, rate: number, nowMs: number): boolean {
    if (!(rate > 0)) return true;
    let b = this.#buckets.get(id);
    if (!b) this.#buckets.set(id, (b = { tokens: rate, at: nowMs }));
    b.tokens = Math.min(rate, b.tokens + ((nowMs - b.at) * rate) / 1000);
    b.at = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  forget(id: number): void {
    this.#buckets.delete(id);
  }
}
