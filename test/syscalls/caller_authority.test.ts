import t, { type Test } from "tap";
import { AgentSupervisor, createManualClock, ERRNO } from "../../lib/mod.ts";
import { applyRecords, applyTextCommands, decodeReplies, SyscallRequests as Req, type DispatchContext } from "../../syscalls/mod.ts";

/** Two agents, 100 and 101; the caller is agent 100 (what the /dev/fuse backend can tell). */
function setup(t: Test): DispatchContext {
  const sup = new AgentSupervisor({ clock: createManualClock() });
  t.equal(sup.onAgentSpawn(4100, { name: "a", capabilities: ["FsBasic", "DocBasic"], agent_id: 100 }), 100);
  t.equal(sup.onAgentSpawn(4101, { name: "b", capabilities: ["FsBasic"], agent_id: 101 }), 101);
  return { sup, caller: { agentId: 100, via: "test" } };
}

function records(ctx: DispatchContext, ...reqs: Uint8Array[]): number[] {
  const buf = new Uint8Array(reqs.reduce((n, r) => n + r.byteLength, 0));
  let off = 0;
  for (const r of reqs) (buf.set(r, off), (off += r.byteLength));
  return applyRecords(ctx, buf).replies.map((r) => Number(decodeReplies(r).replies[0].ret));
}

t.test("an agent caller: on itself only what an agent may say about itself", async (t) => {
  const ctx = setup(t);
  t.equal(applyTextCommands(ctx, "heartbeat 100").code, 0);
  t.equal(applyTextCommands(ctx, "stop 100").code, 0, "stopping itself");
  for (const line of ["kill 101", "heartbeat 101", "limits 100 cpu_quota_us=1", "unthrottle 100", "reset 100", "remove 100", "dep 100 101", "risk 100 Minimal", "profile-reset", "limits default unlimited", 'spawn 0 x none -- sleep 1']) {
    const out = applyTextCommands(ctx, line);
    t.equal(out.code, ERRNO.EPERM, line);
    t.match(out.reason, /InsufficientPermission/);
  }
  t.equal(applyTextCommands(ctx, "policy-update 100 +Capture").code, ERRNO.EPERM, "no raising its own privileges");
  t.equal(applyTextCommands(ctx, "policy-update 100 -DocBasic").code, 0, "dropping them is fine");
  t.same(ctx.sup.policy.policyOf(100)?.capabilities, ["FsBasic"]);
});

t.test("a write with one forbidden line applies none of its lines", async (t) => {
  const ctx = setup(t);
  const out = applyTextCommands(ctx, "policy-update 100 -FsBasic\nkill 101");
  t.equal(out.code, ERRNO.EPERM);
  t.same(out.applied, []);
  t.same(ctx.sup.policy.policyOf(100)?.capabilities, ["FsBasic", "DocBasic"], "the first line did not run");
  t.equal(ctx.sup.getAgent(101)?.state, "running");
});

t.test("records: agent 0 is the caller itself; other agents only to read", async (t) => {
  const ctx = setup(t);
  t.same(records(ctx, Req.heartbeat(0), Req.removeCapability(0, 2), Req.signal(101, 1), Req.signal(0, 5), Req.addCapability(0, 3), Req.spawn({ name: "c", capabilities: [] }, 4242), Req.query(101, 1)), [0, 0, ERRNO.EPERM, ERRNO.EPERM, ERRNO.EPERM, ERRNO.EPERM, 0]);
  t.same(ctx.sup.policy.policyOf(100)?.capabilities, ["FsBasic"], "DocBasic dropped through agent 0");
  t.equal(ctx.sup.getAgent(101)?.state, "running");
  t.equal(ctx.sup.listAgents().length, 2, "nothing spawned");
});

t.test("without a known agent (fuse-native, the owner's shell) nothing changes", async (t) => {
  const ctx = setup(t);
  ctx.caller = { via: "test" };
  t.equal(applyTextCommands(ctx, "kill 101").code, 0);
  t.same(records(ctx, Req.heartbeat(0)), [ERRNO.ESRCH], "agent 0 is nobody");
});
