import t from "tap";
import { readdir, readFile } from "node:fs/promises";

/**
 * lib/ must run on Deno too: no `node:` imports outside the host part (lib/host/), and no
 * imports out of lib/ (imports flow bin → fs → syscalls → lib, never back).
 */
t.test("lib/ imports nothing from node: (outside lib/host) and nothing outside lib/", async (t) => {
  const dir = new URL("../../lib/", import.meta.url);
  const files = (await readdir(dir)).filter((f) => f.endsWith(".ts"));
  t.ok(files.length > 10, "found the core files");
  for (const f of files) {
    const src = await readFile(new URL(f, dir), "utf8");
    const specs = [...src.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]);
    for (const s of specs) {
      t.notOk(s.startsWith("node:") || ["fs", "path", "os", "child_process"].includes(s), `${f} imports ${s}`);
      if (s.startsWith(".")) t.ok(s.startsWith("./") && !s.includes(".."), `${f} imports ${s} from inside lib/`);
    }
  }
});
