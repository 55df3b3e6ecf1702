import t from "tap";
import { createEventRing, EVENT_KIND } from "../../lib/event_ring.ts";

t.test("createEventRing() of 3 keeps the last 3, oldest first (SIS unit case)", async (t) => {
  const ring = createEventRing(3);
  for (let i = 1; i <= 5; i++) ring.push(EVENT_KIND.Spawn, i, i * 10, 0, 0, 0);
  t.equal(ring.length, 3);
  t.equal(ring.total, 5);
  t.same([0, 1, 2].map((i) => ring.agent[ring.at(i)]), [3, 4, 5]);
  t.same([0, 1, 2].map((i) => ring.ts[ring.at(i)]), [30, 40, 50]);
});

t.test("createEventRing() keeps text per event and drops it when overwritten", async (t) => {
  const ring = createEventRing(2);
  ring.push(EVENT_KIND.Fault, 1, 0, 6, 0, 0);
  ring.setText("wrote outside scope");
  t.equal(ring.text(ring.at(0)), "wrote outside scope");
  ring.push(EVENT_KIND.Spawn, 2, 1, 0, 0, 0);
  ring.push(EVENT_KIND.Spawn, 3, 2, 0, 0, 0);
  t.equal(ring.text(ring.at(0)), "", "slot reused without text");
  ring.clear();
  t.equal(ring.length, 0);
});

t.test("createEventRing() refuses a bad capacity", async (t) => {
  t.throws(() => createEventRing(0), RangeError);
  t.throws(() => createEventRing(1.5), RangeError);
});
