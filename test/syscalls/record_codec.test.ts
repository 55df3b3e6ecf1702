import t from "tap";
import { AgentSupervisor, createManualClock, ERRNO } from "../../lib/mod.ts";
import {
  applyRecords,
  decodeReplies,
  decodeRequests,
  encodeReply,
  encodeRequest,
  HEADER_SIZE,
  replyText,
  SyscallRequests as Req,
  type DispatchContext,
} from "../../syscalls/mod.ts";

t.test("encodeRequest()/decodeRequests() round-trip, several records per buffer", async (t) => {
  const a = encodeRequest(501, 100, 0, 3);
  const b = encodeRequest(507, 7, 1, 2, new TextEncoder().encode('{"type":"Crashed","signal":11}'));
  const both = new Uint8Array([...a, ...b, ...b.slice(0, 10)]);
  const d = decodeRequests(both);
  t.equal(d.ok, true);
  if (!d.ok) return;
  t.equal(d.records.length, 2);
  t.equal(d.rest, 10, "an incomplete tail is left for later");
  t.same([d.records[0].nr, d.records[0].agent, d.records[0].arg0, d.records[0].arg1], [501, 100, 0, 3]);
  t.equal(new TextDecoder().decode(d.records[1].payload), '{"type":"Crashed","signal":11}');
  t.same([...a.slice(0, 4)], [0x41, 0x53, 0x59, 0x53], 'magic bytes "ASYS"');
});

t.test("decodeRequests() refuses bad magic, version, length and huge args", async (t) => {
  const good = encodeRequest(506, 1);
  const cases: [string, (b: Uint8Array) => void, RegExp][] = [
    ["magic", (b) => (b[0] = 0), /bad magic/],
    ["version", (b) => (b[4] = 2), /version 2/],
    ["short length", (b) => new DataView(b.buffer).setUint32(8, 31, true), /total_len 31/],
    ["huge length", (b) => new DataView(b.buffer).setUint32(8, 1 << 21, true), /total_len/],
    ["arg0 > 2^53", (b) => new DataView(b.buffer).setBigUint64(16, 1n << 60n, true), /above 2\^53/],
  ];
  for (const [name, spoil, why] of cases) {
    const b = good.slice();
    spoil(b);
    const d = decodeRequests(b);
    t.equal(d.ok, false, name);
    if (!d.ok) t.match(d.reason, why);
  }
});

t.test("encodeReply() refuses to truncate: E2BIG with the needed size", async (t) => {
  const body = new TextEncoder().encode("x".repeat(100));
  const [fits] = decodeReplies(encodeReply(500, 0, body, 100)).replies;
  t.same([fits.ret, fits.fullLen, fits.payload.byteLength], [0, 100, 100]);
  const [big] = decodeReplies(encodeReply(500, 0, body, 99)).replies;
  t.same([big.ret, big.fullLen, big.payload.byteLength], [ERRNO.E2BIG, 100, 0]);
  const [err] = decodeReplies(encodeReply(501, ERRNO.EPERM, null)).replies;
  t.same([err.ret, err.fullLen], [ERRNO.EPERM, 0]);
  t.equal(HEADER_SIZE, 32);
});

t.test("applyRecords() runs each record through the command table", async (t) => {
  const ctx: DispatchContext = { sup: new AgentSupervisor({ clock: createManualClock() }), caller: {} };
  const batch = [
    Req.spawn({ name: "a", capabilities: ["FsBasic"] }, 4242),
    Req.addCapability(1000, 3),
    Req.addCapability(1000, 5),
    Req.addCapability(1000, 99),
    Req.enableRestart(1000, 4),
    Req.getAgentInfo(1000),
    Req.query(1000, 77),
    encodeRequest(999, 1000),
  ];
  const buf = new Uint8Array(batch.reduce((n, r) => n + r.byteLength, 0));
  let off = 0;
  for (const r of batch) (buf.set(r, off), (off += r.byteLength));
  const out = applyRecords(ctx, buf);
  t.equal(out.code, 0);
  const replies = out.replies.map((r) => decodeReplies(r).replies[0]);
  t.same(replies.map((r) => r.ret), [1000, 0, ERRNO.EPERM, ERRNO.EINVAL, 0, 0, ERRNO.EINVAL, ERRNO.ENOSYS]);
  t.match(replyText(replies[5]), /^Agent ID: 1000\nPID: 4242\n/);
  t.same(out.rejects.map((r) => r.nr), [501, 501, 509, 999]);
  t.same(ctx.sup.policy.policyOf(1000)?.capabilities, ["FsBasic", "Capture"]);
});
