import { publicSpec, type AgentSpec } from "./agent_spec.ts";
import { STATE } from "./agent_state.ts";
import type { AgentCompliance } from "./compliance_tracker.ts";
import type { AgentProfile } from "./profiler.ts";
import type { AgentInfo, AgentSupervisor } from "./supervisor.ts";
import type { AgentMetrics, SystemMetrics } from "./telemetry.ts";
import type { ResourceLimits } from "./limits.ts";
import type { RestartBackoff } from "./restart_backoff.ts";

/**
 * The machine-readable view of agents (`agents.json`, `agents/<id>/agent.json`, and every
 * `agentsys … --json`). One object per agent; field names are SIS's where SIS had the field.
 * The shape is versioned by `AGENTS_JSON_VERSION` and documented in docs/cli.md: fields may be
 * added, never renamed or removed within a version.
 */
export const AGENTS_JSON_VERSION = 1;

export interface ResourceUsageJson {
  cpu_time_us: number;
  /** CPU µs per second over the last window (1,000,000 = one core). */
  cpu_rate_us: number;
  /** The same as a percentage of one core, one decimal. */
  cpu_percent: number;
  memory_bytes: number;
  peak_memory_bytes: number;
  syscall_count: number;
  syscall_rate: number;
  /** "Normal", "Throttled" or "Over limit (cpu, memory, syscalls)". */
  status: string;
}

export interface AgentJson extends Omit<AgentInfo, "handle"> {
  metrics: AgentMetrics;
  resources: ResourceUsageJson;
  limits: ResourceLimits;
  recovery: { actions: Record<string, string>; backoff: RestartBackoff };
  risk: Omit<AgentCompliance, "agent_id">;
  deps: { depends_on: { id: number; type: string }[]; depended_on_by: { id: number; type: string }[] };
  policy: { capabilities: string[]; scope: Record<string, string | number>; auto_restart: boolean; max_restarts: number; violations: number; policy_changes: number };
  profile: AgentProfile | null;
  /**
   * The spec the process was started from, environment values shown as "(set)" (the whole
   * spec is `agents/<id>/spec.json`, for the daemon's owner and the agent's user); null for
   * agents registered without a command.
   */
  spec: AgentSpec | null;
  /** The agent's output file, when the daemon keeps one. */
  log_path: string | null;
}

/** About the daemon serving the tree (for `agentsys down`, `logs -f`, `top`). */
export interface DaemonInfo {
  pid: number;
  mount: string;
  state_dir: string | null;
  started: string;
  window_ms: number;
  version: string;
  /** The runtime serving the tree: "node 20.20.2", "deno 2.9.6". */
  runtime: string;
  /** The FUSE backend: "fuse-native" or "devfuse". */
  backend: string;
  /**
   * Per-thread records the FUSE binding holds (fuse-native keeps one per libfuse worker thread
   * it has seen; flat under load once the binding recycles them — docs/reliability.md).
   */
  fuse_thread_records?: number;
}

export interface AgentsJson {
  version: number;
  timestamp_us: number;
  daemon: DaemonInfo | null;
  enforcement: { cpu: string; memory: string };
  system: SystemMetrics & { total_syscalls: number; agents: number; compliance_score: number };
  agents: AgentJson[];
}

export interface JsonContext {
  daemon?: DaemonInfo;
  logPath?: (id: number) => string | null;
  /** Set by the FUSE layer once mounted. */
  threadRecords?: () => number;
}

/**
 * The resource status line of `resources <id>` (fix over SIS, which always said Normal):
 * which limits the last window exceeded, else Throttled or Normal.
 */
export function resourceStatus(sup: AgentSupervisor, id: number): string {
  const slot = sup.ctx.table.slotOfId(id);
  if (slot < 0) return "Normal";
  const l = sup.limits.of(id)!;
  const over: string[] = [];
  if (l.cpu_quota_us > 0 && sup.resources.cpuRate(id, 1) > l.cpu_quota_us) over.push("cpu");
  if (l.memory_limit_bytes > 0 && sup.ctx.table.cols.memBytes[slot] > l.memory_limit_bytes) over.push("memory");
  if (l.syscall_rate_limit > 0 && sup.resources.syscallRate(id, 1) > l.syscall_rate_limit) over.push("syscalls");
  if (over.length > 0) return `Over limit (${over.join(", ")})`;
  return sup.ctx.table.cols.state[slot] === STATE.throttled ? "Throttled" : "Normal";
}

/** One agent as JSON, or undefined when there is no such agent. */
export function agentJson(sup: AgentSupervisor, id: number, jc: JsonContext = {}): AgentJson | undefined {
  const info = sup.getAgent(id);
  if (!info) return undefined;
  const slot = sup.ctx.table.slotOfId(id);
  const c = sup.ctx.table.cols;
  const { handle: _handle, ...rest } = info;
  const cpuRate = Math.round(sup.resources.cpuRate(id, 1));
  const { agent_id: _a, ...risk } = sup.compliance.of(id)!;
  const p = sup.policy.policyOf(id)!;
  const full = sup.specOf(id);
  const spec = full ? publicSpec(full) : null;
  return {
    ...rest,
    metrics: sup.telemetry.metricsAt(slot),
    resources: {
      cpu_time_us: c.cpuUs[slot],
      cpu_rate_us: cpuRate,
      cpu_percent: Math.round(cpuRate / 1000) / 10,
      memory_bytes: c.memBytes[slot],
      peak_memory_bytes: sup.resources.peakMemory(id),
      syscall_count: c.syscallCount[slot],
      syscall_rate: Math.round(sup.resources.syscallRate(id, 1)),
      status: resourceStatus(sup, id),
    },
    limits: sup.limits.of(id)!,
    recovery: sup.recovery.of(id)!,
    risk,
    deps: { depends_on: sup.deps.dependsOn(id), depended_on_by: sup.deps.dependedOnBy(id) },
    policy: { capabilities: p.capabilities, scope: p.scope as Record<string, string | number>, auto_restart: p.auto_restart, max_restarts: p.max_restarts, violations: p.violations, policy_changes: p.policy_changes },
    profile: sup.profiler.summary(id) ?? null,
    spec,
    log_path: jc.logPath?.(id) ?? null,
  };
}

/** Every agent, ascending id, with the system counters and the daemon's identity. */
export function agentsJson(sup: AgentSupervisor, jc: JsonContext = {}): AgentsJson {
  const agents: AgentJson[] = [];
  for (const a of sup.listAgents()) agents.push(agentJson(sup, a.agent_id, jc)!);
  return {
    version: AGENTS_JSON_VERSION,
    timestamp_us: sup.ctx.clock.nowUs(),
    daemon: jc.daemon ? (jc.threadRecords ? { ...jc.daemon, fuse_thread_records: jc.threadRecords() } : jc.daemon) : null,
    enforcement: { ...sup.enforcement },
    system: { ...sup.telemetry.systemMetrics(), total_syscalls: sup.telemetry.totalSyscalls(), agents: agents.length, compliance_score: sup.compliance.systemScore() },
    agents,
  };
}
