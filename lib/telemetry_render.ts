import type { AgentSupervisor } from "./supervisor.ts";

/**
 * The `telemetry` file: SIS TelemetrySnapshot JSON (SPEC §6.2) on one line plus a newline.
 *
 * @example
 * JSON.parse(renderTelemetry(sup)).system_metrics.active_agents;
 */
export function renderTelemetry(sup: AgentSupervisor): string {
  return JSON.stringify(sup.telemetry.snapshot()) + "\n";
}
