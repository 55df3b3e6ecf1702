import { ERRNO } from "../lib/mod.ts";
import {
  DEFAULT_REPLY_CAPACITY,
  HEADER_SIZE,
  MAX_RECORD,
  OFF_AGENT,
  OFF_ARG0,
  OFF_ARG1,
  OFF_FULL,
  OFF_LEN,
  OFF_MAGIC,
  OFF_NR,
  OFF_RET,
  OFF_VERSION,
  RECORD_VERSION,
  REPLY_MAGIC,
  REQUEST_MAGIC,
} from "./record_layout.ts";

/**
 * Pure encoders and decoders for the binary records of `record_layout.ts`, over DataViews:
 * no I/O, shared by the daemon and the client. Input that is short, long or inconsistent is
 * refused whole, never half-decoded.
 */
export interface RequestRecord {
  nr: number;
  agent: number;
  arg0: number;
  arg1: number;
  payload: Uint8Array;
}

export interface ReplyRecord {
  nr: number;
  ret: number;
  fullLen: number;
  payload: Uint8Array;
}

/** Split a buffer into complete request records. `rest` = bytes of an incomplete last record. */
export function decodeRequests(buf: Uint8Array): { ok: true; records: RequestRecord[]; rest: number } | { ok: false; reason: string; at: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: RequestRecord[] = [];
  let off = 0;
  while (buf.byteLength - off >= HEADER_SIZE) {
    const magic = view.getUint32(off + OFF_MAGIC, true);
    if (magic !== REQUEST_MAGIC) return { ok: false, reason: `record at byte ${off}: bad magic 0x${magic.toString(16).padStart(8, "0")}, expected "ASYS"`, at: off };
    const version = view.getUint16(off + OFF_VERSION, true);
    if (version !== RECORD_VERSION) return { ok: false, reason: `record at byte ${off}: version ${version}, expected ${RECORD_VERSION}`, at: off };
    const len = view.getUint32(off + OFF_LEN, true);
    if (len < HEADER_SIZE || len > MAX_RECORD) return { ok: false, reason: `record at byte ${off}: total_len ${len} outside ${HEADER_SIZE}..${MAX_RECORD}`, at: off };
    if (buf.byteLength - off < len) break;
    const arg0 = view.getBigUint64(off + OFF_ARG0, true);
    const arg1 = view.getBigUint64(off + OFF_ARG1, true);
    if (arg0 > BigInt(Number.MAX_SAFE_INTEGER) || arg1 > BigInt(Number.MAX_SAFE_INTEGER)) {
      return { ok: false, reason: `record at byte ${off}: arg0/arg1 above 2^53`, at: off };
    }
    records.push({
      nr: view.getUint16(off + OFF_NR, true),
      agent: view.getUint32(off + OFF_AGENT, true),
      arg0: Number(arg0),
      arg1: Number(arg1),
      payload: buf.subarray(off + HEADER_SIZE, off + len),
    });
    off += len;
  }
  return { ok: true, records, rest: buf.byteLength - off };
}

/** Encode one request (client side). */
export function encodeRequest(nr: number, agent: number, arg0 = 0, arg1 = 0, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.byteLength);
  const v = new DataView(out.buffer);
  v.setUint32(OFF_MAGIC, REQUEST_MAGIC, true);
  v.setUint16(OFF_VERSION, RECORD_VERSION, true);
  v.setUint16(OFF_NR, nr, true);
  v.setUint32(OFF_LEN, out.byteLength, true);
  v.setUint32(OFF_AGENT, agent >>> 0, true);
  v.setBigUint64(OFF_ARG0, BigInt(arg0), true);
  v.setBigUint64(OFF_ARG1, BigInt(arg1), true);
  out.set(payload, HEADER_SIZE);
  return out;
}

/** Encode one reply; a body larger than `capacity` becomes E2BIG with the needed size. */
export function encodeReply(nr: number, ret: number, body: Uint8Array | null, capacity = DEFAULT_REPLY_CAPACITY): Uint8Array {
  const tooBig = body !== null && body.byteLength > capacity;
  const payload = body === null || tooBig ? null : body;
  const out = new Uint8Array(HEADER_SIZE + (payload?.byteLength ?? 0));
  const v = new DataView(out.buffer);
  v.setUint32(OFF_MAGIC, REPLY_MAGIC, true);
  v.setUint16(OFF_VERSION, RECORD_VERSION, true);
  v.setUint16(OFF_NR, nr, true);
  v.setUint32(OFF_LEN, out.byteLength, true);
  v.setBigInt64(OFF_RET, BigInt(tooBig ? ERRNO.E2BIG : ret), true);
  v.setBigUint64(OFF_FULL, BigInt(body?.byteLength ?? 0), true);
  if (payload) out.set(payload, HEADER_SIZE);
  return out;
}

/** Split a buffer into complete replies (client side). */
export function decodeReplies(buf: Uint8Array): { replies: ReplyRecord[]; rest: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const replies: ReplyRecord[] = [];
  let off = 0;
  while (buf.byteLength - off >= HEADER_SIZE) {
    if (view.getUint32(off + OFF_MAGIC, true) !== REPLY_MAGIC) throw new SyntaxError(`Cannot decode reply at byte ${off}: bad magic`);
    const len = view.getUint32(off + OFF_LEN, true);
    if (len < HEADER_SIZE) throw new SyntaxError(`Cannot decode reply at byte ${off}: total_len ${len}`);
    if (buf.byteLength - off < len) break;
    replies.push({
      nr: view.getUint16(off + OFF_NR, true),
      ret: Number(view.getBigInt64(off + OFF_RET, true)),
      fullLen: Number(view.getBigUint64(off + OFF_FULL, true)),
      payload: buf.slice(off + HEADER_SIZE, off + len),
    });
    off += len;
  }
  return { replies, rest: buf.byteLength - off };
}
