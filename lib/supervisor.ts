import { SYS, createSysCounters, fail, type CoreContext } from "./_context.ts";
import { createAgentExt } from "./agent_ext.ts";
import { AgentSpec, FIRST_DYNAMIC_ID, RESERVED_IDS } from "./agent_spec.ts";
import { STATE, STATE_NAME, hasProcess, type StateName } from "./agent_state.ts";
import { FLAG, createAgentTable } from "./agent_table.ts";
import { capabilityCount, capabilityNames, type CapabilityName } from "./capability.ts";
import { createSystemClock, type Clock } from "./clock.ts";
import { RISK_NAMES, type RiskName } from "./compliance_event.ts";
import { ComplianceTracker } from "./compliance_tracker.ts";
import { DependencyGraph } from "./dependency_graph.ts";
import { ERRNO } from "./errno.ts";
import { EVENT_KIND, createEventRing } from "./event_ring.ts";
import { FAULT, FAULT_NAMES, faultParts, type Fault } from "./fault.ts";
import { ACTION } from "./fault_action.ts";
import { BREACH, FaultDetector } from "./fault_detector.ts";
import { LimitTable } from "./limit_table.ts";
import { LIMIT } from "./limits.ts";
import { RecoveryTable } from "./recovery_table.ts";
import { LIFECYCLE_INPUT, LIFECYCLE_INPUT_COUNT, EXIT_DECISION, LIFECYCLE_NOTICE, type LifecycleListener } from "./lifecycle.ts";
import { AuditTrail } from "./audit_trail.ts";
import { PolicyController } from "./policy_controller.ts";
import { Profiler } from "./profiler.ts";
import { type Random } from "./random.ts";
import { ResourceMonitor } from "./resource_monitor.ts";
import { nextRestart } from "./restart_backoff.ts";
import { TelemetryAggregator } from "./telemetry.ts";
import { applySpec, checkSpec, NO_OPTIONS, processFieldsChanged, type SpawnOptions } from "./spec_apply.ts";

export type { SpawnOptions } from "./spec_apply.ts";

export interface SupervisorOptions {
  clock?: Clock;
  random?: Random;
  /** Event ring size (default 1024). */
  eventCapacity?: number;
  initialCapacity?: number;
  maxAgents?: number;
  auditCapacity?: number;
  /** Clean windows after which a throttle is lifted (default 3). */
  unthrottleAfter?: number;
  /** Rates are not checked before a process has run this long (default 1 s). */
  startupGraceUs?: number;
}


/** A cold-path view of one agent (renderers, CLI, tests). */
export interface AgentInfo {
  agent_id: number;
  pid: number;
  name: string;
  state: StateName;
  active: boolean;
  auto_restart: boolean;
  restart_count: number;
  max_restarts: number;
  uptime_us: number;
  capabilities: CapabilityName[];
  capability_count: number;
  spawn_count: number;
  exit_count: number;
  fault_count: number;
  last_exit_code: number | null;
  risk_level: RiskName;
  backoff_ms: number;
  handle: number;
}

type Transition = (s: AgentSupervisor, slot: number, arg: number) => number;

/** A throttled agent's window is clean below this fraction of its limits. */
const UNTHROTTLE_HEADROOM = 0.8;


/**
 * AgentSupervisor: the core of agentsys. It owns the agent table and composes the other ASM
 * components (exposed as fields) over one shared context. Every lifecycle change goes through
 * the transition table `TRANSITIONS[state][event]`; listeners hear what the host must do.
 *
 * @example
 * const sup = new AgentSupervisor();
 * const id = sup.onAgentSpawn(4242, { name: "planner", capabilities: ["FsBasic"] });
 * sup.policy.checkCapability(id, CAP.FsBasic); // true
 * sup.onAgentExit(4242, 0);
 */
export class AgentSupervisor {
  /** Internal: the shared context (table, ext, events, counters). */
  readonly ctx: CoreContext;
  readonly telemetry: TelemetryAggregator;
  readonly limits: LimitTable;
  readonly recovery: RecoveryTable;
  readonly faults: FaultDetector;
  readonly audit: AuditTrail;
  readonly policy: PolicyController;
  readonly compliance: ComplianceTracker;
  readonly resources: ResourceMonitor;
  readonly deps: DependencyGraph;
  readonly profiler: Profiler;
  readonly unthrottleAfter: number;
  readonly startupGraceUs: number;
  /** How the host enforces limits, for the tree to show (set by the host at start-up). */
  enforcement: { cpu: string; memory: string } = { cpu: "none", memory: "sampled" };
  /** Which sandbox an agent has, for its status (`Sandbox:` line); set by a host that builds them. */
  sandboxOf: ((id: number) => string) | null = null;
  readonly #listeners: LifecycleListener[] = [];
  /** Internal: the spec each agent with a command runs from (`specOf` hands out copies). */
  readonly specs = new Map<number, AgentSpec>();
  #nextId = FIRST_DYNAMIC_ID;

