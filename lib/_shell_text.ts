/**
 * Text helpers of the SIS shell's layouts (`../shared/sis-formats.md`), shared by the per-agent
 * views (agent_views_render.ts) and the fleet views (fleet_views_render.ts).
 */
export const RISK_TEXT = ["Minimal (low risk)", "Limited (moderate risk)", "High (requires oversight)", "Unacceptable (PROHIBITED)"];

/** A label padded to `width` and its value, indented two spaces. */
export function kv(label: string, value: string | number, width = 19): string {
  return `  ${label.padEnd(width)}${value}`;
}

/** A limit as SIS printed it, or "unlimited" for 0 (no limit). */
export function orUnlimited(value: number, unit: string): string {
  return value > 0 ? `${value}${unit}` : "unlimited";
}

/** Lines joined, with the final newline the shell printed. */
export function lines(...ls: string[]): string {
  return ls.join("\n") + "\n";
}
