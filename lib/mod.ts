/**
 * The public door of the core. Other folders import `../lib/mod.ts`, never a file inside lib/.
 * Nothing here imports a `node:` module or anything outside lib/ (test/lib/layering.test.ts),
 * so the core also runs on Deno; real processes are `host/`, which implements `AgentHost`.
 */
export * from "./agent_spec.ts";
export * from "./agent_state.ts";
export { FLAG, HANDLE_SLOT_BITS, MAX_AGENTS, createAgentTable, type AgentTable } from "./agent_table.ts";
export { RECENT_FAULTS } from "./agent_ext.ts";
export * from "./capability.ts";
export * from "./clock.ts";
export * from "./compliance_event.ts";
export * from "./compliance_tracker.ts";
export { renderCompliance, REQUIREMENT_LINES } from "./compliance_render.ts";
export * from "./dependency_graph.ts";
export * from "./errno.ts";
export { EVENT_KIND, EVENT_NAMES, SIS_EVENT_KINDS, createEventRing, type EventRing } from "./event_ring.ts";
export * from "./fault.ts";
export * from "./fault_action.ts";
export { BREACH, FaultDetector } from "./fault_detector.ts";
export { LimitTable } from "./limit_table.ts";
export { RecoveryTable, type Recovery } from "./recovery_table.ts";
export * from "./lifecycle.ts";
export * from "./limits.ts";
export * from "./audit_trail.ts";
export * from "./policy_controller.ts";
export * from "./policy_patch.ts";
export * from "./profiler.ts";
export * from "./random.ts";
export * from "./resource_monitor.ts";
export * from "./restart_backoff.ts";
export * from "./supervisor.ts";
export * from "./telemetry.ts";
export { renderAgentInfo, renderAgentStatus } from "./agent_info_render.ts";
export { renderStatus, renderStatusBytes } from "./status_render.ts";
export { AsciiOut } from "./ascii_out.ts";
export { renderTelemetry } from "./telemetry_render.ts";
export { SYS } from "./_context.ts";
export { NAME_MAX_BYTES } from "./name_arena.ts";
export * from "./agent_views_render.ts";
export * from "./fleet_views_render.ts";
export type { AgentHost } from "./agent_host.ts";
export { compiledScript } from "./compiled_script.ts";
export { renderMetrics } from "./metrics_render.ts";
export { renderEventAt, renderEvents } from "./events_render.ts";
export * from "./agent_json.ts";
export * from "./durable_record.ts";
export { auditLine, type AuditRecord } from "./audit_record.ts";
export * from "./sandbox_view.ts";
export * from "./scope_check.ts";
export * from "./net_allowlist.ts";
export * from "./op_rate.ts";
