import t from "tap";
import { readdir, readFile } from "node:fs/promises";

/**
 * The layers and their rule (docs/architecture.md): bin → fs, host → syscalls → lib. lib/ and
 * syscalls/ import no `node:` module and nothing above them, so the core and the codecs also
 * run on Deno; every folder reaches another only through its door (`mod.ts`); only bin/ (and
 * the benchmarks) may use host/. A scan of every import, so the rule stays true.
 */
const ROOT = new URL("../", import.meta.url);
const NODE_BUILTINS = ["fs", "path", "os", "child_process", "worker_threads", "crypto", "net", "http"];
/** Packages that are plain JavaScript (they run on Deno too): the core and the codecs may use them. */
const PORTABLE = /^(@sinclair\/typebox(\/[a-z]+)?|yaml)$/;

/** Which doors each folder may import (besides its own files); `node` = node: modules too. */
const RULES: Record<string, { doors: string[]; node: boolean }> = {
  lib: { doors: [], node: false },
  syscalls: { doors: ["lib"], node: false },
  host: { doors: ["lib", "syscalls"], node: true },
  fs: { doors: ["lib", "syscalls"], node: true },
  bin: { doors: ["lib", "syscalls", "host", "fs"], node: true },
};

async function importsOf(folder: string): Promise<{ file: string; spec: string }[]> {
  const dir = new URL(`${folder}/`, ROOT);
  const out: { file: string; spec: string }[] = [];
  for (const f of (await readdir(dir)).filter((f) => f.endsWith(".ts"))) {
    const src = await readFile(new URL(f, dir), "utf8");
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*"([^"]+)"|(?:^|\n)\s*import\s*"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)) out.push({ file: `${folder}/${f}`, spec: m[1] ?? m[2] ?? m[3] });
  }
  return out;
}

for (const [folder, rule] of Object.entries(RULES)) {
  t.test(`${folder}/ imports ${rule.doors.length ? rule.doors.map((d) => `${d}/mod.ts`).join(", ") : "nothing outside itself"}${rule.node ? " and node:" : ", no node:"}`, async (t) => {
    const imports = await importsOf(folder);
    t.ok(imports.length > 3, `found ${folder}'s imports`);
    const bad: string[] = [];
    for (const { file, spec } of imports) {
      if (spec.startsWith("node:") || NODE_BUILTINS.includes(spec)) {
        if (!rule.node) bad.push(`${file} imports ${spec}`);
      } else if (spec.startsWith("./")) {
        if (spec.includes("/..")) bad.push(`${file} imports ${spec}`);
      } else if (spec.startsWith("../")) {
        const m = /^\.\.\/([a-z]+)\/mod\.ts$/.exec(spec);
        if (!m || !rule.doors.includes(m[1])) bad.push(`${file} imports ${spec} (allowed: ${rule.doors.map((d) => `../${d}/mod.ts`).join(", ") || "none"})`);
      } else if (!rule.node && !PORTABLE.test(spec)) bad.push(`${file} imports the package ${spec}`);
    }
    t.same(bad, [], "no import breaks the rule");
  });
}
