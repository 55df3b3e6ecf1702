import { Type, type Static } from "@sinclair/typebox";
import { RiskLevel } from "./compliance_event.ts";
import { FAULT_NAMES } from "./fault.ts";
import { ACTION_NAMES } from "./fault_action.ts";
import { CapabilityNameSchema, Scope } from "./policy_patch.ts";
import { BackoffSpec } from "./restart_backoff.ts";

/** Partial ResourceLimits (SPEC §3); 0 = no limit. */
export const LimitsSpec = Type.Object(
  {
    cpu_quota_us: Type.Optional(Type.Integer({ minimum: 0 })),
    memory_limit_bytes: Type.Optional(Type.Integer({ minimum: 0 })),
    syscall_rate_limit: Type.Optional(Type.Integer({ minimum: 0 })),
    watchdog_timeout_us: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type LimitsSpec = Static<typeof LimitsSpec>;

export const ActionNameSchema = Type.Union(ACTION_NAMES.map((n) => Type.Literal(n)));

/** A preset name or a per-fault map of actions (unnamed faults keep the default). */
export const RecoverySpec = Type.Union([
  Type.Union([Type.Literal("default"), Type.Literal("permissive"), Type.Literal("strict")]),
  Type.Object(Object.fromEntries(FAULT_NAMES.map((f) => [f, Type.Optional(ActionNameSchema)])), { additionalProperties: false }),
]);
export type RecoverySpec = Static<typeof RecoverySpec>;


export const DependencySpec = Type.Union([
  Type.Integer({ minimum: 1, maximum: 0xffffffff }),
  Type.Object(
    {
      id: Type.Integer({ minimum: 1, maximum: 0xffffffff }),
      type: Type.Union([Type.Literal("Required"), Type.Literal("Optional"), Type.Literal("Peer")]),
    },
    { additionalProperties: false },
  ),
]);
export type DependencySpec = Static<typeof DependencySpec>;

/**
 * AgentSpec (SPEC §3): SIS fields plus agentsys's process, limits, recovery and compliance
 * fields. `agent_id` 0 or absent allocates an id from 1000 upward.
 */
export const AgentSpec = Type.Object(
  {
    agent_id: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
    name: Type.String({ minLength: 1, maxLength: 255 }),
    capabilities: Type.Optional(Type.Array(CapabilityNameSchema, { maxItems: 64 })),
    scope: Type.Optional(Scope),
    auto_restart: Type.Optional(Type.Boolean()),
    max_restarts: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    args: Type.Optional(Type.Array(Type.String({ maxLength: 65536 }), { maxItems: 4096 })),
    env: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 4096 }), Type.String({ maxLength: 65536 }))),
    cwd: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    user: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Integer({ minimum: 0 })])),
    limits: Type.Optional(LimitsSpec),
    recovery: Type.Optional(RecoverySpec),
    risk_level: Type.Optional(RiskLevel),
    purpose: Type.Optional(Type.String({ maxLength: 4096 })),
    depends_on: Type.Optional(Type.Array(DependencySpec, { maxItems: 1024 })),
    restart_backoff: Type.Optional(BackoffSpec),
    readiness: Type.Optional(Type.Union([Type.Literal("none"), Type.Literal("notify")])),
    /** `none`: run with the host as it is, for agents that need it (docs/sandbox.md); default `auto`. */
    sandbox: Type.Optional(Type.Union([Type.Literal("auto"), Type.Literal("none")])),
  },
  { additionalProperties: false },
);
export type AgentSpec = Static<typeof AgentSpec>;

export const DEFAULT_MAX_RESTARTS = 3;
export const FIRST_DYNAMIC_ID = 1000;
/** Ids the allocator never hands out: 0 system, 1 agentd, 0xFFFF test (SPEC §3). */
export const RESERVED_IDS: ReadonlySet<number> = new Set([0, 1, 0xffff]);

/** What world-readable views show for each environment value (SPEC §9): the name says it is set. */
export const ENV_VALUE_SHOWN = "(set)";

/**
 * The spec as everyone may see it: like `/proc/<pid>/environ`, environment values are for the
 * daemon's owner and the agent's own user only (`agents/<id>/spec.json`); names stay.
 */
export function publicSpec(spec: AgentSpec): AgentSpec {
  if (!spec.env) return spec;
  const env: Record<string, string> = {};
  for (const k of Object.keys(spec.env)) env[k] = ENV_VALUE_SHOWN;
  return { ...spec, env };
}
