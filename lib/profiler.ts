export const PROFILE_SAMPLES = 100;

export interface OperationStats {
  operation: string;
  count: number;
  successes: number;
  success_rate: number;
  min_us: number;
  max_us: number;
  avg_us: number;
  median_us: number;
  p95_us: number;
  p99_us: number;
}

export interface AgentProfile {
  total_operations: number;
  successful: number;
  failed: number;
  /** null when there are no operations ("N/A"). */
  success_rate: number | null;
  avg_latency_us: number;
  peak_latency_us: number;
}

interface OpRecord {
  count: number;
  successes: number;
  sum: number;
  min: number;
  max: number;
  samples: Float64Array; // ring of the last PROFILE_SAMPLES durations
  head: number;
}

/**
 * Profiler: per agent and operation, a ring of the last 100 durations plus lifetime count,
 * successes, sum, min and max. Percentiles come from the ring (nearest-rank); count, average
 * and extremes are over all samples. Not on a hot path: agents report operations through the
 * shim, at most a few per call.
 */
export class Profiler {
  readonly #agents = new Map<number, Map<string, OpRecord>>();

  record(id: number, operation: string, durationUs: number, success: boolean): void {
    let ops = this.#agents.get(id);
    if (!ops) this.#agents.set(id, (ops = new Map()));
    let r = ops.get(operation);
    if (!r) {
      r = { count: 0, successes: 0, sum: 0, min: Infinity, max: 0, samples: new Float64Array(PROFILE_SAMPLES), head: 0 };
      ops.set(operation, r);
    }
    r.samples[r.head % PROFILE_SAMPLES] = durationUs;
    r.head++;
    r.count++;
    if (success) r.successes++;
    r.sum += durationUs;
    if (durationUs < r.min) r.min = durationUs;
    if (durationUs > r.max) r.max = durationUs;
  }

  stats(id: number, operation: string): OperationStats | undefined {
    const r = this.#agents.get(id)?.get(operation);
    return r ? statsOf(operation, r) : undefined;
  }

  operations(id: number): OperationStats[] {
    return [...(this.#agents.get(id) ?? [])].map(([op, r]) => statsOf(op, r)).sort((a, b) => a.operation.localeCompare(b.operation));
  }

  /**
   * SIS `profile <id>` aggregate: successes = Σ⌊count × rate⌋, average = sample-weighted mean of
   * the per-operation averages, peak = max of maxima. undefined when there are no samples.
   */
  summary(id: number): AgentProfile | undefined {
    const ops = this.operations(id);
    if (ops.length === 0) return undefined;
    let total = 0;
    let ok = 0;
    let weighted = 0;
    let peak = 0;
    for (const o of ops) {
      total += o.count;
      ok += Math.floor(o.count * o.success_rate);
      weighted += o.avg_us * o.count;
      peak = Math.max(peak, o.max_us);
    }
    return {
      total_operations: total,
      successful: ok,
      failed: total - ok,
      success_rate: total > 0 ? ok / total : null,
      avg_latency_us: total > 0 ? Math.floor(weighted / total) : 0,
      peak_latency_us: peak,
    };
  }

  hasAgent(id: number): boolean {
    return this.#agents.has(id);
  }

  /** Clear one agent's samples, or everyone's. */
  reset(id?: number): void {
    if (id === undefined) this.#agents.clear();
    else this.#agents.delete(id);
  }
}

function statsOf(operation: string, r: OpRecord): OperationStats {
  const n = Math.min(r.count, PROFILE_SAMPLES);
  const sorted = Float64Array.from(r.samples.subarray(0, n)).sort();
  const rank = (q: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]);
  return {
    operation,
    count: r.count,
    successes: r.successes,
    success_rate: r.count > 0 ? r.successes / r.count : 0,
    min_us: r.count > 0 ? r.min : 0,
    max_us: r.max,
    avg_us: r.count > 0 ? r.sum / r.count : 0,
    median_us: rank(0.5),
    p95_us: rank(0.95),
    p99_us: rank(0.99),
  };
}
