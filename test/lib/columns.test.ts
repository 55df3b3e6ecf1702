import t from "tap";
import { createColumnSet } from "../../lib/_columns.ts";

t.test("createColumnSet() grows one column per step near full and keeps references valid", async (t) => {
  const set = createColumnSet({ a: ["u32", 1], b: ["f64", 1], ring: ["u8", 10] }, { initialCapacity: 16, maxCapacity: 1024 });
  const a = set.cols.a;
  t.equal(set.capacity, 16);
  for (let i = 0; i < 10; i++) set.step(i);
  t.equal(set.capacity, 16, "more than two steps per column left: no growth yet");
  set.step(10); // 10 + 2·3 ≥ 16: starts growing, column a
  t.equal(set.capacity, 16, "capacity moves only when every column has grown");
  t.equal(a.length, 32, "column a already grown");
  set.step(11); // b
  set.step(12); // ring
  t.equal(set.capacity, 32);
  t.equal(set.cols.a, a, "the same typed array object");
  t.equal(set.cols.ring.length, 320, "stride 10");
  a[31] = 7;
  t.equal(set.cols.a[31], 7);
});

t.test("createColumnSet() ensure() grows at once and refuses past the maximum", async (t) => {
  const set = createColumnSet({ a: ["i32", 1] }, { initialCapacity: 4, maxCapacity: 100 });
  t.equal(set.ensure(50), true);
  t.ok(set.capacity >= 50);
  t.equal(set.ensure(101), false);
  t.ok(set.byteLength() >= 50 * 4);
});
