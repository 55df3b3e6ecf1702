/**
 * The shared ring between the /dev/fuse reader thread (devfuse_reader.ts) and the JS thread
 * that answers: `slots` buffers of `slotBytes` in one SharedArrayBuffer, plus counters. The
 * reader blocks in read(2) on the device into the next free slot and publishes it; the JS
 * thread, woken once by `Atomics.waitAsync`, answers every published request in one turn and
 * hands the slots back. No per-request work item, callback object or thread hop into the
 * thread pool (what a `fs.read` per request costs).
 */
export const RING = {
  /** Requests published by the reader (monotonic). */
  HEAD: 0,
  /** Requests the JS thread is done with (monotonic); the reader waits on it when full. */
  TAIL: 1,
  /** Set by the JS thread when it closes: the reader stops. */
  CLOSED: 2,
  /** Control words before the per-slot lengths (a length < 0 is the reader's −errno: it stopped). */
  WORDS: 3,
} as const;

export interface RingLayout {
  slots: number;
  slotBytes: number;
}

/** Bytes for control words, per-slot lengths and slots (slots start 8-aligned). */
export function ringBytes(l: RingLayout): number {
  return slotsOffset(l) + l.slots * l.slotBytes;
}

export function slotsOffset(l: RingLayout): number {
  return Math.ceil(((RING.WORDS + l.slots) * 4) / 8) * 8;
}

/** Views of one ring: control words, lengths, and each slot's bytes. */
export function ringViews(sab: SharedArrayBuffer, l: RingLayout): { ctl: Int32Array; lengths: Int32Array; slot: (i: number) => Uint8Array } {
  const ctl = new Int32Array(sab, 0, RING.WORDS);
  const lengths = new Int32Array(sab, RING.WORDS * 4, l.slots);
  const base = slotsOffset(l);
  const views = Array.from({ length: l.slots }, (_, i) => new Uint8Array(sab, base + i * l.slotBytes, l.slotBytes));
  return { ctl, lengths, slot: (i) => views[i % l.slots] };
}
