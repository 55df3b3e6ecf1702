import { Type, type Static } from "@sinclair/typebox";
import { CAPABILITY_NAMES } from "./capability.ts";

/**
 * Scope and policy patches (SPEC §3): the schemas of outside input, shared by the text and
 * binary codecs and the fleet file. A schema and its type share one name.
 */
export const Scope = Type.Object(
  {
    path_prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    max_file_size: Type.Optional(Type.Integer({ minimum: 0 })),
    max_ops_per_sec: Type.Optional(Type.Integer({ minimum: 0 })),
    /** DocBasic: paths the sandbox shows read-only (docs/sandbox.md). */
    docs: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096, pattern: "^/" }), { maxItems: 64 })),
    /** NetClient: the hosts the proxy lets the agent reach, as an allowlist (lib/net_allowlist.ts); absent = any. */
    net: Type.Optional(Type.String({ maxLength: 8192 })),
  },
  { additionalProperties: false },
);
export type Scope = Static<typeof Scope>;

export const CapabilityNameSchema = Type.Union(CAPABILITY_NAMES.map((n) => Type.Literal(n)));

export const PolicyPatch = Type.Union([
  Type.Object({ type: Type.Literal("AddCapability"), capability: CapabilityNameSchema }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("RemoveCapability"), capability: CapabilityNameSchema }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("UpdateScope"), scope: Scope }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal("EnableAutoRestart"), max_restarts: Type.Integer({ minimum: 0, maximum: 65535 }) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal("DisableAutoRestart") }, { additionalProperties: false }),
]);
export type PolicyPatch = Static<typeof PolicyPatch>;

/** Patch type numbers of syscall 501's arg0 (SPEC §8). */
export const PATCH_TYPE = { AddCapability: 0, RemoveCapability: 1, EnableAutoRestart: 2, DisableAutoRestart: 3, UpdateScope: 4 } as const;

/** The `policy` file's patch syntax, for audit lines: `+FsBasic`, `-Capture`, `restart 5`, … */
export function describePatch(p: PolicyPatch): string {
  switch (p.type) {
    case "AddCapability":
      return `+${p.capability}`;
    case "RemoveCapability":
      return `-${p.capability}`;
    case "EnableAutoRestart":
      return `restart ${p.max_restarts}`;
    case "DisableAutoRestart":
      return "norestart";
    case "UpdateScope": {
      const parts: string[] = [];
      if (p.scope.path_prefix !== undefined) parts.push(`path=${p.scope.path_prefix}`);
      if (p.scope.max_file_size !== undefined) parts.push(`max_file_size=${p.scope.max_file_size}`);
      if (p.scope.max_ops_per_sec !== undefined) parts.push(`max_ops_per_sec=${p.scope.max_ops_per_sec}`);
      if (p.scope.docs !== undefined) parts.push(`docs=${p.scope.docs.join(",")}`);
      if (p.scope.net !== undefined) parts.push(`net=${p.scope.net}`);
      return `scope${parts.length ? " " + parts.join(" ") : ""}`;
    }
  }
}
