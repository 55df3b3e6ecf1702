import t from "tap";
import { createNameArena, NAME_MAX_BYTES } from "../../lib/name_arena.ts";

t.test("createNameArena() stores ASCII and UTF-8 names", async (t) => {
  const arena = createNameArena(16);
  const a = arena.add("planner");
  const b = arena.add("größe-агент-🤖");
  const c = arena.add("");
  t.equal(arena.get(a), "planner");
  t.equal(arena.get(b), "größe-агент-🤖");
  t.equal(arena.get(c), "");
  t.ok(arena.byteLength() >= arena.used, "grew past its 16 initial bytes");
});

t.test("createNameArena() refuses names over 255 bytes", async (t) => {
  const arena = createNameArena();
  t.equal(arena.add("x".repeat(NAME_MAX_BYTES)) >= 0, true);
  t.equal(arena.add("x".repeat(NAME_MAX_BYTES + 1)), -1);
  t.equal(arena.add("é".repeat(128)), -1, "256 bytes of UTF-8");
});

t.test("createNameArena() compact() keeps live names and reclaims garbage", async (t) => {
  const arena = createNameArena();
  const offs = ["one", "two", "three", "four"].map((n) => arena.add(n));
  arena.free(offs[0]);
  arena.free(offs[2]);
  t.equal(arena.garbage, 4 + 6);
  const live = [offs[1], offs[3]];
  const moved: number[] = [];
  arena.compact(live, (i, off) => (moved[i] = off));
  t.equal(arena.garbage, 0);
  t.equal(arena.used, 4 + 5);
  t.equal(arena.get(moved[0]), "two");
  t.equal(arena.get(moved[1]), "four");
});