  constructor(options: SupervisorOptions = {}) {
    const table = createAgentTable({ initialCapacity: options.initialCapacity, maxAgents: options.maxAgents });
    this.ctx = {
      table,
      ext: createAgentExt(table.cols.ext, table.maxAgents),
      events: createEventRing(options.eventCapacity ?? 1024),
      clock: options.clock ?? createSystemClock(),
      random: options.random ?? Math.random,
      sys: createSysCounters(),
      reason: "",
    };
    this.telemetry = new TelemetryAggregator(this.ctx);
    this.limits = new LimitTable(this.ctx);
    this.recovery = new RecoveryTable(this.ctx);
    this.faults = new FaultDetector(this.ctx, this.limits);
    this.audit = new AuditTrail(this.ctx, options.auditCapacity);
    this.policy = new PolicyController(this.ctx, this.audit);
    this.compliance = new ComplianceTracker(this.ctx);
    this.resources = new ResourceMonitor(this.ctx);
    this.deps = new DependencyGraph(this.ctx);
    this.profiler = new Profiler();
    this.unthrottleAfter = options.unthrottleAfter ?? 3;
    this.startupGraceUs = options.startupGraceUs ?? 1_000_000;
  }

  /** Why the last call that returned a negative errno failed. */
  get lastReason(): string {
    return this.ctx.reason;
  }

