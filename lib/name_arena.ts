/**
 * Agent names as length-prefixed UTF-8 in one growable byte arena, addressed by a u32 offset
 * kept in the agent table. A JS string per agent would cost ~40 bytes of heap each and create
 * garbage on every spawn; the arena costs 1 + length bytes and allocates nothing for ASCII
 * names. Freed names are counted as garbage and reclaimed by `compact` (cold, O(live bytes)).
 */
export const NAME_MAX_BYTES = 255;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface NameArena {
  /** Append `name`; returns its offset, or -1 when it is longer than NAME_MAX_BYTES. */
  add(name: string): number;
  get(offset: number): string;
  /** Mark the name at `offset` as garbage. */
  free(offset: number): void;
  /** Bytes in use, and bytes that `compact` would reclaim. */
  readonly used: number;
  readonly garbage: number;
  /**
   * Rewrite the live names to the front. `live` lists the offsets still referenced;
   * `moved(i, newOffset)` is called for each so the owner can update its column.
   */
  compact(live: ArrayLike<number>, moved: (i: number, newOffset: number) => void): void;
  byteLength(): number;
}

export function createNameArena(initialBytes = 1 << 16, maxBytes = 1 << 30): NameArena {
  const buf = new ArrayBuffer(initialBytes, { maxByteLength: maxBytes });
  const bytes = new Uint8Array(buf);
  let used = 0;
  let garbage = 0;

  function reserve(n: number): void {
    // Fault in the page 4 KiB ahead now, so no single add pays for a fresh page (see _columns).
    if (used + 4096 < bytes.length) bytes[used + 4096] = bytes[used + 4096];
    if (used + n <= buf.byteLength) return;
    let size = buf.byteLength;
    while (used + n > size) size *= 2;
    buf.resize(Math.min(size, maxBytes));
  }

  return {
    add(name: string): number {
      const n = name.length;
      // ASCII fast path: one byte per UTF-16 unit, no allocation.
      let ascii = n <= NAME_MAX_BYTES;
      for (let i = 0; ascii && i < n; i++) if (name.charCodeAt(i) > 0x7f) ascii = false;
      if (ascii) {
        reserve(n + 1);
        const off = used;
        bytes[off] = n;
        for (let i = 0; i < n; i++) bytes[off + 1 + i] = name.charCodeAt(i);
        used += n + 1;
        return off;
      }
      const encoded = encoder.encode(name);
      if (encoded.length > NAME_MAX_BYTES) return -1;
      reserve(encoded.length + 1);
      const off = used;
      bytes[off] = encoded.length;
      bytes.set(encoded, off + 1);
      used += encoded.length + 1;
      return off;
    },
    get(offset: number): string {
      const n = bytes[offset];
      let ascii = true;
      for (let i = 1; i <= n; i++) if (bytes[offset + i] > 0x7f) ascii = false;
      if (ascii) {
        let s = "";
        for (let i = 1; i <= n; i++) s += String.fromCharCode(bytes[offset + i]);
        return s;
      }
      return decoder.decode(bytes.subarray(offset + 1, offset + 1 + n));
    },
    free(offset: number): void {
      garbage += bytes[offset] + 1;
    },
    get used() {
      return used;
    },
    get garbage() {
      return garbage;
    },
    compact(live: ArrayLike<number>, moved: (i: number, newOffset: number) => void): void {
      const order = Array.from(live, (off, i) => [off, i] as const).sort((x, y) => x[0] - y[0]);
      let w = 0;
      for (const [off, i] of order) {
        const len = bytes[off] + 1;
        bytes.copyWithin(w, off, off + len);
        moved(i, w);
        w += len;
      }
      used = w;
      garbage = 0;
    },
    byteLength(): number {
      return buf.byteLength;
    },
  };
}
