import fc from "fast-check";
import t from "tap";
import { AsciiOut } from "../../lib/mod.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

t.test("int() prints as String(n).padStart(width) for every number", async (t) => {
  const numbers = fc.oneof(fc.nat(), fc.integer({ min: -1e6, max: 1e6 }), fc.maxSafeNat(), fc.double(), fc.constantFrom(0, -0, 2 ** 30 - 1, 2 ** 30, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, NaN, Infinity, -Infinity));
  fc.assert(
    fc.property(numbers, fc.nat({ max: 30 }), (n, width) => {
      const out = new AsciiOut(1).text("[").int(n, width).text("]");
      return decode(out.bytes()) === `[${String(n).padStart(width)}]`;
    }),
    { numRuns: 20_000 },
  );
  t.pass("20,000 numbers and widths");
});

t.test("text(), utf8() and nl() grow the buffer as needed", async (t) => {
  const out = new AsciiOut(2);
  for (let i = 0; i < 1000; i++) out.text("abc").int(i, 5).utf8("é").nl();
  const text = decode(out.bytes());
  t.equal(text.split("\n").length, 1001);
  t.equal(text.slice(0, 11), "abc    0é\nab".slice(0, 11));
  t.equal(out.length, new TextEncoder().encode(text).byteLength);
});
