import t from "tap";
import { open } from "node:fs/promises";
import { CAP } from "../../lib/mod.ts";
import { SyscallRequests as Req, decodeReplies, encodeRequest, replyText, HEADER_SIZE, type ReplyRecord } from "../../syscalls/mod.ts";
import { callSyscalls } from "../../bin/syscall_client.ts";
import { startDaemon } from "./daemon.ts";

const ESRCH = -3;
const EPERM = -1;
const EINVAL = -22;
const E2BIG = -7;
const ENOSYS = -38;

/** Write raw bytes in one write(2) on a fresh descriptor; return the errno or the replies. */
async function rawWrite(path: string, bytes: Uint8Array): Promise<{ err?: string; replies: ReplyRecord[] }> {
  const fh = await open(path, "r+");
  try {
    await fh.write(bytes, 0, bytes.byteLength);
    const buf = Buffer.alloc(1 << 20);
    const { bytesRead } = await fh.read(buf, 0, buf.byteLength, null);
    return { replies: decodeReplies(buf.subarray(0, bytesRead)).replies };
  } catch (e) {
    return { err: (e as NodeJS.ErrnoException).code, replies: [] };
  } finally {
    await fh.close();
  }
}

t.test("binary records from Node, every number", async (t) => {
  const d = await startDaemon(t);
  const sys = `${d.mount}/syscall`;
  const enc = new TextEncoder();
  const [spawn] = await callSyscalls(sys, [Req.spawn({ agent_id: 300, name: "shim", capabilities: ["FsBasic"], command: "sleep", args: ["1000"] })]);
  t.equal(spawn.ret, 300, "504 spawn returns the AgentId");
  t.equal(spawn.nr, 504);
  const replies = await callSyscalls(sys, [
    Req.addCapability(300, CAP.DocBasic), // 501 add
    Req.removeCapability(300, CAP.FsBasic), // 501 remove
    Req.enableRestart(300, 7), // 501 enable restart
    Req.updateScope(300, { path_prefix: "/srv" }), // 501 scope
    Req.addCapability(300, CAP.Admin), // 501 Admin → EPERM
    Req.getAgentInfo(300), // 502
    Req.getTelemetry(), // 500
    Req.heartbeat(300), // 506
    Req.fault(300, { type: "SyscallFlood", rate: 5000, threshold: 1000 }), // 507 → Throttle
    Req.compliance(300, { type: "HumanOversight", reviewer_id: "eve", action: "ok" }), // 508
    Req.query(300, 1), // 509 policy JSON
    encodeRequest(503, 300), // llm_request: no gateway
    encodeRequest(777, 300), // unknown
    Req.signal(999, 1), // kill unknown agent
    Req.disableRestart(300), // 501 disable
  ]);
  t.same(replies.map((r) => r.nr), [501, 501, 501, 501, 501, 502, 500, 506, 507, 508, 509, 503, 777, 505, 501], "replies in order");
  t.same(replies.map((r) => r.ret).slice(0, 5), [0, 0, 0, 0, EPERM]);
  t.match(replyText(replies[5]), /^Agent ID: 300\nPID: \d+\nName: shim\nActive: true\nAuto-restart: true\nRestart count: 0\/7\n/);
  t.equal(replies[5].fullLen, replies[5].payload.byteLength);
  t.equal(JSON.parse(replyText(replies[6])).agent_metrics["300"].agent_id, 300);
  t.equal(replies[7].ret, 0);
  t.equal(replies[8].ret, 1, "fault returns the action taken (1 = Throttle)");
  t.equal(replies[9].ret, 0);
  t.same(JSON.parse(replyText(replies[10])).capabilities, ["DocBasic"]);
  t.equal(JSON.parse(replyText(replies[10])).scope.path_prefix, "/srv");
  t.equal(replies[11].ret, ENOSYS);
  t.equal(replies[12].ret, ENOSYS);
  t.equal(replies[13].ret, ESRCH);
  t.equal(replies[14].ret, 0);
  t.match((await d.sh('cat "$M/agents/300/status"')).stdout, /State: throttled/);
  t.match((await d.sh('tail -n 3 "$M/last_error"')).stdout, /syscall 777: no such number/);
  const [kill] = await callSyscalls(sys, [Req.signal(300, 1)]);
  t.equal(kill.ret, 0, "505 kill");
  const [badJson] = await callSyscalls(sys, [encodeRequest(507, 300, 0, 0, enc.encode("{nope"))]);
  t.equal(badJson.ret, EINVAL);
});

