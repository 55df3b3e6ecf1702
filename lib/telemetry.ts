import { SYS, type CoreContext } from "./_context.ts";
import { RECENT_FAULTS } from "./agent_ext.ts";
import { hasProcess } from "./agent_state.ts";
import { EVENT_KIND, SIS_EVENT_KINDS } from "./event_ring.ts";
import { faultJson, type Fault, faultFromParts } from "./fault.ts";

/** Per-agent metrics in SIS's TelemetrySnapshot shape (SPEC §6.2). */
export interface AgentMetrics {
  agent_id: number;
  spawn_count: number;
  exit_count: number;
  fault_count: number;
  cpu_time_us: number;
  memory_bytes: number;
  syscall_count: number;
  last_spawn: number;
  last_exit: number | null;
  last_exit_code: number | null;
  recent_faults: Record<string, unknown>[];
}

export interface SystemMetrics {
  total_spawns: number;
  total_exits: number;
  total_faults: number;
  total_restarts: number;
  active_agents: number;
}

export interface TelemetrySnapshot {
  timestamp: number;
  agent_metrics: Record<string, AgentMetrics>;
  system_metrics: SystemMetrics;
  recent_events: Record<string, unknown>[];
  total_syscalls: number;
}

/**
 * TelemetryAggregator: counters per agent (table columns) and per system (`ctx.sys`), the last
 * 10 faults per agent (ext ring), the event ring, snapshots and the SIS renders.
 */
export class TelemetryAggregator {
  readonly #ctx: CoreContext;

  constructor(ctx: CoreContext) {
    this.#ctx = ctx;
  }

