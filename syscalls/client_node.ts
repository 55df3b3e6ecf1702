import { open } from "node:fs/promises";
import { decodeReplies, type ReplyRecord } from "./client.ts";
import { HEADER_SIZE } from "./record_layout.ts";

/**
 * Node client for the `syscall` file: one open, one write of all requests (a batch), then
 * reads until `count` replies are in. Async fs only: safe even inside the daemon's process.
 *
 * @example
 * const [r] = await callSyscalls("/run/agentsys/syscall", [SyscallRequests.heartbeat(1000)]);
 */
export async function callSyscalls(path: string, requests: Uint8Array[]): Promise<ReplyRecord[]> {
  const total = requests.reduce((n, r) => n + r.byteLength, 0);
  const batch = new Uint8Array(total);
  let off = 0;
  for (const r of requests) {
    batch.set(r, off);
    off += r.byteLength;
  }
  const fh = await open(path, "r+");
  try {
    await fh.write(batch, 0, batch.byteLength);
    const chunks: Uint8Array[] = [];
    let have = 0;
    const replies: ReplyRecord[] = [];
    while (replies.length < requests.length) {
      const buf = Buffer.alloc(Math.max(HEADER_SIZE, 1 << 16));
      const { bytesRead } = await fh.read(buf, 0, buf.byteLength, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      have += bytesRead;
      const all = Buffer.concat(chunks, have);
      const { replies: got, rest } = decodeReplies(all);
      replies.push(...got);
      chunks.length = 0;
      have = 0;
      if (rest > 0) {
        chunks.push(all.subarray(all.byteLength - rest));
        have = rest;
      }
    }
    return replies;
  } finally {
    await fh.close();
  }
}
