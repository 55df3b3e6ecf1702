/**
 * The interface between the tree (`agent_fs.ts`) and a FUSE binding. The tree answers in
 * plain values or negative errnos and never throws by contract; backends still wrap every
 * call (exceptions → EIO) because a throw inside a binding can leave a dead mount. Two
 * backends implement it: devfuse (the kernel protocol over /dev/fuse) and fuse-native (libfuse 2).
 */
export interface FileStat {
  mode: number; // including S_IFREG / S_IFDIR / S_IFLNK
  size: number;
  nlink: number;
  uid: number;
  gid: number;
  mtime: Date;
}

export interface FsOps {
  getattr(path: string): FileStat | number;
  readdir(path: string): string[] | number;
  open(path: string, flags: number): number; // file handle ≥ 1, or −errno
  read(path: string, fh: number, len: number, pos: number): Uint8Array | number;
  /**
   * `data` is only valid during the call: copy what must be kept. A promise: the answer waits
   * (for the journal's fsync) while other requests are served.
   */
  write(path: string, fh: number, data: Uint8Array, pos: number): number | Promise<number>;
  release(path: string, fh: number): number;
  truncate(path: string, size: number): number;
  readlink(path: string): string | number;
  /**
   * Who makes the requests that follow (until the next call), where the backend can tell:
   * the `/dev/fuse` backend reads it from each request's header; fuse-native cannot.
   */
  setCaller?(caller: FsCaller | null): void;
}

export interface FsCaller {
  uid: number;
  gid: number;
  pid: number;
}

export interface MountOptions {
  /** Let other users in (needs root, or user_allow_other). */
  allowOther?: boolean;
  /** Trace every request (libfuse debug). */
  debug?: boolean;
  /** Largest single FUSE write request; a shorter one ends a write(2) call. */
  maxWrite?: number;
}

export interface FsBackend {
  mount(): Promise<void>;
  unmount(): Promise<void>;
  /** Per-thread records the binding holds, where it has such (a leak indicator). */
  threadRecords?(): number;
}

export type BackendFactory = (mountpoint: string, ops: FsOps, options: MountOptions) => FsBackend;

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const DEFAULT_MAX_WRITE = 131072;