  /** Count `n` syscalls for an agent (hot path: shim calls, samples). Returns false if unknown. */
  recordSyscall(id: number, n = 1): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return false;
    this.#ctx.table.cols.syscallCount[slot] += n;
    this.#ctx.sys[SYS.syscalls] += n;
    return true;
  }

  /** Add CPU time (µs) to an agent's lifetime total. */
  recordCpu(id: number, us: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return false;
    this.#ctx.table.cols.cpuUs[slot] += us;
    return true;
  }

  /** Set an agent's current memory use (bytes). */
  recordMemory(id: number, bytes: number): boolean {
    const slot = this.#ctx.table.slotOfId(id);
    if (slot < 0) return false;
    this.#ctx.table.cols.memBytes[slot] = bytes;
    return true;
  }

  /** Record a fault against a slot: counters, the agent's ring of 10, the event ring. */
  recordFaultAt(slot: number, kind: number, a: number, b: number, text: string): void {
    const ctx = this.#ctx;
    const x = ctx.ext;
    const e = x.of(slot);
    const now = ctx.clock.nowUs();
    x.cols.faultCount[e]++;
    const p = e * RECENT_FAULTS + x.cols.faultHead[e];
    x.cols.fKind[p] = kind;
    x.cols.fA[p] = a;
    x.cols.fB[p] = b;
    x.cols.fTs[p] = now;
    if (text !== "") x.faultText.set(p, text);
    else x.faultText.delete(p);
    x.cols.faultHead[e] = (x.cols.faultHead[e] + 1) % RECENT_FAULTS;
    if (x.cols.faultLen[e] < RECENT_FAULTS) x.cols.faultLen[e]++;
    ctx.sys[SYS.faults]++;
    ctx.events.push(EVENT_KIND.Fault, ctx.table.cols.id[slot], now, kind, a, b);
    if (text !== "") ctx.events.setText(text);
  }

  /** Fault count of a slot (0 when it never had one). */
  faultCountAt(slot: number): number {
    const e = this.#ctx.ext.peek(slot);
    return e < 0 ? 0 : this.#ctx.ext.cols.faultCount[e];
  }

  /** The agent's recent faults, oldest first. */
  recentFaultsAt(slot: number): { fault: Fault; ts: number; kind: number; a: number; b: number; text: string }[] {
    const x = this.#ctx.ext;
    const e = x.peek(slot);
    if (e < 0) return [];
    const len = x.cols.faultLen[e];
    const head = x.cols.faultHead[e];
    const out = [];
    for (let i = 0; i < len; i++) {
      const p = e * RECENT_FAULTS + ((head - len + i + RECENT_FAULTS) % RECENT_FAULTS);
      const kind = x.cols.fKind[p];
      const a = x.cols.fA[p];
      const b = x.cols.fB[p];
      const text = x.faultText.get(p) ?? "";
      out.push({ fault: faultFromParts(kind, a, b, text), ts: x.cols.fTs[p], kind, a, b, text });
    }
    return out;
  }

  /** Exit count, derived: every spawn is followed by at most one exit. */
  exitCountAt(slot: number): number {
    const c = this.#ctx.table.cols;
    return c.spawnCount[slot] - (c.spawnCount[slot] > 0 && hasProcess(c.state[slot]) ? 1 : 0);
  }

  /** Exit code of the last exit (128+signal for a signal), or null before the first exit. */
  lastExitCodeAt(slot: number): number | null {
    const e = this.#ctx.ext.peek(slot);
    return e >= 0 && this.#ctx.ext.cols.lastExitUs[e] >= 0 ? this.#ctx.ext.cols.lastExitCode[e] : null;
  }

  metricsAt(slot: number): AgentMetrics {
    const c = this.#ctx.table.cols;
    const e = this.#ctx.ext.peek(slot);
    const exited = e >= 0 && this.#ctx.ext.cols.lastExitUs[e] >= 0;
    return {
      agent_id: c.id[slot],
      spawn_count: c.spawnCount[slot],
      exit_count: this.exitCountAt(slot),
      fault_count: this.faultCountAt(slot),
      cpu_time_us: c.cpuUs[slot],
      memory_bytes: c.memBytes[slot],
      syscall_count: c.syscallCount[slot],
      last_spawn: c.spawnedAtUs[slot],
      last_exit: exited ? this.#ctx.ext.cols.lastExitUs[e] : null,
      last_exit_code: exited ? this.#ctx.ext.cols.lastExitCode[e] : null,
      recent_faults: this.recentFaultsAt(slot).map((f) => faultJson(f.kind, f.a, f.b, f.text)),
    };
  }

  /** Metrics of one agent, or undefined. */
  agentMetrics(id: number): AgentMetrics | undefined {
    const slot = this.#ctx.table.slotOfId(id);
    return slot < 0 ? undefined : this.metricsAt(slot);
  }

  systemMetrics(): SystemMetrics {
    const s = this.#ctx.sys;
    return {
      total_spawns: s[SYS.spawns],
      total_exits: s[SYS.exits],
      total_faults: s[SYS.faults],
      total_restarts: s[SYS.restarts],
      active_agents: s[SYS.active],
    };
  }

  /** SIS-shaped events, oldest first (SIS kinds only; agentsys kinds are in `events`). */
  recentEvents(): Record<string, unknown>[] {
    const r = this.#ctx.events;
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < r.length; i++) {
      const p = r.at(i);
      const k = r.kind[p];
      if (k >= SIS_EVENT_KINDS) continue;
      const id = r.agent[p];
      const ts = r.ts[p];
      switch (k) {
        case EVENT_KIND.Spawn:
          out.push({ Spawn: [id, ts] });
          break;
        case EVENT_KIND.Exit:
          out.push({ Exit: [id, r.a[p], ts] });
          break;
        case EVENT_KIND.Fault:
          out.push({ Fault: [id, faultJson(r.a[p], r.b[p], r.c[p], r.text(p)), ts] });
          break;
        case EVENT_KIND.Restart:
          out.push({ Restart: [id, r.a[p], ts] });
          break;
        case EVENT_KIND.PolicyChange:
          out.push({ PolicyChange: [id, ts] });
          break;
      }
    }
    return out;
  }

  /** Number of SIS-kind events held in the ring. */
  recentEventCount(): number {
    const r = this.#ctx.events;
    let n = 0;
    for (let i = 0; i < r.length; i++) if (r.kind[r.at(i)] < SIS_EVENT_KINDS) n++;
    return n;
  }

  totalSyscalls(): number {
    return this.#ctx.sys[SYS.syscalls];
  }

  snapshot(): TelemetrySnapshot {
    const agent_metrics: Record<string, AgentMetrics> = {};
    for (const slot of this.#ctx.table.sortedSlots()) {
      agent_metrics[String(this.#ctx.table.cols.id[slot])] = this.metricsAt(slot);
    }
    return {
      timestamp: this.#ctx.clock.nowUs(),
      agent_metrics,
      system_metrics: this.systemMetrics(),
      recent_events: this.recentEvents(),
      total_syscalls: this.#ctx.sys[SYS.syscalls],
    };
  }
}
