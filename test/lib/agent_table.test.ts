import t from "tap";
import { createAgentTable, FLAG, HANDLE_SLOT_BITS } from "../../lib/agent_table.ts";
import { ERRNO } from "../../lib/errno.ts";

t.test("createAgentTable() alloc() indexes by id and refuses a taken id", async (t) => {
  const table = createAgentTable({ initialCapacity: 4 });
  const s = table.alloc(1000, "planner");
  t.ok(s >= 0);
  t.equal(table.slotOfId(1000), s);
  t.equal(table.name(s), "planner");
  t.equal(table.cols.flags[s] & FLAG.used, FLAG.used);
  t.equal(table.alloc(1000, "again"), ERRNO.EEXIST);
  t.equal(table.count, 1);
  t.equal(table.alloc(1001, "x".repeat(300)), ERRNO.EINVAL, "name over 255 bytes");
  t.equal(table.count, 1, "a refused alloc leaves nothing behind");
});

t.test("createAgentTable() setPid() keeps the pid index in step", async (t) => {
  const table = createAgentTable();
  const a = table.alloc(1, "a");
  const b = table.alloc(2, "b");
  t.equal(table.setPid(a, 500), 0);
  t.equal(table.slotOfPid(500), a);
  t.equal(table.setPid(b, 500), ERRNO.EEXIST, "a pid belongs to one agent");
  t.equal(table.setPid(a, 501), 0);
  t.equal(table.slotOfPid(500), -1);
  t.equal(table.slotOfPid(501), a);
  t.equal(table.setPid(a, 0), 0);
  t.equal(table.slotOfPid(501), -1);
  t.equal(table.slotOfPid(0), -1);
});

t.test("createAgentTable() free() reuses slots and invalidates old handles", async (t) => {
  const table = createAgentTable();
  const s = table.alloc(7, "seven");
  table.setPid(s, 77);
  const h = table.handle(s);
  t.equal(table.slotOfHandle(h), s);
  table.free(s);
  t.equal(table.slotOfId(7), -1);
  t.equal(table.slotOfPid(77), -1);
  t.equal(table.slotOfHandle(h), -1, "stale handle refused");
  const s2 = table.alloc(8, "eight");
  t.equal(s2, s, "slot reused");
  t.not(table.handle(s2), h, "new generation");
  t.equal(table.handle(s2) & ((1 << HANDLE_SLOT_BITS) - 1), s2);
  t.equal(table.name(s2), "eight");
});

t.test("createAgentTable() grows to 100k agents without losing data", async (t) => {
  const table = createAgentTable({ initialCapacity: 16 });
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const s = table.alloc(5000 + i, `agent-${i}`);
    table.setPid(s, 200_000 + i);
    table.cols.cpuUs[s] = i;
  }
  let bad = 0;
  for (let i = 0; i < n; i += 7) {
    const s = table.slotOfId(5000 + i);
    if (s < 0 || table.slotOfPid(200_000 + i) !== s || table.cols.cpuUs[s] !== i || table.name(s) !== `agent-${i}`) bad++;
  }
  t.equal(bad, 0);
  t.ok(table.capacity >= n);
  t.same(table.sortedSlots().slice(0, 3).map((s) => table.cols.id[s]), [5000, 5001, 5002]);
});

t.test("createAgentTable() refuses past maxAgents with ENOSPC", async (t) => {
  const table = createAgentTable({ initialCapacity: 2, maxAgents: 3 });
  t.ok(table.alloc(1, "a") >= 0);
  t.ok(table.alloc(2, "b") >= 0);
  t.ok(table.alloc(3, "c") >= 0);
  t.equal(table.alloc(4, "d"), ERRNO.ENOSPC);
  table.free(table.slotOfId(2));
  t.ok(table.alloc(4, "d") >= 0, "a freed slot can be used again");
});

t.test("createAgentTable() compacts names after heavy churn", async (t) => {
  const table = createAgentTable();
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 1000; i++) table.alloc(i + 1, `churning-agent-with-a-long-name-${round}-${i}`);
    if (round < 39) for (let i = 0; i < 1000; i++) table.free(table.slotOfId(i + 1));
  }
  t.equal(table.name(table.slotOfId(500)), "churning-agent-with-a-long-name-39-499");
  t.ok(table.byteLength() < 8 * 1024 * 1024, "arena did not grow without bound");
});
