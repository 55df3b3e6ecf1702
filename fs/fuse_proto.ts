/**
 * The FUSE kernel protocol (`/usr/include/linux/fuse.h`, 7.38 on this machine kind): request
 * parsing with bounds checks — a short or malformed request is an error value, never an
 * exception — and reply encoding, for the `/dev/fuse` backend. Little-endian, as on
 * every machine this runs on. Only the structures the tree needs.
 */
export const FUSE_KERNEL_VERSION = 7;
export const FUSE_KERNEL_MINOR_VERSION = 31; // what we speak; the kernel adapts to the lower

export const OP = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  ACCESS: 34,
  INTERRUPT: 36,
  DESTROY: 38,
  BATCH_FORGET: 42,
} as const;

export const IN_HEADER_SIZE = 40;
const utf8 = new TextDecoder();
const toUtf8 = new TextEncoder();
export const OUT_HEADER_SIZE = 16;
/** fuse_attr is 88 bytes; fuse_entry_out = 40 + attr, fuse_attr_out = 16 + attr. */
const ATTR_SIZE = 88;

export const FOPEN_DIRECT_IO = 1 << 0;
export const FATTR_SIZE = 1 << 3;
// INIT flags we ask for or must know about.
export const FUSE_ASYNC_READ = 1 << 0;
export const FUSE_BIG_WRITES = 1 << 5;
export const FUSE_DONT_MASK = 1 << 6;
export const FUSE_MAX_PAGES = 1 << 22;
export const FUSE_PARALLEL_DIROPS = 1 << 18;

export interface InHeader {
  len: number;
  opcode: number;
  unique: bigint;
  nodeid: bigint;
  uid: number;
  gid: number;
  pid: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The header of one request, and its body, from what one read(2) of /dev/fuse returned. */
export function parseRequest(buf: Uint8Array): Parsed<{ header: InHeader; body: Uint8Array }> {
  if (buf.byteLength < IN_HEADER_SIZE) return { ok: false, reason: `request of ${buf.byteLength} bytes, shorter than its header` };
  const v = view(buf);
  const len = v.getUint32(0, true);
  if (len < IN_HEADER_SIZE || len > buf.byteLength) return { ok: false, reason: `request length ${len} outside ${IN_HEADER_SIZE}..${buf.byteLength}` };
  const header: InHeader = {
    len,
    opcode: v.getUint32(4, true),
    unique: v.getBigUint64(8, true),
    nodeid: v.getBigUint64(16, true),
    uid: v.getUint32(24, true),
    gid: v.getUint32(28, true),
    pid: v.getUint32(32, true),
  };
  const extlen = v.getUint16(36, true) * 8;
  if (IN_HEADER_SIZE + extlen > len) return { ok: false, reason: `extensions of ${extlen} bytes beyond the request` };
  return { ok: true, value: { header, body: buf.subarray(IN_HEADER_SIZE, len - extlen) } };
}

/** A bounds-checked reader of one request body. */
export class BodyReader {
  readonly #v: DataView;
  readonly #b: Uint8Array;
  #at = 0;

  constructor(body: Uint8Array) {
    this.#b = body;
    this.#v = view(body);
  }

  /** Has `n` more bytes. */
  has(n: number): boolean {
    return this.#at + n <= this.#b.byteLength;
  }

  u32(): number {
    if (!this.has(4)) throw new ShortBody();
    const x = this.#v.getUint32(this.#at, true);
    this.#at += 4;
    return x;
  }

  u64(): number {
    if (!this.has(8)) throw new ShortBody();
    const x = this.#v.getBigUint64(this.#at, true);
    this.#at += 8;
    return x > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(x);
  }

  skip(n: number): void {
    if (!this.has(n)) throw new ShortBody();
    this.#at += n;
  }

