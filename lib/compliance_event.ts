import { Type, type Static } from "@sinclair/typebox";

/** EU AI Act risk classes (SPEC §3), ordered: Minimal < Limited < High < Unacceptable. */
export const RISK = { Minimal: 0, Limited: 1, High: 2, Unacceptable: 3 } as const;
export const RISK_NAMES = ["Minimal", "Limited", "High", "Unacceptable"] as const;
export type RiskName = (typeof RISK_NAMES)[number];
export const RiskLevel = Type.Union(RISK_NAMES.map((n) => Type.Literal(n)));

/** Compliance events (SPEC §3), as accepted from outside. */
export const ComplianceEvent = Type.Union([
  Type.Object({ type: Type.Literal("AgentSpawned") }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal("DecisionMade"),
      decision_type: Type.String({ maxLength: 256 }),
      confidence: Type.Number({ minimum: 0, maximum: 1 }),
      human_reviewed: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal("SensitiveDataAccess"), data_category: Type.String({ maxLength: 256 }), access_type: Type.String({ maxLength: 256 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal("PolicyViolation"), violation_type: Type.String({ maxLength: 256 }), severity: Type.String({ maxLength: 64 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal("HumanOversight"), reviewer_id: Type.String({ maxLength: 256 }), action: Type.String({ maxLength: 256 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal("AgentExited"), exit_code: Type.Integer(), operations_count: Type.Integer({ minimum: 0 }) },
    { additionalProperties: false },
  ),
]);
export type ComplianceEvent = Static<typeof ComplianceEvent>;