t.test("a batch of 1000 records in one write gets 1000 replies in order", async (t) => {
  const d = await startDaemon(t);
  const sys = `${d.mount}/syscall`;
  await callSyscalls(sys, [Req.spawn({ agent_id: 5, name: "b", command: "sleep", args: ["1000"] })]);
  const reqs = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? Req.heartbeat(5) : Req.getAgentInfo(5)));
  const replies = await callSyscalls(sys, reqs);
  t.equal(replies.length, 1000);
  t.ok(replies.every((r, i) => r.nr === (i % 2 === 0 ? 506 : 502) && r.ret === 0));
});

t.test("framing errors refuse the whole write with EINVAL; oversize replies are E2BIG with the size", async (t) => {
  const d = await startDaemon(t);
  const sys = `${d.mount}/syscall`;
  await callSyscalls(sys, [Req.spawn({ agent_id: 5, name: "b", command: "sleep", args: ["1000"] })]);
  const good = Req.heartbeat(5);
  const badMagic = good.slice();
  badMagic[0] = 0x58;
  const badVersion = good.slice();
  badVersion[4] = 9;
  const badLen = good.slice();
  new DataView(badLen.buffer).setUint32(8, 8, true);
  const truncated = Req.fault(5, { type: "Crashed", signal: 11 }).slice(0, 40);
  for (const [name, bytes] of [
    ["bad magic", badMagic],
    ["bad version", badVersion],
    ["bad length", badLen],
    ["truncated payload", truncated],
    ["good then bad", new Uint8Array([...good, ...badMagic])],
  ] as const) {
    const r = await rawWrite(sys, bytes);
    t.equal(r.err, "EINVAL", `${name} → EINVAL`);
  }
  t.match((await d.sh('cat "$M/last_error"')).stdout, /bad magic[\s\S]*version 9[\s\S]*total_len 8[\s\S]*truncated record/);
  t.match((await d.sh('cat "$M/agents/5/status"')).stdout, /Fault count: 0/, "nothing from a refused batch was applied");
  const [small] = await callSyscalls(sys, [Req.getTelemetry(16)]);
  t.equal(small.ret, E2BIG);
  t.ok(small.fullLen > 16, `needed size reported (${small.fullLen})`);
  t.equal(small.payload.byteLength, 0, "never silently truncated");
  const [fits] = await callSyscalls(sys, [Req.getTelemetry(small.fullLen + 4096)]);
  t.equal(fits.ret, 0);
  t.ok(fits.payload.byteLength > 16);
  t.equal(HEADER_SIZE, 32);
});

t.test("binary records from python3 (struct)", async (t) => {
  const d = await startDaemon(t);
  await d.sh('echo "spawn 42 py FsBasic -- sleep 1000" > "$M/ctl"');
  const py = `
import os, struct, json
def req(nr, agent, a0=0, a1=0, payload=b""):
    return struct.pack("<4sHHIIQQ", b"ASYS", 1, nr, 32 + len(payload), agent, a0, a1) + payload
fd = os.open(os.environ["M"] + "/syscall", os.O_RDWR)
os.write(fd, req(501, 42, 0, 3) + req(502, 42) + req(505, 9999, 1))
data = b""
while True:
    chunk = os.read(fd, 65536)
    if not chunk:
        break
    data += chunk
off = 0
while off < len(data):
    magic, ver, nr, total, _, ret, full = struct.unpack_from("<4sHHIIqQ", data, off)
    body = data[off + 32: off + total].decode()
    print(magic.decode(), nr, ret, full, body.splitlines()[0] if body else "-")
    off += total
`;
  const r = await d.sh(`python3 -c '${py.replace(/'/g, "'\\''")}'`);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  t.equal(lines[0], "ASYR 501 0 0 -");
  t.match(lines[1], /^ASYR 502 0 \d+ Agent ID: 42$/);
  t.equal(lines[2], "ASYR 505 -3 0 -");
  t.match((await d.sh('cat "$M/agents/42/policy"')).stdout, /Capability list: FsBasic Capture/);
});