  /** A NUL-terminated name (LOOKUP). */
  cstring(): string {
    const end = this.#b.indexOf(0, this.#at);
    if (end < 0) throw new ShortBody();
    const s = utf8.decode(this.#b.subarray(this.#at, end));
    this.#at = end + 1;
    return s;
  }

  /** The next `n` bytes (WRITE data), valid as long as the request buffer is. */
  bytes(n: number): Uint8Array {
    if (!this.has(n)) throw new ShortBody();
    const out = this.#b.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
}

/** Thrown by BodyReader and caught by the dispatcher: the request is answered EINVAL. */
export class ShortBody extends Error {
  constructor() {
    super("request body shorter than its structure");
  }
}

/** A reply: header + body in one buffer (the length is filled in). */
export function encodeReply(unique: bigint, error: number, body?: Uint8Array): Uint8Array {
  const n = OUT_HEADER_SIZE + (error === 0 && body ? body.byteLength : 0);
  const out = new Uint8Array(n);
  writeOutHeader(out, n, error, unique);
  if (error === 0 && body) out.set(body, OUT_HEADER_SIZE);
  return out;
}

/** fuse_out_header into `out` (16 bytes): for replies written as header + body with writev. */
export function writeOutHeader(out: Uint8Array, len: number, error: number, unique: bigint): void {
  const v = view(out);
  v.setUint32(0, len, true);
  v.setInt32(4, error, true);
  v.setBigUint64(8, unique, true);
}

export interface Attr {
  ino: number;
  size: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

function writeAttr(v: DataView, at: number, a: Attr): void {
  const sec = BigInt(Math.floor(a.mtimeMs / 1000));
  const nsec = Math.floor((a.mtimeMs % 1000) * 1e6);
  v.setBigUint64(at, BigInt(a.ino), true);
  v.setBigUint64(at + 8, BigInt(a.size), true);
  v.setBigUint64(at + 16, BigInt(Math.ceil(a.size / 512)), true);
  for (const off of [24, 32, 40]) v.setBigUint64(at + off, sec, true); // atime mtime ctime
  for (const off of [48, 52, 56]) v.setUint32(at + off, nsec, true);
  v.setUint32(at + 60, a.mode, true);
  v.setUint32(at + 64, a.nlink, true);
  v.setUint32(at + 68, a.uid, true);
  v.setUint32(at + 72, a.gid, true);
  v.setUint32(at + 76, 0, true); // rdev
  v.setUint32(at + 80, 4096, true); // blksize
  v.setUint32(at + 84, 0, true); // flags
}

/** fuse_entry_out (LOOKUP). Timeouts in seconds (fractions allowed). */
export function entryOut(nodeid: number, attr: Attr, entryValid: number, attrValid: number): Uint8Array {
  const out = new Uint8Array(40 + ATTR_SIZE);
  const v = view(out);
  v.setBigUint64(0, BigInt(nodeid), true);
  v.setBigUint64(8, 0n, true); // generation
  setValid(v, 16, 32, entryValid);
  setValid(v, 24, 36, attrValid);
  writeAttr(v, 40, attr);
  return out;
}

/** fuse_attr_out (GETATTR, SETATTR). */
export function attrOut(attr: Attr, attrValid: number): Uint8Array {
  const out = new Uint8Array(16 + ATTR_SIZE);
  const v = view(out);
  setValid(v, 0, 8, attrValid);
  writeAttr(v, 16, attr);
  return out;
}

function setValid(v: DataView, secAt: number, nsecAt: number, seconds: number): void {
  v.setBigUint64(secAt, BigInt(Math.floor(seconds)), true);
  v.setUint32(nsecAt, Math.round((seconds % 1) * 1e9), true);
}

/** fuse_open_out. */
export function openOut(fh: number, openFlags: number): Uint8Array {
  const out = new Uint8Array(16);
  const v = view(out);
  v.setBigUint64(0, BigInt(fh), true);
  v.setUint32(8, openFlags, true);
  return out;
}

/** fuse_write_out. */
export function writeOut(size: number): Uint8Array {
  const out = new Uint8Array(8);
  view(out).setUint32(0, size, true);
  return out;
}

/** fuse_statfs_out: a tree with no blocks to give. */
export function statfsOut(): Uint8Array {
  const out = new Uint8Array(80);
  const v = view(out);
  v.setUint32(40, 4096, true); // bsize
  v.setUint32(44, 255, true); // namelen
  v.setUint32(48, 4096, true); // frsize
  return out;
}

/** fuse_init_out for the kernel's fuse_init_in. */
export function initOut(kernelMinor: number, kernelFlags: number, maxWrite: number): Uint8Array {
  const out = new Uint8Array(64);
  const v = view(out);
  v.setUint32(0, FUSE_KERNEL_VERSION, true);
  v.setUint32(4, Math.min(kernelMinor, FUSE_KERNEL_MINOR_VERSION), true);
  v.setUint32(8, 0, true); // max_readahead: none (direct_io everywhere)
  const want = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES;
  v.setUint32(12, kernelFlags & want, true);
  v.setUint16(16, 16, true); // max_background
  v.setUint16(18, 12, true); // congestion_threshold
  v.setUint32(20, maxWrite, true);
  v.setUint32(24, 1, true); // time_gran: 1 ns
  v.setUint16(28, Math.ceil(maxWrite / 4096), true); // max_pages
  return out;
}

export const DT_DIR = 4;
export const DT_REG = 8;
export const DT_LNK = 10;

/**
 * fuse_dirent records from `offset` on, as many as fit in `size` bytes. Each record's `off` is
 * the offset of the next one (its index + 1), as READDIR continues from it.
 */
export function direntsOut(entries: { ino: number; name: string; type: number }[], offset: number, size: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, Math.min(size, 1 << 20)));
  const v = view(out);
  let at = 0;
  for (let i = offset; i < entries.length; i++) {
    const name = toUtf8.encode(entries[i].name);
    const rec = (24 + name.byteLength + 7) & ~7;
    if (at + rec > out.byteLength) break;
    v.setBigUint64(at, BigInt(entries[i].ino), true);
    v.setBigUint64(at + 8, BigInt(i + 1), true);
    v.setUint32(at + 16, name.byteLength, true);
    v.setUint32(at + 20, entries[i].type, true);
    out.set(name, at + 24); // the padding after the name stays zero
    at += rec;
  }
  return out.subarray(0, at);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
