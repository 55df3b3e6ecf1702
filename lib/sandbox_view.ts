import { CAP } from "./capability.ts";
import type { Scope } from "./policy_patch.ts";

/** The device classes a capability opens in the sandbox (host/sandbox.ts maps them to paths). */
export type SandboxDevice = "snd" | "video" | "display";

/**
 * What a sandbox lets an agent touch on the file system, computed from its live policy: the
 * part of a policy that only a new sandbox can change (files, devices, the file-size rlimit).
 * The network part is not here: the proxy reads the live policy on every connection.
 */
export interface SandboxView {
  /** Bound read-write: FsBasic's `scope.path_prefix`, else the working directory. */
  writable: string[];
  /** Bound read-only on top of the system directories: the working directory without FsBasic, DocBasic's `scope.docs`. */
  readable: string[];
  devices: SandboxDevice[];
  /** RLIMIT_FSIZE from `scope.max_file_size`; 0 = none. */
  maxFileSize: number;
}

/**
 * The view a policy gives (docs/sandbox.md has the table). `capabilityMask` is the live mask,
 * `cwd` the agent's working directory as the host resolved it.
 */
export function sandboxView(capabilityMask: number, scope: Scope, cwd: string): SandboxView {
  const has = (cap: number) => (capabilityMask & (1 << cap)) !== 0;
  const writable: string[] = [];
  const readable: string[] = [];
  if (has(CAP.FsBasic)) writable.push(scope.path_prefix ?? cwd);
  if (!has(CAP.FsBasic) || (scope.path_prefix !== undefined && !isBeneath(cwd, scope.path_prefix))) readable.push(cwd);
  if (has(CAP.DocBasic)) for (const d of scope.docs ?? []) if (!readable.includes(d)) readable.push(d);
  const devices: SandboxDevice[] = [];
  if (has(CAP.AudioControl)) devices.push("snd");
  if (has(CAP.Capture)) devices.push("video");
  if (has(CAP.Screenshot)) devices.push("display");
  return { writable, readable, devices, maxFileSize: scope.max_file_size ?? 0 };
}

/**
 * How `next` differs from the `running` view, as readable clauses: `narrower` lists what the
 * running sandbox still allows and the policy no longer does (the agent is restarted into the
 * new one), `wider` what the policy allows and the running sandbox does not yet (applied at
 * the next start).
 */
export function compareViews(running: SandboxView, next: SandboxView): { narrower: string[]; wider: string[] } {
  const narrower: string[] = [];
  const wider: string[] = [];
  for (const p of running.writable) if (!next.writable.some((q) => isBeneath(p, q))) narrower.push(`write under ${p}`);
  for (const p of next.writable) if (!running.writable.some((q) => isBeneath(p, q))) wider.push(`write under ${p}`);
  const canRead = (v: SandboxView, p: string) => [...v.writable, ...v.readable].some((q) => isBeneath(p, q));
  for (const p of running.readable) if (!canRead(next, p)) narrower.push(`read ${p}`);
  for (const p of next.readable) if (!canRead(running, p)) wider.push(`read ${p}`);
  for (const d of running.devices) if (!next.devices.includes(d)) narrower.push(`device ${d}`);
  for (const d of next.devices) if (!running.devices.includes(d)) wider.push(`device ${d}`);
  const r = running.maxFileSize || Infinity;
  const n = next.maxFileSize || Infinity;
  if (n < r) narrower.push(`files over ${next.maxFileSize} bytes`);
  if (n > r) wider.push(`files over ${running.maxFileSize} bytes`);
  return { narrower, wider };
}

/** Is `path` `dir` or beneath it (absolute paths, compared by components)? */
export function isBeneath(path: string, dir: string): boolean {
  if (dir === "/") return path.startsWith("/");
  const d = dir.endsWith("/") ? dir.slice(0, -1) : dir;
  return path === d || path.startsWith(d + "/");
}
