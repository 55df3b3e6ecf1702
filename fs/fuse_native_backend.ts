import Fuse from "fuse-native";
import { DEFAULT_MAX_WRITE, type BackendFactory, type FileStat } from "./backend.ts";
import { ERRNO } from "../lib/mod.ts";

const { EIO, EPERM } = ERRNO;

/**
 * fuse-native (libfuse 2.9) backend. Rules from ../shared/FUSE-NOTES.md §0: every callback
 * gets a number first; handlers never throw (exceptions → EIO); `direct_io`, `big_writes`
 * and `max_write` are appended to the option string (fuse-native's allow-list lacks them);
 * timeouts are strings ("0" would be dropped); `force` clears a stale mount at start and
 * `autoUnmount` removes the mount if the daemon dies.
 */
export const createFuseNativeBackend: BackendFactory = (mountpoint, ops, options) => {
  const guard = <T>(fallback: T, fn: () => T): T => {
    try {
      return fn();
    } catch {
      return fallback;
    }
  };
  const stat = (s: FileStat) => ({
    mode: s.mode,
    size: s.size,
    nlink: s.nlink,
    uid: s.uid,
    gid: s.gid,
    mtime: s.mtime,
    atime: s.mtime,
    ctime: s.mtime,
    dev: 0,
    ino: 0,
    rdev: 0,
    blksize: 4096,
    blocks: 0,
  });
  const refuse = (...args: unknown[]) => (args[args.length - 1] as (n: number) => void)(EPERM);

  const handlers = {
    getattr(path: string, cb: (err: number, st?: unknown) => void) {
      const r = guard<FileStat | number>(EIO, () => ops.getattr(path));
      if (typeof r === "number") cb(r);
      else cb(0, stat(r));
    },
    readdir(path: string, cb: (err: number, names?: string[]) => void) {
      const r = guard<string[] | number>(EIO, () => ops.readdir(path));
      if (typeof r === "number") cb(r);
      else cb(0, r);
    },
    open(path: string, flags: number, cb: (err: number, fh?: number) => void) {
      const r = guard(EIO, () => ops.open(path, flags));
      if (r < 0) cb(r);
      else cb(0, r);
    },
    read(path: string, fh: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) {
      const r = guard<Uint8Array | number>(EIO, () => ops.read(path, fh, len, pos));
      if (typeof r === "number") return cb(r);
      const n = Math.min(r.byteLength, len);
      buf.set(r.subarray(0, n), 0);
      cb(n);
    },
    write(path: string, fh: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) {
      // buf points into libfuse memory and is detached after the call: the tree copies.
      const r = guard<number | Promise<number>>(EIO, () => ops.write(path, fh, buf.subarray(0, len), pos));
      if (typeof r === "number") return cb(r);
      r.then((n) => cb(typeof n === "number" ? n : EIO), () => cb(EIO));
    },
    release(path: string, fh: number, cb: (n: number) => void) {
      guard(0, () => ops.release(path, fh));
      cb(0);
    },
    truncate(path: string, size: number, cb: (n: number) => void) {
      cb(guard(EIO, () => ops.truncate(path, size)));
    },
    ftruncate(path: string, _fh: number, size: number, cb: (n: number) => void) {
      cb(guard(EIO, () => ops.truncate(path, size)));
    },
    readlink(path: string, cb: (err: number, target?: string) => void) {
      const r = guard<string | number>(EIO, () => ops.readlink(path));
      if (typeof r === "number") cb(r);
      else cb(0, r);
    },
    // A procfs-like tree: nothing can be created, removed, renamed or re-owned.
    chmod: refuse,
    chown: refuse,
    utimens: refuse,
    create: refuse,
    mknod: refuse,
    unlink: refuse,
    rename: refuse,
    link: refuse,
    symlink: refuse,
    mkdir: refuse,
    rmdir: refuse,
    setxattr: refuse,
    removexattr: refuse,
  };

  const fuse = new Fuse(mountpoint, handlers as never, {
    force: true,
    mkdir: true,
    autoUnmount: true,
    allowOther: options.allowOther ?? false,
    defaultPermissions: true,
    attrTimeout: "1",
    entryTimeout: "0.5",
    debug: options.debug ?? false,
    timeout: false,
  });
  const base = fuse._fuseOptions.bind(fuse);
  const extra = `direct_io,big_writes,max_write=${options.maxWrite ?? DEFAULT_MAX_WRITE}`;
  fuse._fuseOptions = () => {
    const s = base();
    return s ? `${s},${extra}` : `-o${extra}`;
  };

  return {
    mount: () => new Promise<void>((resolve, reject) => fuse.mount((err) => (err ? reject(err) : resolve()))),
    unmount: () => new Promise<void>((resolve) => fuse.unmount(() => resolve())),
    threadRecords: () => fuse._threads.size,
  };
};
