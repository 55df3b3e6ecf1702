import type { AgentHost, AgentSupervisor, AuditRecord, JsonContext } from "../lib/mod.ts";
import { AgentFs } from "./agent_fs.ts";
import { DEFAULT_MAX_WRITE, type BackendFactory } from "./backend.ts";
import { createFuseNativeBackend } from "./fuse_native_backend.ts";

export { AgentFs } from "./agent_fs.ts";
export * from "./backend.ts";
export * from "./node_kind.ts";
export { createFuseNativeBackend } from "./fuse_native_backend.ts";
export { createDevFuseBackend } from "./devfuse_backend.ts";

export interface MountAgentFsOptions {
  sup: AgentSupervisor;
  host?: AgentHost;
  mountpoint: string;
  backend?: BackendFactory;
  allowOther?: boolean;
  debug?: boolean;
  agentLog?: (id: number) => string;
  json?: JsonContext;
  persist?: (scope: "touched" | "all") => number | Promise<number>;
  auditTail?: (limit: number) => AuditRecord[];
  agentUid?: (id: number) => number | undefined;
  agentOfPid?: (pid: number) => number | undefined;
}

export interface MountedAgentFs {
  fs: AgentFs;
  mountpoint: string;
  unmount(): Promise<void>;
}

/**
 * Mount the tree. Resolves when the kernel has sent INIT (the tree is usable). A stale mount
 * at the mountpoint (a daemon that died) is cleared first; a live one is an error.
 *
 * @example
 * const m = await mountAgentFs({ sup, mountpoint: "/run/agentsys" });
 * // … later
 * await m.unmount();
 */
export async function mountAgentFs(options: MountAgentFsOptions): Promise<MountedAgentFs> {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  const gid = typeof process.getgid === "function" ? process.getgid() : 0;
  const fs = new AgentFs({ sup: options.sup, host: options.host, uid, gid, maxWrite: DEFAULT_MAX_WRITE, agentLog: options.agentLog, json: options.json, persist: options.persist, auditTail: options.auditTail, agentUid: options.agentUid, agentOfPid: options.agentOfPid });
  const factory = options.backend ?? createFuseNativeBackend;
  const backend = factory(options.mountpoint, fs, { allowOther: options.allowOther ?? uid === 0, debug: options.debug, maxWrite: DEFAULT_MAX_WRITE });
  await backend.mount();
  if (options.json && backend.threadRecords) options.json.threadRecords = () => backend.threadRecords!();
  let mounted = true;
  return {
    fs,
    mountpoint: options.mountpoint,
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await backend.unmount();
    },
  };
}
