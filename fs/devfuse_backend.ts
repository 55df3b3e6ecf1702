import { spawn, type ChildProcess } from "node:child_process";
import { Worker } from "node:worker_threads";
import { closeSync, openSync, read, writeFileSync, writeSync, writevSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { compiledScript, ERRNO } from "../lib/mod.ts";
import { DEFAULT_MAX_WRITE, S_IFDIR, S_IFLNK, type BackendFactory, type FileStat, type FsBackend, type FsCaller, type FsOps, type MountOptions } from "./backend.ts";
import { clearStaleMount, connectionAbortFile, run } from "./devfuse_mount.ts";
import { RING, ringBytes, ringViews, type RingLayout } from "./devfuse_ring.ts";
import { attrOut, BodyReader, direntsOut, DT_DIR, DT_LNK, DT_REG, encodeReply, entryOut, FATTR_SIZE, FOPEN_DIRECT_IO, initOut, OP, openOut, OUT_HEADER_SIZE, parseRequest, ShortBody, statfsOut, writeOut, writeOutHeader, type Attr, type InHeader } from "./fuse_proto.ts";

const { EINVAL, EIO, ENODEV, ENOSYS, ENOENT, ENOTDIR, EPERM, EPROTO } = ERRNO;
/** Requests the reader may hold read ahead of the JS thread. */
const RING_SLOTS = 8;
/** How long the kernel may cache a name and a node's attributes (as the fuse-native backend). */
const ENTRY_VALID_S = 0.5;
const ATTR_VALID_S = 1;

/**
 * The `/dev/fuse` backend: the kernel protocol spoken in TypeScript, no libfuse.
 * Mounts as root with mount(8) (`-i`: no helper), handing it the open /dev/fuse descriptor as
 * fd 3 (`fd=3`). A reader thread reads requests into a shared ring (devfuse_ring.ts); the JS
 * thread answers each with one write(2), as many as are waiting per wake-up. A watchdog
 * process detaches the mount when the daemon dies (fuse-native's `auto_unmount`): it waits for
 * a pipe from the daemon to close.
 */
export const createDevFuseBackend: BackendFactory = (mountpoint, ops, options) => new DevFuseBackend(mountpoint, ops, options);

interface Node {
  path: string;
  lookups: number;
}

class DevFuseBackend implements FsBackend {
  readonly #mountpoint: string;
  readonly #ops: FsOps;
  readonly #maxWrite: number;
  readonly #allowOther: boolean;
  #fd = -1;
  #closed = false;
  #watchdog: ChildProcess | null = null;
  #ring: Int32Array | null = null;
  #abortFile: string | null = null;
  readonly #nodes = new Map<number, Node>([[1, { path: "/", lookups: 1 }]]);
  readonly #ids = new Map<string, number>([["/", 1]]);
  #nextId = 2;
  #initDone: ((err: Error | null) => void) | null = null;
  readonly #header = new Uint8Array(OUT_HEADER_SIZE);
  readonly #caller: FsCaller = { uid: 0, gid: 0, pid: 0 };

  constructor(mountpoint: string, ops: FsOps, options: MountOptions) {
    this.#mountpoint = mountpoint;
    this.#ops = ops;
    this.#maxWrite = options.maxWrite ?? DEFAULT_MAX_WRITE;
    this.#allowOther = options.allowOther ?? false;
  }

  async mount(): Promise<void> {
    await clearStaleMount(this.#mountpoint);
    await mkdir(this.#mountpoint, { recursive: true }); // as fuse-native's `mkdir` option
    this.#fd = openSync("/dev/fuse", "r+");
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const opts = [`fd=3`, "rootmode=40000", `user_id=${uid}`, `group_id=${gid}`, "default_permissions", ...(this.#allowOther ? ["allow_other"] : []), `max_read=${this.#maxWrite}`];
    const initDone = new Promise<void>((resolve, reject) => (this.#initDone = (err) => (err ? reject(err) : resolve())));
    try {
      await run("mount", ["-i", "-t", "fuse.agentsys", "-o", opts.join(","), "agentsys", this.#mountpoint], ["ignore", "ignore", "pipe", this.#fd]);
    } catch (e) {
      this.#close();
      throw e;
    }
    this.#abortFile = await connectionAbortFile(this.#mountpoint);
    process.once("exit", this.#onExit);
    // Reads before the mount fail (EPERM: no connection yet); the kernel's INIT comes first.
    // Deno's workers cannot use a descriptor opened by the main thread (its fs descriptors
    // are per isolate): there, reads go through the async fs API (Deno's blocking-task
    // threads, two reads in flight).
    if ("Deno" in globalThis) {
      this.#readLoop();
      this.#readLoop();
    } else this.#startReader();
    await initDone;
    // The watchdog: `read` returns when the daemon's end of its stdin closes (the daemon died
    // or unmounted), then it detaches the mount. It gets no other descriptor of ours.
    this.#watchdog = spawn("sh", ["-c", 'read _ ; umount -l "$1" 2>/dev/null', "agentsys-watchdog", this.#mountpoint], { stdio: ["pipe", "ignore", "ignore"], detached: true });
    this.#watchdog.stdin!.on("error", () => {});
    this.#watchdog.unref();
  }

  async unmount(): Promise<void> {
    if (this.#closed) return;
    await run("umount", ["-l", this.#mountpoint]).catch(() => run("fusermount3", ["-uz", this.#mountpoint]).catch(() => {}));
    this.#watchdog?.stdin?.end();
    this.#close();
  }

  /** The process exits without unmount() (an uncaught exception…): end the connection anyway. */
  readonly #onExit = (): void => this.#close();

  /**
   * Ends the connection. The reader thread is blocked in read(2) on the device, which holds
   * the device file open: closing our descriptor does not end the connection then, and Node
   * waits for that thread at exit — a daemon that never exits while a client keeps a file of
   * the tree open (measured: until the client closed it; forever if a request was in flight).
   * Aborting the connection through fusectl fails every waiting request (ENOTCONN for the
   * clients, as when a fuse-native daemon exits) and wakes the reader with ENODEV.
   */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    process.removeListener("exit", this.#onExit);
    if (this.#ring) {
      Atomics.store(this.#ring, RING.CLOSED, 1);
      Atomics.notify(this.#ring, RING.TAIL); // a reader waiting for a free slot
    }
    if (this.#abortFile) {
      try {
        writeFileSync(this.#abortFile, "1"); // fusectl: not our mount, so a sync write is safe
      } catch {
        /* the connection is gone already */
      }
    }
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  /** The reader thread and the shared ring (devfuse_ring.ts); this thread answers. */
  #startReader(): void {
    const layout: RingLayout = { slots: RING_SLOTS, slotBytes: this.#maxWrite + 8192 };
    const sab = new SharedArrayBuffer(ringBytes(layout));
    const { ctl, lengths, slot } = ringViews(sab, layout);
    const reader = new Worker(compiledScript(import.meta.url, "fs", "devfuse_reader"), { workerData: { fd: this.#fd, sab, layout } });
    // Not unref'd: while the connection lives, the reader keeps the daemon alive (it ends on
    // ENODEV or when close() sets CLOSED).
    reader.on("error", (e) => {
      this.#initDone?.(e);
      this.#close();
    });
    this.#ring = ctl;
    let tail = 0;
    const pump = (): void => {
      for (;;) {
        let head: number;
        while (tail < (head = Atomics.load(ctl, RING.HEAD))) {
          const i = tail % layout.slots;
          const n = lengths[i];
          if (this.#closed) return;
          if (n < 0) {
            // The reader stopped: ENODEV is the unmount; anything else ends the connection too.
            if (n !== ENODEV) this.#initDone?.(new Error(`reading /dev/fuse failed: errno ${-n}`));
            return this.#close();
          }
          this.#handle(slot(i).subarray(0, n));
          tail++;
          Atomics.store(ctl, RING.TAIL, tail);
          Atomics.notify(ctl, RING.TAIL);
        }
        if (this.#closed) return;
        // One wake-up for whatever the reader publishes next (several requests, under load).
        const w = Atomics.waitAsync(ctl, RING.HEAD, head);
        if (w.async) {
          void w.value.then(pump);
          return;
        }
      }
    };
    pump();
  }

  /** One read of the device at a time through the async fs API, each request handled as it comes. */
  #readLoop(): void {
    const buf = Buffer.alloc(this.#maxWrite + 8192);
    const again = () => {
      if (this.#closed) return;
      read(this.#fd, buf, 0, buf.byteLength, null, (err, n) => {
        if (this.#closed) return;
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === "ENODEV") return this.#close(); // unmounted: the connection is gone
          if (code === "EINTR" || code === "EAGAIN" || code === "ENOENT") return again(); // ENOENT: an interrupted request
          this.#initDone?.(err);
          return this.#close();
        }
        this.#handle(buf.subarray(0, n));
        again();
      });
    };
    again();
  }

  #reply(unique: bigint, error: number, body?: Uint8Array): void {
    if (this.#closed) return;
    try {
      if (error !== 0 || !body || body.byteLength === 0) {
        writeSync(this.#fd, encodeReply(unique, error));
      } else {
        // Header and body in one writev: no copy of the body (a read's snapshot, up to 128 KiB).
        writeOutHeader(this.#header, OUT_HEADER_SIZE + body.byteLength, 0, unique);
        writevSync(this.#fd, [this.#header, body]);
      }
    } catch {
      /* the request was interrupted or the connection is gone: nobody waits for this answer */
    }
  }

  #handle(buf: Uint8Array): void {
    const p = parseRequest(buf);
    if (!p.ok) return; // without a header there is nobody to answer
    const { header: h, body } = p.value;
    // One object, refilled per request (the tree copies what it keeps).
    this.#caller.uid = h.uid;
    this.#caller.gid = h.gid;
    this.#caller.pid = h.pid;
    this.#ops.setCaller?.(this.#caller);
    try {
      this.#dispatch(h, new BodyReader(body));
    } catch (e) {
      this.#reply(h.unique, e instanceof ShortBody ? EINVAL : EIO);
    }
  }

  #path(h: InHeader): string | null {
    return this.#nodes.get(Number(h.nodeid))?.path ?? null;
  }

  #attr(path: string, st: FileStat): Attr {
    return { ino: this.#ids.get(path) ?? inoOf(path), size: st.size, mode: st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid, mtimeMs: st.mtime.getTime() };
  }

  #dispatch(h: InHeader, r: BodyReader): void {
    const ops = this.#ops;
    const u = h.unique;
    switch (h.opcode) {
      case OP.INIT: {
        const major = r.u32();
        const minor = r.u32();
        r.u32(); // max_readahead
        const flags = r.u32();
        if (major !== 7) {
          this.#reply(u, EPROTO);
          this.#initDone?.(new Error(`kernel FUSE protocol ${major}.${minor}, this backend speaks 7.x`));
          return;
        }
        this.#reply(u, 0, initOut(minor, flags, this.#maxWrite));
        this.#initDone?.(null);
        this.#initDone = null;
        return;
      }
      case OP.DESTROY:
        this.#reply(u, 0);
        return;
      case OP.FORGET:
        this.#forget(Number(h.nodeid), r.u64());
        return;
      case OP.BATCH_FORGET: {
        const count = r.u32();
        r.u32();
        for (let i = 0; i < count && r.has(16); i++) this.#forget(r.u64(), r.u64());
        return;
      }
      case OP.INTERRUPT:
        return; // every request is answered at once or soon; nothing to interrupt
    }
    const path = this.#path(h);
    if (path === null) return this.#reply(u, ENOENT);
    switch (h.opcode) {
      case OP.LOOKUP: {
        const name = r.cstring();
        if (name.includes("/") || name === "" || name === "." || name === "..") return this.#reply(u, ENOENT);
        const child = path === "/" ? `/${name}` : `${path}/${name}`;
        const st = ops.getattr(child);
        if (typeof st === "number") return this.#reply(u, st);
        let id = this.#ids.get(child);
        if (id === undefined) {
          id = this.#nextId++;
          this.#ids.set(child, id);
          this.#nodes.set(id, { path: child, lookups: 0 });
        }
        this.#nodes.get(id)!.lookups++;
        return this.#reply(u, 0, entryOut(id, this.#attr(child, st), ENTRY_VALID_S, ATTR_VALID_S));
      }
      case OP.GETATTR:
        return this.#replyAttr(u, path);
      case OP.SETATTR: {
        const valid = r.u32();
        r.u32();
        r.u64(); // fh
        const size = r.u64();
        // Only truncation (`>` opens with O_TRUNC); modes, owners and times are fixed.
        if (valid & ~(FATTR_SIZE | FATTR_LOCKOWNER | FATTR_TIMES)) return this.#reply(u, EPERM);
        if (valid & FATTR_SIZE) {
          const t = ops.truncate(path, size);
          if (t < 0) return this.#reply(u, t);
        }
        return this.#replyAttr(u, path);
      }
      case OP.READLINK: {
        const target = ops.readlink(path);
        return typeof target === "number" ? this.#reply(u, target) : this.#reply(u, 0, Buffer.from(target));
      }
      case OP.OPEN: {
        const flags = r.u32();
        const fh = ops.open(path, flags);
        return fh < 0 ? this.#reply(u, fh) : this.#reply(u, 0, openOut(fh, FOPEN_DIRECT_IO));
      }
      case OP.READ: {
        const fh = r.u64();
        const offset = r.u64();
        const size = r.u32();
        const out = ops.read(path, fh, size, offset);
        return typeof out === "number" ? this.#reply(u, out) : this.#reply(u, 0, out);
      }
      case OP.WRITE: {
        const fh = r.u64();
        const offset = r.u64();
        const size = r.u32();
        r.skip(4 + 8 + 4 + 4); // write_flags, lock_owner, flags, padding (7.9+)
        const data = r.bytes(size); // the tree copies it during the call
        const n = ops.write(path, fh, data, offset);
        const answer = (k: number) => (k < 0 ? this.#reply(u, k) : this.#reply(u, 0, writeOut(k)));
        if (typeof n === "number") return answer(n);
        n.then(answer, () => this.#reply(u, EIO));
        return;
      }
      case OP.RELEASE: {
        const fh = r.u64();
        ops.release(path, fh);
        return this.#reply(u, 0);
      }
      case OP.OPENDIR: {
        const st = ops.getattr(path);
        if (typeof st === "number") return this.#reply(u, st);
        if ((st.mode & 0o170000) !== S_IFDIR) return this.#reply(u, ENOTDIR);
        return this.#reply(u, 0, openOut(0, 0));
      }
      case OP.READDIR: {
        r.u64(); // fh
        const offset = r.u64();
        const size = r.u32();
        const names = ops.readdir(path);
        if (typeof names === "number") return this.#reply(u, names);
        // The tree lists "." and ".." itself (libfuse passes them through as given).
        const entries = names.map((name) => {
          const child = name === "." ? path : name === ".." ? parentOf(path) : path === "/" ? `/${name}` : `${path}/${name}`;
          const st = name === "." || name === ".." ? null : ops.getattr(child);
          const type = st === null ? DT_DIR : typeof st === "number" ? DT_REG : (st.mode & 0o170000) === S_IFDIR ? DT_DIR : (st.mode & 0o170000) === S_IFLNK ? DT_LNK : DT_REG;
          return { ino: this.#ids.get(child) ?? inoOf(child), name, type };
        });
        return this.#reply(u, 0, direntsOut(entries, offset, size));
      }
      case OP.FLUSH:
        // Nothing is buffered (writes are answered when applied): ENOSYS tells the kernel so,
        // and it stops sending FLUSH on every close (fc->no_flush) — one round trip fewer per
        // close(2), as libfuse does for a filesystem without a flush operation.
        return this.#reply(u, ENOSYS);
      case OP.RELEASEDIR:
      case OP.ACCESS: // default_permissions: the kernel has checked already
        return this.#reply(u, 0);
      case OP.STATFS:
        return this.#reply(u, 0, statfsOut());
      default:
        return this.#reply(u, ENOSYS);
    }
  }

  /** GETATTR's answer, also SETATTR's: the node's attributes now. */
  #replyAttr(u: bigint, path: string): void {
    const st = this.#ops.getattr(path);
    if (typeof st === "number") this.#reply(u, st);
    else this.#reply(u, 0, attrOut(this.#attr(path, st), ATTR_VALID_S));
  }

  #forget(nodeid: number, n: number): void {
    if (nodeid === 1) return;
    const node = this.#nodes.get(nodeid);
    if (!node) return;
    node.lookups -= n;
    if (node.lookups <= 0) {
      this.#nodes.delete(nodeid);
      this.#ids.delete(node.path);
    }
  }
}

const FATTR_LOCKOWNER = 1 << 9;
const FATTR_TIMES = (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8); // atime, mtime, atime_now, mtime_now

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** A stable inode number for a name not looked up yet (readdir; glibc skips inode 0). */
function inoOf(path: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193);
  return (h >>> 0) | 0x80000000;
}

