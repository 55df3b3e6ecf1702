import { open } from "node:fs/promises";
import { decodeReplies, HEADER_SIZE, type ReplyRecord } from "../syscalls/mod.ts";

/**
 * Node client for the `syscall` file: one open, one write of all requests (a batch), then
 * reads until `count` replies are in. Async fs only: safe even inside the daemon's process.
 *
 * @example
 * const [r] = await callSyscalls("/run/agentsys/syscall", [SyscallRequests.heartbeat(1000)]);
 */
export async function callSyscalls(path: string, requests: Uint8Array[]): Promise<ReplyRecord[]> {
  const fh = await open(path, "r+");
  try {
    await fh.write(Buffer.concat(requests)); // one write(2): records must not span writes
    const replies: ReplyRecord[] = [];
    const buf = Buffer.alloc(Math.max(HEADER_SIZE, 1 << 16));
    let pending = Buffer.alloc(0); // bytes of a reply not complete yet
    while (replies.length < requests.length) {
      const { bytesRead } = await fh.read(buf, 0, buf.byteLength, null);
      if (bytesRead === 0) break;
      pending = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
      const { replies: got, rest } = decodeReplies(pending);
      replies.push(...got);
      pending = pending.subarray(pending.byteLength - rest);
    }
    return replies;
  } finally {
    await fh.close();
  }
}
