import { Type, type Static } from "@sinclair/typebox";
import {
  AgentSpec,
  BackoffSpec,
  ComplianceEvent,
  LimitsSpec,
  PolicyPatch,
  RiskLevel,
  ActionNameSchema,
  FAULT_NAMES,
} from "../lib/mod.ts";
import { AGENT_VERBS } from "./verbs.ts";

/**
 * Every command of the command language, as TypeBox schemas (a schema and its type share one
 * name). The text codec, the binary codec and the CLI all produce these objects; only
 * `commands.ts` gives them meaning.
 */
const AgentId = Type.Integer({ minimum: 0, maximum: 0xffffffff });

export const FaultSchema = Type.Union([
  Type.Object({ type: Type.Literal("CpuQuotaExceeded"), used: Type.Number({ minimum: 0 }), quota: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("MemoryExceeded"), used: Type.Number({ minimum: 0 }), limit: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("SyscallFlood"), rate: Type.Number({ minimum: 0 }), threshold: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("Crashed"), signal: Type.Integer({ minimum: 0, maximum: 128 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("CapabilityViolation"), attempted: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("Unresponsive"), idle_time: Type.Number({ minimum: 0 }), threshold: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("PolicyViolation"), reason: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }),
]);


export const SpawnCommand = Type.Object(
  { op: Type.Literal("spawn"), spec: AgentSpec, pid: Type.Optional(Type.Integer({ minimum: 1, maximum: 0x7fffffff })) },
  { additionalProperties: false },
);
/** Replace a registered agent's spec in place (`agentsys apply`). */
export const UpdateCommand = Type.Object({ op: Type.Literal("update"), agent: AgentId, spec: AgentSpec }, { additionalProperties: false });
export const AgentCommand = Type.Object(
  { op: Type.Union(AGENT_VERBS.map((v) => Type.Literal(v))), agent: AgentId },
  { additionalProperties: false },
);
export const PolicyUpdateCommand = Type.Object({ op: Type.Literal("policy-update"), agent: AgentId, patch: PolicyPatch }, { additionalProperties: false });
export const LimitsCommand = Type.Object({ op: Type.Literal("limits"), agent: AgentId, limits: LimitsSpec }, { additionalProperties: false });
export const RecoveryCommand = Type.Object(
  {
    op: Type.Literal("recovery"),
    agent: AgentId,
    preset: Type.Optional(Type.Union([Type.Literal("default"), Type.Literal("permissive"), Type.Literal("strict")])),
    actions: Type.Object(Object.fromEntries(FAULT_NAMES.map((f) => [f, Type.Optional(ActionNameSchema)])), { additionalProperties: false }),
    backoff: BackoffSpec,
  },
  { additionalProperties: false },
);
/** The global defaults (the `limits` and `recovery` files): same fields, no agent. */
export const DefaultLimitsCommand = Type.Object({ op: Type.Literal("default-limits"), limits: LimitsSpec }, { additionalProperties: false });
export const DefaultRecoveryCommand = Type.Object(
  {
    op: Type.Literal("default-recovery"),
    preset: Type.Optional(Type.Union([Type.Literal("default"), Type.Literal("permissive"), Type.Literal("strict")])),
    actions: Type.Object(Object.fromEntries(FAULT_NAMES.map((f) => [f, Type.Optional(ActionNameSchema)])), { additionalProperties: false }),
    backoff: BackoffSpec,
  },
  { additionalProperties: false },
);
export const DepCommand = Type.Object(
  { op: Type.Literal("dep"), agent: AgentId, on: AgentId, type: Type.Union([Type.Literal("Required"), Type.Literal("Optional"), Type.Literal("Peer")]) },
  { additionalProperties: false },
);
export const FaultCommand = Type.Object({ op: Type.Literal("fault"), agent: AgentId, fault: FaultSchema }, { additionalProperties: false });
export const ComplianceCommand = Type.Object({ op: Type.Literal("compliance"), agent: AgentId, event: ComplianceEvent }, { additionalProperties: false });
export const ProfileResetCommand = Type.Object({ op: Type.Literal("profile-reset"), agent: Type.Optional(AgentId) }, { additionalProperties: false });
export const ProfileCommand = Type.Object(
  {
    op: Type.Literal("profile"),
    agent: AgentId,
    operation: Type.String({ minLength: 1, maxLength: 64 }),
    duration_us: Type.Number({ minimum: 0 }),
    success: Type.Boolean(),
  },
  { additionalProperties: false },
);
export const RiskCommand = Type.Object({ op: Type.Literal("risk"), agent: AgentId, level: RiskLevel }, { additionalProperties: false });
/** Binary-only reads (syscalls 500, 502, 509): `capacity` is the reply payload the caller accepts. */
export const TelemetryQuery = Type.Object({ op: Type.Literal("get_telemetry"), capacity: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
export const InfoQuery = Type.Object({ op: Type.Literal("get_agent_info"), agent: AgentId, capacity: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
export const QUERY_KINDS = ["status", "policy", "agents", "metrics", "compliance", "events"] as const;
export const Query = Type.Object(
  { op: Type.Literal("query"), agent: AgentId, kind: Type.Integer({ minimum: 0, maximum: 255 }), capacity: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

export const Command = Type.Union([
  SpawnCommand,
  UpdateCommand,
  AgentCommand,
  PolicyUpdateCommand,
  LimitsCommand,
  RecoveryCommand,
  DefaultLimitsCommand,
  DefaultRecoveryCommand,
  DepCommand,
  FaultCommand,
  ComplianceCommand,
  ProfileResetCommand,
  ProfileCommand,
  RiskCommand,
  TelemetryQuery,
  InfoQuery,
  Query,
]);
export type Command = Static<typeof Command>;
export type SpawnCommand = Static<typeof SpawnCommand>;
export type AgentCommand = Static<typeof AgentCommand>;
export type RecoveryCommand = Static<typeof RecoveryCommand>;
export type DefaultRecoveryCommand = Static<typeof DefaultRecoveryCommand>;
