import { readSync } from "node:fs";
import { workerData } from "node:worker_threads";
import { RING, ringViews, type RingLayout } from "./devfuse_ring.ts";

/**
 * The /dev/fuse reader thread (a worker of the devfuse backend): blocks in read(2) on the
 * device into the next free slot of the shared ring and publishes each request (see
 * devfuse_ring.ts). Stops when the connection goes (ENODEV: unmounted) or the backend closes.
 */
const { fd, sab, layout } = workerData as { fd: number; sab: SharedArrayBuffer; layout: RingLayout };
const { ctl, lengths, slot } = ringViews(sab, layout);

let head = Atomics.load(ctl, RING.HEAD);
for (;;) {
  if (Atomics.load(ctl, RING.CLOSED)) break;
  const tail = Atomics.load(ctl, RING.TAIL);
  if (head - tail >= layout.slots) {
    Atomics.wait(ctl, RING.TAIL, tail); // full: until the JS thread hands a slot back
    continue;
  }
  let n: number;
  try {
    n = readSync(fd, slot(head), 0, layout.slotBytes, null);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // EINTR: a signal; EAGAIN: nothing yet; ENOENT: the request was interrupted meanwhile.
    if (code === "EINTR" || code === "EAGAIN" || code === "ENOENT") continue;
    // ENODEV: unmounted. Anything else (EBADF after a close…) also ends the connection: a
    // slot with a negative length (−errno) tells the JS thread, published like a request so
    // that its wait cannot miss it.
    lengths[head % layout.slots] = -Math.abs((e as { errno?: number }).errno ?? 5) || -5;
    Atomics.store(ctl, RING.HEAD, head + 1);
    Atomics.notify(ctl, RING.HEAD);
    break;
  }
  lengths[head % layout.slots] = n;
  head++;
  Atomics.store(ctl, RING.HEAD, head);
  Atomics.notify(ctl, RING.HEAD);
}
