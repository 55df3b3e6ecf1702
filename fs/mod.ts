import { AgentFs, type AgentFsOptions } from "./agent_fs.ts";
import { DEFAULT_MAX_WRITE, type BackendFactory } from "./backend.ts";
import { createFuseNativeBackend } from "./fuse_native_backend.ts";

export { AgentFs } from "./agent_fs.ts";
export * from "./backend.ts";
export * from "./node_kind.ts";
export { createFuseNativeBackend } from "./fuse_native_backend.ts";
export { createDevFuseBackend } from "./devfuse_backend.ts";

/** The tree's options (the daemon's uid and gid are the mounting process's) and the mount's. */
export interface MountAgentFsOptions extends Omit<AgentFsOptions, "uid" | "gid" | "maxWrite"> {
  mountpoint: string;
  backend?: BackendFactory;
  allowOther?: boolean;
  debug?: boolean;
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
  const { mountpoint: _m, backend: _b, allowOther: _a, debug: _d, ...treeOptions } = options;
  const fs = new AgentFs({ ...treeOptions, uid, gid, maxWrite: DEFAULT_MAX_WRITE });
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
