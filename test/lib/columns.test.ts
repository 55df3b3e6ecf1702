import t from "tap";
import { createColumnSet } from "../../lib/_columns.ts";

t.test("createColumnSet() grows one column per step and keeps references valid", async (t) => {
  const set = createColumnSet({ a: ["u32", 1], b: ["f64", 1], ring: ["u8", 10] }, { initialCapacity: 8, maxCapacity: 1024 });
  const a = set.cols.a;
  t.equal(set.capacity, 8);
  for (let i = 0; i < 4; i++) set.step(i);
  t.equal(set.capacity, 8, "below half full: no growth yet");
  set.step(4); // starts growing: column a
  t.equal(set.capacity, 8, "capacity moves only when every column has grown");
  set.step(5); // b
  set.step(6); // ring
  t.equal(set.capacity, 16);
  t.equal(set.cols.a, a, "the same typed array object");
  t.equal(a.length, 16, "length-tracking view follows the buffer");
  t.equal(set.cols.ring.length, 160, "stride 10");
  a[15] = 7;
  t.equal(set.cols.a[15], 7);
});

t.test("createColumnSet() ensure() grows at once and refuses past the maximum", async (t) => {
  const set = createColumnSet({ a: ["i32", 1] }, { initialCapacity: 4, maxCapacity: 100 });
  t.equal(set.ensure(50), true);
  t.ok(set.capacity >= 50);
  t.equal(set.ensure(101), false);
  t.ok(set.byteLength() >= 50 * 4);
});
