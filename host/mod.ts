/** The host part of lib/: the only place in lib/ that may import `node:` modules. */
export * from "./process_host.ts";
export * from "./proc_sampler.ts";
export * from "./cgroup_v1.ts";
export * from "./agent_logs.ts";
export { Journal, entryHash, type AuditRecord, type VerifyResult } from "./journal.ts";
export { Durability, type RestoreSummary } from "./durability.ts";
export { procIdentity, resolveUser, type ProcIdentity } from "./proc_reader.ts";
export { secureStateDir, stateFileMode, type StateDirOptions } from "./state_dir.ts";
export { AUDIT_KEY_FILE, createSecretDigest, loadAuditKey } from "./audit_key.ts";
export { detectSandbox, type SandboxSupport } from "./sandbox.ts";
export { AgentSandboxes, DYNAMIC_UID_BASE } from "./agent_sandboxes.ts";
export { NetProxy, type NetDecision, type NetRefusal, type NetStats } from "./net_proxy.ts";
