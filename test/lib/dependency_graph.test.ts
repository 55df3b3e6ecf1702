import t from "tap";
import { ERRNO } from "../../lib/mod.ts";
import { createTestSupervisor } from "./harness.ts";

t.test("cascade from 102 reaches 101 and 100 (SIS unit case)", async (t) => {
  const { sup } = createTestSupervisor();
  const d = sup.deps;
  t.equal(d.add(100, 101, "Required"), 0);
  t.equal(d.add(101, 102, "Required"), 0);
  t.same(d.cascade(102), [100, 101]);
  t.same(d.cascade(101), [100]);
  t.same(d.cascade(100), []);
});

t.test("add() refuses cycles, self-edges and unknown types (fix)", async (t) => {
  const { sup } = createTestSupervisor();
  const d = sup.deps;
  d.add(1, 2);
  d.add(2, 3);
  t.equal(d.add(3, 1), ERRNO.EINVAL);
  t.match(sup.lastReason, /cycle/);
  t.equal(d.add(4, 4), ERRNO.EINVAL);
  t.equal(d.add(4, 5, "Sometimes" as "Peer"), ERRNO.EINVAL);
  t.equal(d.edgeCount(), 2);
});

t.test("Optional and Peer edges do not cascade; queries list both directions", async (t) => {
  const { sup } = createTestSupervisor();
  const d = sup.deps;
  d.add(10, 1, "Required");
  d.add(11, 1, "Optional");
  d.add(12, 1, "Peer");
  t.same(d.cascade(1), [10]);
  t.same(d.dependedOnBy(1), [{ id: 10, type: "Required" }, { id: 11, type: "Optional" }, { id: 12, type: "Peer" }]);
  t.same(d.dependsOn(11), [{ id: 1, type: "Optional" }]);
  t.same(d.nodes(), [1, 10, 11, 12]);
  t.equal(d.remove(11, 1), true);
  t.equal(d.remove(11, 1), false);
  d.removeAgent(1);
  t.equal(d.edgeCount(), 0);
});

t.test("a 100k-long chain cascades and sorts without recursion", async (t) => {
  const { sup } = createTestSupervisor();
  const d = sup.deps;
  const n = 100_000;
  for (let i = 1; i < n; i++) d.add(i + 1, i); // i+1 depends on i
  const c = d.cascade(1);
  t.equal(c.length, n - 1);
  t.equal(c[0], n, "furthest dependent first");
  t.equal(c[c.length - 1], 2);
  const order = d.startOrder([5, 3, 4]);
  t.same(order, [3, 4, 5]);
  t.equal(d.add(1, n), ERRNO.EINVAL, "cycle across the whole chain is found iteratively");
});

t.test("startOrder() puts dependencies first and ignores Peer edges", async (t) => {
  const { sup } = createTestSupervisor();
  const d = sup.deps;
  d.add(300, 200);
  d.add(200, 100, "Optional");
  d.add(100, 300, "Peer");
  t.same(d.startOrder([300, 200, 100]), [100, 200, 300]);
});
