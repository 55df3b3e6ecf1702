import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

type SchemaLike = TSchema & { anyOf?: SchemaLike[]; properties?: Record<string, SchemaLike>; const?: unknown };

function hasConst(s: SchemaLike | undefined, v: unknown): boolean {
  return s !== undefined && (s.const === v || (s.anyOf?.some((x) => x.const === v) ?? false));
}

/**
 * Cold path, only after a failed check: find the first error, narrowing tagged unions by
 * their `op`/`type` field so the reason points at the field ("/fault/signal"), not at
 * "expected union value".
 */
export function explain(schema: SchemaLike, value: unknown, at: string): { path: string; message: string } {
  if (schema.anyOf && value !== null && typeof value === "object" && !Array.isArray(value)) {
    const rec = value as Record<string, unknown>;
    const key = "op" in rec ? "op" : "type" in rec ? "type" : null;
    if (key) {
      const variant = schema.anyOf.find((v) => hasConst(v.properties?.[key], rec[key]));
      if (variant) return explain(variant, value, at);
      if (schema.anyOf.some((v) => v.properties?.[key])) return { path: `${at}/${key}`, message: `unknown ${key} ${JSON.stringify(rec[key])}` };
    }
  }
  const first = Value.Errors(schema, value).First();
  if (!first) return { path: at, message: "does not match" };
  const sub = first.schema as SchemaLike;
  if (sub.anyOf && first.path !== "") return explain(sub, first.value, at + first.path);
  return { path: at + first.path, message: first.message };
}