  onLifecycle(listener: LifecycleListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Internal: tell listeners. */
  emit(kind: number, id: number, arg: number): void {
    const ls = this.#listeners;
    for (let i = 0; i < ls.length; i++) ls[i](kind, id, arg);
  }

  /** Internal: set a slot's state, with a StateChange event when it changes. */
  setState(slot: number, state: number, now = this.ctx.clock.nowUs()): void {
    const c = this.ctx.table.cols;
    const old = c.state[slot];
    if (old === state) return;
    c.state[slot] = state;
    this.ctx.events.push(EVENT_KIND.StateChange, c.id[slot], now, state, old, 0);
    if (this.#listeners.length > 0) this.emit(LIFECYCLE_NOTICE.stateChanged, c.id[slot], state);
  }

  /** Run one lifecycle event through the transition table. */
  transition(slot: number, ev: number, arg = 0): number {
    return TRANSITIONS[this.ctx.table.cols.state[slot]][ev](this, slot, arg);
  }

  // ================================================================ spawn

  /**
   * Register a process (SIS `on_agent_spawn`). With `spec.agent_id` of an agent waiting in
   * `backoff`, this is its restart (same id, same policy); of an `exited`/`failed` agent, a
   * fresh start under the new spec with counters kept. Returns the AgentId, or EINVAL, EPERM
   * (Admin), EEXIST (id or pid taken), EBUSY (agent has a process), ENOSPC.
   */
  onAgentSpawn(pid: number, spec: AgentSpec, options: SpawnOptions = NO_OPTIONS): number {
    const ctx = this.ctx;
    const t = ctx.table;
    if (!(Number.isInteger(pid) && pid > 0 && pid <= 0x7fffffff)) return fail(ctx, ERRNO.EINVAL, `Cannot register agent: pid "${pid}" is not a positive integer`);
    if (t.slotOfPid(pid) >= 0) return fail(ctx, ERRNO.EEXIST, `Cannot register pid ${pid}: it already belongs to agent ${t.cols.id[t.slotOfPid(pid)]}`);
    const wanted = spec.agent_id ?? 0;
    if (wanted !== 0) {
      const slot = t.slotOfId(wanted);
      if (slot >= 0) {
        const state = t.cols.state[slot];
        if (state === STATE.backoff) return TRANSITIONS[state][LIFECYCLE_INPUT.spawn](this, slot, pid);
        if (hasProcess(state)) return fail(ctx, ERRNO.EBUSY, `Cannot spawn agent ${wanted}: it is ${STATE_NAME[state]} with pid ${t.cols.pid[slot]}`);
        const code = applySpec(this, slot, spec, options, false);
        if (code < 0) return code;
        return this.startAt(slot, pid, false);
      }
    }
    const id = wanted !== 0 ? wanted : this.#allocateId();
    if (id < 0) return fail(ctx, ERRNO.ENOSPC, "Cannot allocate an agent id: every id is taken");
    const caps = checkSpec(this, id, spec, options);
    if (caps < 0) return caps;
    const slot = t.alloc(id, spec.name);
    if (slot < 0) {
      if (slot === ERRNO.EEXIST) return fail(ctx, slot, `Cannot spawn agent ${id}: id taken`);
      if (slot === ERRNO.EINVAL) return fail(ctx, slot, `Cannot spawn agent ${id}: name is longer than 255 bytes`);
      return fail(ctx, slot, `Cannot spawn agent ${id}: table is full at ${t.maxAgents} agents`);
    }
    const code = applySpec(this, slot, spec, options, true);
    if (code < 0) {
      t.free(slot);
      return code;
    }
    return this.startAt(slot, pid, false);
  }

  /**
   * A free AgentId (not reserved, not taken) without registering it, for hosts that must put
   * the id in a process's environment before the process exists. Single-threaded: valid until
   * the next spawn.
   */
  peekFreeId(): number {
    const t = this.ctx.table;
    for (let id = this.#nextId, tries = 0; tries < 0xffffffff; tries++) {
      if (!RESERVED_IDS.has(id) && t.slotOfId(id) < 0) return id;
      id = id >= 0xfffffffe ? FIRST_DYNAMIC_ID : id + 1;
    }
    return -1;
  }

  #allocateId(): number {
    const t = this.ctx.table;
    for (let tries = 0; tries < 0xffffffff; tries++) {
      const id = this.#nextId;
      this.#nextId = this.#nextId >= 0xfffffffe ? FIRST_DYNAMIC_ID : this.#nextId + 1;
      if (!RESERVED_IDS.has(id) && t.slotOfId(id) < 0) return id;
    }
    return -1;
  }

  /**
   * What `onAgentSpawn` would refuse of a spec (Admin, a cycle, an unknown capability…), for a
   * host to ask before it starts the process: a refused spawn must not run its command at all.
   * 0, or a negative errno with `lastReason`.
   */
  checkSpawn(spec: AgentSpec, options: SpawnOptions = NO_OPTIONS): number {
    const id = spec.agent_id ? spec.agent_id : this.peekFreeId();
    if (id < 0) return fail(this.ctx, ERRNO.ENOSPC, "Cannot allocate an agent id: every id is taken");
    const mask = checkSpec(this, id, spec, options);
    return mask < 0 ? mask : 0;
  }

  /** Internal: put a slot into its process-running state with `pid`; `restart` = from backoff. */
  startAt(slot: number, pid: number, restart: boolean): number {
    const ctx = this.ctx;
    const t = ctx.table;
    const c = t.cols;
    if (t.setPid(slot, pid) < 0) return fail(ctx, ERRNO.EEXIST, `Cannot register pid ${pid}: it already belongs to another agent`);
    const now = ctx.clock.nowUs();
    const id = c.id[slot];
    c.spawnCount[slot]++;
    c.spawnedAtUs[slot] = now;
    c.lastActivityUs[slot] = now;
    this.resources.restartAt(slot);
    const notify = (c.flags[slot] & FLAG.notifyPending) !== 0;
    c.flags[slot] &= ~(FLAG.ready | FLAG.restartRequested | FLAG.stopRequested | FLAG.faultRestart);
    ctx.sys[SYS.spawns]++;
    ctx.sys[SYS.active]++;
    ctx.events.push(EVENT_KIND.Spawn, id, now, pid, 0, 0);
    if (restart) {
      ctx.sys[SYS.restarts]++;
      ctx.events.push(EVENT_KIND.Restart, id, now, c.restartCount[slot], 0, 0);
    }
    this.compliance.countSpawnAt(slot);
    this.setState(slot, notify ? STATE.starting : STATE.running, now);
    if (this.#listeners.length > 0) this.emit(LIFECYCLE_NOTICE.spawned, id, pid);
    return id;
  }

  // ================================================================ exit

  /**
   * A process ended (SIS `on_agent_exit`). `status` is the exit code (≥ 0) or −signal.
   * Returns EXIT_DECISION (none / restart after `backoffMs(id)` / failed), or ESRCH.
   */
  onAgentExit(pid: number, status: number): number {
    const slot = this.ctx.table.slotOfPid(pid);
    if (slot < 0) return fail(this.ctx, ERRNO.ESRCH, `Cannot record exit of pid ${pid}: no agent has it`);
    return this.transition(slot, LIFECYCLE_INPUT.exit, status);
  }

  /** Internal: the exit transition (any state with a process). */
  exitAt(slot: number, status: number): number {
    const ctx = this.ctx;
    const t = ctx.table;
    const c = t.cols;
    const id = c.id[slot];
    const now = ctx.clock.nowUs();
    const flags = c.flags[slot];
    t.setPid(slot, 0);
    const e = ctx.ext.of(slot);
    const code = status >= 0 ? status : 128 - status;
    ctx.ext.cols.lastExitUs[e] = now;
    ctx.ext.cols.lastExitCode[e] = code;
    c.flags[slot] &= ~(FLAG.ready | FLAG.restartRequested | FLAG.stopRequested | FLAG.faultRestart);
    ctx.sys[SYS.exits]++;
    ctx.sys[SYS.active]--;
    ctx.events.push(EVENT_KIND.Exit, id, now, code, status < 0 ? -status : 0, 0);
    const expected = (flags & (FLAG.stopRequested | FLAG.restartRequested | FLAG.faultRestart)) !== 0;
    // A signal we did not cause is a crash; SIGTERM/SIGKILL after our stop request is not.
    if (status < 0 && !expected) this.telemetry.recordFaultAt(slot, FAULT.Crashed, -status, 0, "");
    if (this.#listeners.length > 0) this.emit(LIFECYCLE_NOTICE.exited, id, status);

    if (flags & FLAG.restartRequested) {
      c.restartCount[slot] = 0;
      return this.#scheduleRestart(slot, 0);
    }
    if (flags & FLAG.stopRequested) return this.#finish(slot, STATE.exited);
    if (flags & FLAG.faultRestart || (status !== 0 && flags & FLAG.autoRestart)) {
      const next = nextRestart(c.restartCount[slot], c.maxRestarts[slot], now - c.spawnedAtUs[slot], this.recovery.backoffAt(slot), ctx.random());
      c.restartCount[slot] = next.count;
      if (next.failed) {
        ctx.events.push(EVENT_KIND.Failed, id, now, next.count, 0, 0);
        if (this.#listeners.length > 0) this.emit(LIFECYCLE_NOTICE.failed, id, next.count);
        this.#finish(slot, STATE.failed);
        return EXIT_DECISION.failed;
      }
      return this.#scheduleRestart(slot, next.delayMs);
    }
    return this.#finish(slot, STATE.exited);
  }

  #scheduleRestart(slot: number, delayMs: number): number {
    const e = this.ctx.ext.of(slot);
    this.ctx.ext.cols.backoffMs[e] = delayMs;
    this.setState(slot, STATE.backoff);
    if (this.#listeners.length > 0) this.emit(LIFECYCLE_NOTICE.restartScheduled, this.ctx.table.cols.id[slot], delayMs);
    return EXIT_DECISION.restart;
  }

  /** Final state, then stop Required dependents (reverse topological order). */
  #finish(slot: number, state: number): number {
    this.setState(slot, state);
    const id = this.ctx.table.cols.id[slot];
    for (const dep of this.deps.cascade(id)) {
      const s = this.ctx.table.slotOfId(dep);
      if (s >= 0 && hasProcess(this.ctx.table.cols.state[s])) this.transition(s, LIFECYCLE_INPUT.stop, 0);
    }
    return EXIT_DECISION.none;
  }

  /** Delay of the pending (or last) restart of an agent, in ms. */
  backoffMs(id: number): number {
    const slot = this.ctx.table.slotOfId(id);
    const e = slot < 0 ? -1 : this.ctx.ext.peek(slot);
    return e < 0 ? 0 : this.ctx.ext.cols.backoffMs[e];
  }

  /** The spec to respawn an agent from (only agents registered with a `command`). */
  specOf(id: number): AgentSpec | undefined {
    const s = this.specs.get(id);
    return s ? structuredClone(s) : undefined;
  }

  // ================================================================ faults

  /** Report a fault (SIS `on_fault`): record it and run the agent's recovery action. */
  onFault(id: number, fault: Fault): number {
    const slot = this.ctx.table.slotOfId(id);
    if (slot < 0) return fail(this.ctx, ERRNO.ESRCH, `Cannot report fault for agent ${id}: no such agent`);
    const p = faultParts(fault);
    return this.faultAt(slot, p.kind, p.a, p.b, p.text);
  }

  /** Internal: record a fault at a slot and act on it; returns the ACTION code. */
  faultAt(slot: number, kind: number, a: number, b: number, text: string): number {
    const ctx = this.ctx;
    const id = ctx.table.cols.id[slot];
    this.telemetry.recordFaultAt(slot, kind, a, b, text);
    if (kind === FAULT.CapabilityViolation || kind === FAULT.PolicyViolation) {
      this.policy.recordViolation(id, FAULT_NAMES[kind], text);
      this.compliance.record(id, { type: "PolicyViolation", violation_type: FAULT_NAMES[kind], severity: kind === FAULT.CapabilityViolation ? "Critical" : "High" });
    }
    const action = this.recovery.actionAt(slot, kind);
    ctx.events.push(EVENT_KIND.Action, id, ctx.clock.nowUs(), action, kind, 0);
    switch (action) {
      case ACTION.Kill:
        this.transition(slot, LIFECYCLE_INPUT.stop, 0);
        break;
      case ACTION.Throttle:
        this.transition(slot, LIFECYCLE_INPUT.throttle, 0);
        break;
      case ACTION.Restart:
        this.transition(slot, LIFECYCLE_INPUT.faultRestart, 0);
        break;
    }
    return action;
  }

  /**
   * One sampling window for an agent: record it, check limits, raise faults (SPEC §4), and
   * lift a throttle after `unthrottleAfter` clean windows. Returns the BREACH bits.
   */
  onSample(id: number, cpuTotalUs: number, memBytes: number, syscallTotal: number): number {
    const ctx = this.ctx;
    const slot = ctx.table.slotOfId(id);
    if (slot < 0) return fail(ctx, ERRNO.ESRCH, `Cannot record sample for agent ${id}: no such agent`);
    const state = ctx.table.cols.state[slot];
    if (state > STATE.throttled) return 0;
    const now = ctx.clock.nowUs();
    const r = this.resources;
    r.recordSampleAt(slot, cpuTotalUs, memBytes, syscallTotal, now);
    const dur = r.lastDurationUs > 0 ? r.lastDurationUs : 1_000_000;
    const cpuPerSec = Math.round((r.lastCpuUs * 1_000_000) / dur);
    const sysPerSec = Math.round((r.lastSyscalls * 1_000_000) / dur);
    // Start-up is not representative (a Node or Python start reads hundreds of files in a few
    // hundred ms): CPU and syscall rates are checked only once the process has run
    // `startupGraceUs` and the window began after it started; memory and the watchdog at once.
    const spawned = ctx.table.cols.spawnedAtUs[slot];
    const warm = now - spawned >= this.startupGraceUs && r.lastWindowStartUs > spawned;
    // While throttled, usage sits just under the cap the throttle imposes; a window only counts
    // as clean (towards lifting the throttle) below 80 % of the limit, or throttling would
    // oscillate: lift, breach, throttle again.
    const k = state === STATE.throttled ? 1 / UNTHROTTLE_HEADROOM : 1;
    const bits = this.faults.checkSampleAt(slot, warm ? cpuPerSec * k : 0, memBytes, warm ? sysPerSec * k : 0, now);
    const e = ctx.ext.of(slot);
    if (bits === 0) {
      ctx.ext.cols.cleanWindows[e]++;
      if (state === STATE.throttled && ctx.ext.cols.cleanWindows[e] >= this.unthrottleAfter) this.transition(slot, LIFECYCLE_INPUT.unthrottle, 0);
      return 0;
    }
    ctx.ext.cols.cleanWindows[e] = 0;
    const l = this.limits;
    // While throttled, CPU and syscall breaches are what the throttle is handling: no new fault.
    if (bits & BREACH.cpu && state !== STATE.throttled) this.faultAt(slot, FAULT.CpuQuotaExceeded, cpuPerSec, l.at(slot, LIMIT.cpu_quota_us), "");
    if (bits & BREACH.memory && this.#stillRunning(slot)) this.faultAt(slot, FAULT.MemoryExceeded, memBytes, l.at(slot, LIMIT.memory_limit_bytes), "");
    if (bits & BREACH.syscalls && state !== STATE.throttled && this.#stillRunning(slot)) this.faultAt(slot, FAULT.SyscallFlood, sysPerSec, l.at(slot, LIMIT.syscall_rate_limit), "");
    if (bits & BREACH.watchdog && this.#stillRunning(slot)) {
      this.faultAt(slot, FAULT.Unresponsive, now - ctx.table.cols.lastActivityUs[slot], l.at(slot, LIMIT.watchdog_timeout_us), "");
    }
    return bits;
  }

  #stillRunning(slot: number): boolean {
    return this.ctx.table.cols.state[slot] <= STATE.throttled;
  }

  // ================================================================ commands

  /** Heartbeat (SIS `touch_agent`): marks activity and arms the watchdog. */
  touchAgent(id: number): boolean {
    const slot = this.ctx.table.slotOfId(id);
    if (slot < 0) return false;
    const c = this.ctx.table.cols;
    if (!hasProcess(c.state[slot])) return false;
    c.lastActivityUs[slot] = this.ctx.clock.nowUs();
    if (!(c.flags[slot] & FLAG.ready)) this.transition(slot, LIFECYCLE_INPUT.ready, 0);
    return true;
  }

  /** Activity that does not arm the watchdog (shim calls). */
  noteActivity(id: number): void {
    const slot = this.ctx.table.slotOfId(id);
    if (slot >= 0) this.ctx.table.cols.lastActivityUs[slot] = this.ctx.clock.nowUs();
  }

  #bySlot(id: number, verb: string): number {
    const slot = this.ctx.table.slotOfId(id);
    return slot >= 0 ? slot : fail(this.ctx, ERRNO.ESRCH, `Cannot ${verb} agent ${id}: no such agent`);
  }

  /** Stop for good: graceful (`now` false) or immediate kill. */
  stop(id: number, now = false): number {
    const slot = this.#bySlot(id, now ? "kill" : "stop");
    return slot < 0 ? slot : this.transition(slot, LIFECYCLE_INPUT.stop, now ? 1 : 0);
  }

  /**
   * Replace a registered agent's spec in place (`update <id> {spec}`, used by `agentsys
   * apply`). Policy, limits, recovery, risk, backoff and dependencies take effect at once;
   * the process fields (command, args, env, cwd, user, readiness) at the next start. Returns 1
   * when those changed (the caller restarts the agent to apply them), else 0.
   */
  update(id: number, spec: AgentSpec, options: SpawnOptions = NO_OPTIONS): number {
    const t = this.ctx.table;
    const slot = t.slotOfId(id);
    if (slot < 0) return fail(this.ctx, ERRNO.ESRCH, `Cannot update agent ${id}: no such agent`);
    if (spec.agent_id !== undefined && spec.agent_id !== 0 && spec.agent_id !== id) {
      return fail(this.ctx, ERRNO.EINVAL, `Cannot update agent ${id}: the spec names agent_id ${spec.agent_id}`);
    }
    const before = this.specs.get(id);
    const old = this.deps.dependsOn(id);
    for (const d of old) this.deps.remove(id, d.id);
    // Runtime flags (ready, stop/restart requests, readiness pending) belong to the process.
    const runtime = t.cols.flags[slot] & ~FLAG.autoRestart;
    const r = applySpec(this, slot, { ...spec, agent_id: id }, options, false);
    if (r < 0) {
      for (const d of old) this.deps.add(id, d.id, d.type);
      return r;
    }
    t.cols.flags[slot] = runtime | (t.cols.flags[slot] & FLAG.autoRestart);
    const processChanged = processFieldsChanged(before, spec);
    // A process-field change restarts the agent anyway (into a sandbox built from the new policy).
    if (!processChanged) this.policy.changed(id);
    return processChanged ? 1 : 0;
  }

  /** Manual restart: now, counters cleared, `failed` lifted. */
  restart(id: number): number {
    const slot = this.#bySlot(id, "restart");
    return slot < 0 ? slot : this.transition(slot, LIFECYCLE_INPUT.restart, 0);
  }

  /** Clear the restart counter; a `failed` agent becomes `exited`. */
  reset(id: number): number {
    const slot = this.#bySlot(id, "reset");
    return slot < 0 ? slot : this.transition(slot, LIFECYCLE_INPUT.reset, 0);
  }

  throttle(id: number): number {
    const slot = this.#bySlot(id, "throttle");
    return slot < 0 ? slot : this.transition(slot, LIFECYCLE_INPUT.throttle, 0);
  }

  unthrottle(id: number): number {
    const slot = this.#bySlot(id, "unthrottle");
    return slot < 0 ? slot : this.transition(slot, LIFECYCLE_INPUT.unthrottle, 0);
  }

  /** Readiness notification (spec `readiness: notify`): starting → running, watchdog armed. */
  markReady(id: number): number {
    const slot = this.#bySlot(id, "mark ready");
    return slot < 0 ? slot : this.transition(slot, LIFECYCLE_INPUT.ready, 0);
  }

  /** Forget an agent that has no process (EBUSY otherwise). */
  remove(id: number): number {
    const ctx = this.ctx;
    const slot = this.#bySlot(id, "remove");
    if (slot < 0) return slot;
    const state = ctx.table.cols.state[slot];
    if (hasProcess(state)) return fail(ctx, ERRNO.EBUSY, `Cannot remove agent ${id}: it is ${STATE_NAME[state]}; stop it first`);
    this.resources.releaseAt(slot);
    ctx.ext.release(slot);
    this.deps.removeAgent(id);
    this.policy.forget(id);
    this.profiler.reset(id);
    this.specs.delete(id);
    ctx.table.free(slot);
    if (this.#listeners.length > 0) this.emit(LIFECYCLE_NOTICE.removed, id, 0);
    return 0;
  }

  // ================================================================ queries

  hasAgent(id: number): boolean {
    return this.ctx.table.slotOfId(id) >= 0;
  }

  /** Agents known (any state). `Active Agents` (with a process) is `activeCount()`. */
  agentCount(): number {
    return this.ctx.table.count;
  }

  activeCount(): number {
    return this.ctx.sys[SYS.active];
  }

  getAgent(id: number): AgentInfo | undefined {
    const slot = this.ctx.table.slotOfId(id);
    return slot < 0 ? undefined : this.infoAt(slot);
  }

  getAgentByPid(pid: number): AgentInfo | undefined {
    const slot = this.ctx.table.slotOfPid(pid);
    return slot < 0 ? undefined : this.infoAt(slot);
  }

  /** All agents, ascending id. */
  listAgents(): AgentInfo[] {
    return this.ctx.table.sortedSlots().map((s) => this.infoAt(s));
  }

  infoAt(slot: number): AgentInfo {
    const t = this.ctx.table;
    const c = t.cols;
    const state = c.state[slot];
    const active = hasProcess(state);
    return {
      agent_id: c.id[slot],
      pid: c.pid[slot],
      name: t.name(slot),
      state: STATE_NAME[state],
      active,
      auto_restart: (c.flags[slot] & FLAG.autoRestart) !== 0,
      restart_count: c.restartCount[slot],
      max_restarts: c.maxRestarts[slot],
      uptime_us: active ? this.ctx.clock.nowUs() - c.spawnedAtUs[slot] : 0,
      capabilities: capabilityNames(c.caps[slot]),
      capability_count: capabilityCount(c.caps[slot]),
      spawn_count: c.spawnCount[slot],
      exit_count: this.telemetry.exitCountAt(slot),
      fault_count: this.telemetry.faultCountAt(slot),
      last_exit_code: this.telemetry.lastExitCodeAt(slot),
      risk_level: RISK_NAMES[c.risk[slot]],
      backoff_ms: this.backoffMs(c.id[slot]),
      handle: t.handle(slot),
    };
  }
}

// ================================================================ transition table

const busy: Transition = (s, slot) => {
  const c = s.ctx.table.cols;
  return fail(s.ctx, ERRNO.EBUSY, `Cannot do that to agent ${c.id[slot]}: it is ${STATE_NAME[c.state[slot]]}`);
};
const noProcess: Transition = (s, slot) => fail(s.ctx, ERRNO.ESRCH, `Agent ${s.ctx.table.cols.id[slot]} has no process`);
const noop: Transition = () => 0;
const exit: Transition = (s, slot, status) => s.exitAt(slot, status);
const stop: Transition = (s, slot, now) => {
  const c = s.ctx.table.cols;
  c.flags[slot] = (c.flags[slot] & ~(FLAG.restartRequested | FLAG.faultRestart)) | FLAG.stopRequested;
  s.setState(slot, STATE.stopping);
  s.emit(LIFECYCLE_NOTICE.stopRequested, c.id[slot], now);
  return 0;
};
const stopAgain: Transition = (s, slot, now) => {
  const c = s.ctx.table.cols;
  c.flags[slot] = (c.flags[slot] & ~(FLAG.restartRequested | FLAG.faultRestart)) | FLAG.stopRequested;
  if (now) s.emit(LIFECYCLE_NOTICE.stopRequested, c.id[slot], now); // escalate a graceful stop to a kill
  return 0;
};
const restart: Transition = (s, slot) => {
  const c = s.ctx.table.cols;
  const wasStopping = c.state[slot] === STATE.stopping;
  c.flags[slot] = (c.flags[slot] & ~(FLAG.stopRequested | FLAG.faultRestart)) | FLAG.restartRequested;
  s.setState(slot, STATE.stopping);
  if (!wasStopping) s.emit(LIFECYCLE_NOTICE.stopRequested, c.id[slot], 0);
  return 0;
};
const faultRestart: Transition = (s, slot) => {
  const c = s.ctx.table.cols;
  c.flags[slot] |= FLAG.faultRestart;
  s.setState(slot, STATE.stopping);
  s.emit(LIFECYCLE_NOTICE.stopRequested, c.id[slot], 0);
  return 0;
};
/** restart from backoff/exited/failed: schedule an immediate respawn. */
const restartNow: Transition = (s, slot) => {
  const c = s.ctx.table.cols;
  c.restartCount[slot] = 0;
  const e = s.ctx.ext.of(slot);
  s.ctx.ext.cols.backoffMs[e] = 0;
  s.setState(slot, STATE.backoff);
  s.emit(LIFECYCLE_NOTICE.restartScheduled, c.id[slot], 0);
  return 0;
};
const cancelRestart: Transition = (s, slot) => {
  s.setState(slot, STATE.exited);
  return 0;
};
/** Only reached from backoff through onAgentSpawn: a restart keeps id and policy. */
const respawn: Transition = (s, slot, pid) => s.startAt(slot, pid, true);
const throttle: Transition = (s, slot) => {
  s.setState(slot, STATE.throttled);
  s.emit(LIFECYCLE_NOTICE.throttleRequested, s.ctx.table.cols.id[slot], 0);
  return 0;
};
const unthrottle: Transition = (s, slot) => {
  const e = s.ctx.ext.of(slot);
  s.ctx.ext.cols.cleanWindows[e] = 0;
  s.setState(slot, STATE.running);
  s.emit(LIFECYCLE_NOTICE.unthrottleRequested, s.ctx.table.cols.id[slot], 0);
  return 0;
};
const ready: Transition = (s, slot) => {
  const c = s.ctx.table.cols;
  c.flags[slot] = (c.flags[slot] & ~FLAG.notifyPending) | FLAG.ready;
  c.lastActivityUs[slot] = s.ctx.clock.nowUs();
  if (c.state[slot] === STATE.starting) s.setState(slot, STATE.running);
  return 0;
};
const reset: Transition = (s, slot) => {
  s.ctx.table.cols.restartCount[slot] = 0;
  return 0;
};
const resetFailed: Transition = (s, slot) => {
  s.ctx.table.cols.restartCount[slot] = 0;
  s.setState(slot, STATE.exited);
  return 0;
};

//                 spawn    exit       stop       restart     throttle  unthrottle  ready  reset        faultRestart
const TRANSITIONS: readonly (readonly Transition[])[] = [
  /* starting  */ [busy, exit, stop, restart, throttle, noop, ready, reset, faultRestart],
  /* running   */ [busy, exit, stop, restart, throttle, noop, ready, reset, faultRestart],
  /* throttled */ [busy, exit, stop, restart, noop, unthrottle, ready, reset, faultRestart],
  /* stopping  */ [busy, exit, stopAgain, restart, busy, noop, noop, reset, noop],
  /* backoff   */ [respawn, noProcess, cancelRestart, restartNow, busy, noop, noop, reset, noop],
  /* exited    */ [busy, noProcess, noop, restartNow, busy, noop, noop, reset, noop],
  /* failed    */ [busy, noProcess, noop, restartNow, busy, noop, noop, resetFailed, noop],
];
for (const row of TRANSITIONS) if (row.length !== LIFECYCLE_INPUT_COUNT) throw new Error("Cannot load supervisor: transition table row has the wrong width");
