import { Type, type Static } from "@sinclair/typebox";
import { AgentSpec, BackoffSpec, LimitsSpec, RecoverySpec } from "../lib/mod.ts";

const AgentRef = Type.Union([Type.String({ minLength: 1, maxLength: 255, description: "an agent's name in this file" }), Type.Integer({ minimum: 1, maximum: 0xffffffff, description: "an AgentId" })]);

/** A dependency in a fleet file: a name or id (Required), or `{ agent, type }`. */
export const FleetDependency = Type.Union([
  AgentRef,
  Type.Object(
    { agent: AgentRef, type: Type.Optional(Type.Union([Type.Literal("Required"), Type.Literal("Optional"), Type.Literal("Peer")])) },
    { additionalProperties: false },
  ),
]);
export type FleetDependency = Static<typeof FleetDependency>;

const { depends_on: _dependsOn, ...specFields } = AgentSpec.properties;

/** One agent of a fleet: an AgentSpec (SPEC §3) whose dependencies may name agents of the file. */
export const FleetAgent = Type.Object(
  { ...specFields, depends_on: Type.Optional(Type.Array(FleetDependency, { maxItems: 1024 })) },
  { additionalProperties: false },
);
export type FleetAgent = Static<typeof FleetAgent>;

/** The daemon's defaults, applied before any agent starts. */
export const FleetDefaults = Type.Object(
  { limits: Type.Optional(LimitsSpec), recovery: Type.Optional(RecoverySpec), restart_backoff: Type.Optional(BackoffSpec) },
  { additionalProperties: false },
);
export type FleetDefaults = Static<typeof FleetDefaults>;

/** A fleet file (YAML or JSON): docs/fleet.md; its JSON Schema is docs/fleet.schema.json. */
export const Fleet = Type.Object(
  {
    version: Type.Optional(Type.Literal(1)),
    defaults: Type.Optional(FleetDefaults),
    agents: Type.Array(FleetAgent, { maxItems: 100_000 }),
  },
  { additionalProperties: false, title: "agentsys fleet file" },
);
export type Fleet = Static<typeof Fleet>;
