import t from "tap";
import { createSlotIndex } from "../../lib/slot_index.ts";
import { createSeededRandom } from "../../lib/random.ts";

t.test("createSlotIndex() finds, misses and deletes keys", async (t) => {
  const keys = new Uint32Array(16);
  const index = createSlotIndex(keys, 16);
  keys[3] = 1000;
  keys[5] = 42;
  index.set(1000, 3);
  index.set(42, 5);
  t.equal(index.get(1000), 3);
  t.equal(index.get(42), 5);
  t.equal(index.get(7), -1);
  t.equal(index.size, 2);
  t.equal(index.delete(1000), true);
  t.equal(index.delete(1000), false);
  t.equal(index.get(1000), -1);
  t.equal(index.get(42), 5);
});

t.test("createSlotIndex() stays equal to a Map through growth, migration and deletes", async (t) => {
  const n = 50_000;
  const keys = new Uint32Array(n);
  const index = createSlotIndex(keys, 16);
  const model = new Map<number, number>();
  const rnd = createSeededRandom(7);
  const free: number[] = [];
  let next = 0;
  let mismatches = 0;
  for (let op = 0; op < 200_000; op++) {
    const r = rnd();
    if (r < 0.6 && (next < n || free.length > 0)) {
      const key = 1 + Math.floor(rnd() * 1e9);
      if (model.has(key)) continue;
      const slot = free.length > 0 ? free.pop()! : next++;
      keys[slot] = key;
      index.set(key, slot);
      model.set(key, slot);
    } else if (model.size > 0) {
      // delete a random present key (walk a few entries of the Map)
      const skip = Math.floor(rnd() * Math.min(model.size, 32));
      let i = 0;
      for (const [key, slot] of model) {
        if (i++ < skip) continue;
        if (!index.delete(key)) mismatches++;
        model.delete(key);
        free.push(slot);
        break;
      }
    }
    if (op % 997 === 0) {
      for (const [key, slot] of model) if (index.get(key) !== slot) mismatches++;
    }
  }
  for (const [key, slot] of model) if (index.get(key) !== slot) mismatches++;
  t.equal(mismatches, 0, "every key maps to its slot");
  t.equal(index.size, model.size);
  t.equal(index.get(0), -1, "key 0 (never stored) misses");
});

t.test("createSlotIndex() keys by an Int32Array column (pids)", async (t) => {
  const pids = new Int32Array(4096);
  const index = createSlotIndex(pids, 16);
  for (let s = 0; s < 4096; s++) {
    pids[s] = 100_000 + s * 7;
    index.set(pids[s], s);
  }
  let bad = 0;
  for (let s = 0; s < 4096; s++) if (index.get(100_000 + s * 7) !== s) bad++;
  t.equal(bad, 0);
  t.ok(index.byteLength() >= 4096 * 4, "buckets hold at least one int per key");
});
