/**
 * ASCII text built straight into bytes, for renderers on the tree's hot path. `status` at 1000
 * agents took ~500 µs as template strings with `padStart` and `join`, then ~20 µs to encode;
 * digits written into a byte buffer skip both (bench/core: `status` render).
 *
 * Only for ASCII text (names that may hold anything go through `utf8()`).
 *
 * @example
 * const out = new AsciiOut();
 * out.text("  ID ").int(42, 6).nl();
 * out.bytes(); // "  ID     42\n" as bytes
 */
export class AsciiOut {
  #buf: Uint8Array;
  #n = 0;
  static readonly #encoder = new TextEncoder();

  constructor(initialBytes = 4096) {
    this.#buf = new Uint8Array(initialBytes);
  }

  get length(): number {
    return this.#n;
  }

  /** Grow to hold `k` more bytes (callers check first: this is the rare path). */
  #room(k: number): void {
    const next = new Uint8Array(Math.max(this.#buf.byteLength * 2, this.#n + k));
    next.set(this.#buf.subarray(0, this.#n));
    this.#buf = next;
  }

  /** ASCII text (each UTF-16 unit below 0x80 — callers pass fixed labels). */
  text(s: string): this {
    if (this.#n + s.length > this.#buf.byteLength) this.#room(s.length);
    const b = this.#buf;
    let n = this.#n;
    for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
    this.#n = n;
    return this;
  }

  /** Any text, UTF-8 encoded. */
  utf8(s: string): this {
    const bytes = AsciiOut.#encoder.encode(s);
    if (this.#n + bytes.byteLength > this.#buf.byteLength) this.#room(bytes.byteLength);
    this.#buf.set(bytes, this.#n);
    this.#n += bytes.byteLength;
    return this;
  }

  /** A number as `String(n).padStart(width)` would print it. */
  int(n: number, width = 0): this {
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) return this.text(String(n).padStart(width));
    // Digits counted first, then written backwards in place: no scratch buffer, and no
    // floating-point `%` (V8 calls fmod for doubles, which typed-array values are).
    let k = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10) - (Math.floor(m / 10) * 10 > m ? 1 : 0)) k++;
    const w = width > k ? width : k;
    if (this.#n + w > this.#buf.byteLength) this.#room(w);
    const b = this.#buf;
    const start = this.#n;
    const end = start + w;
    for (let p = start; p < end - k; p++) b[p] = 32;
    let p = end;
    if (n < 0x40000000) {
      let m = n | 0;
      do {
        const q = (m / 10) | 0;
        b[--p] = 48 + (m - q * 10);
        m = q;
      } while (m > 0);
    } else {
      let m = n;
      do {
        // m / 10 may round up to the next integer near 2^53; q * 10 is exact below it.
        let q = Math.floor(m / 10);
        if (q * 10 > m) q--;
        b[--p] = 48 + (m - q * 10);
        m = q;
      } while (m > 0);
    }
    this.#n = end;
    return this;
  }

  nl(): this {
    if (this.#n + 1 > this.#buf.byteLength) this.#room(1);
    this.#buf[this.#n++] = 10;
    return this;
  }

  /** The bytes written so far (a copy, so the builder can be reused). */
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.#n);
  }
}
