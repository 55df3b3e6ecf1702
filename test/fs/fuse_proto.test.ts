import fc from "fast-check";
import t from "tap";
import { BodyReader, direntsOut, encodeReply, entryOut, IN_HEADER_SIZE, initOut, parseRequest, ShortBody } from "../../fs/fuse_proto.ts";

/** The /dev/fuse codec: a request is parsed with bounds checks, never trusted. */

function request(opcode: number, body: Uint8Array, len = IN_HEADER_SIZE + body.byteLength): Uint8Array {
  const b = new Uint8Array(IN_HEADER_SIZE + body.byteLength);
  const v = new DataView(b.buffer);
  v.setUint32(0, len, true);
  v.setUint32(4, opcode, true);
  v.setBigUint64(8, 77n, true);
  v.setBigUint64(16, 1n, true);
  v.setUint32(24, 1000, true);
  v.setUint32(28, 1001, true);
  v.setUint32(32, 4242, true);
  b.set(body, IN_HEADER_SIZE);
  return b;
}

t.test("parseRequest reads the header and bounds the body by its length", async (t) => {
  const p = parseRequest(request(1, new TextEncoder().encode("status\0")));
  t.ok(p.ok);
  if (!p.ok) return;
  t.same([p.value.header.opcode, p.value.header.unique, p.value.header.uid, p.value.header.gid, p.value.header.pid], [1, 77n, 1000, 1001, 4242]);
  t.equal(new BodyReader(p.value.body).cstring(), "status");
  t.notOk(parseRequest(new Uint8Array(39)).ok, "shorter than a header");
  t.notOk(parseRequest(request(1, new Uint8Array(8), 4096)).ok, "a length beyond what was read");
  t.notOk(parseRequest(request(1, new Uint8Array(8), 12)).ok, "a length shorter than the header");
});

t.test("random and mutated requests never throw; short bodies are ShortBody", async (t) => {
  let parsed = 0;
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.tuple(fc.integer({ min: 0, max: 60 }), fc.uint8Array({ maxLength: 64 }), fc.option(fc.nat(300))).map(([op, body, len]) => request(op, body, len ?? undefined))), (buf) => {
      const p = parseRequest(buf);
      if (!p.ok) return typeof p.reason === "string";
      parsed++;
      const r = new BodyReader(p.value.body);
      try {
        for (let i = 0; i < 50; i++) [r.u32(), r.u64()];
      } catch (e) {
        return e instanceof ShortBody;
      }
      return true;
    }),
    { numRuns: 20_000, seed: 7 },
  );
  t.ok(parsed > 1000, `${parsed} of 20,000 parsed (the rest refused with a reason)`);
});

t.test("replies: header length and error, entry and init layouts, dirents aligned and cut to size", async (t) => {
  const err = encodeReply(9n, -2);
  t.same([err.byteLength, new DataView(err.buffer).getInt32(4, true)], [16, -2], "an error reply has no body");
  const e = entryOut(5, { ino: 5, size: 10, mode: 0o100444, nlink: 1, uid: 0, gid: 0, mtimeMs: 1_500 }, 0.5, 1);
  t.equal(e.byteLength, 128, "fuse_entry_out");
  const ev = new DataView(e.buffer);
  t.same([ev.getBigUint64(0, true), ev.getUint32(32, true), ev.getUint32(40 + 60, true)], [5n, 500_000_000, 0o100444]);
  t.equal(initOut(38, 0xffffffff, 131072).byteLength, 64, "fuse_init_out");
  const d = direntsOut([{ ino: 1, name: ".", type: 4 }, { ino: 2, name: "status", type: 8 }, { ino: 3, name: "agents", type: 4 }], 1, 64);
  t.equal(d.byteLength, 64, "two 32-byte records fit in 64 bytes, the third does not");
  t.equal(new DataView(d.buffer).getBigUint64(8, true), 2n, "off = the index of the next record");
});
