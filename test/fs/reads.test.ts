import t from "tap";
import { readFile } from "node:fs/promises";
import { startDaemon } from "./daemon.ts";

/** Mask what legitimately changes between two reads (time). */
function mask(s: string): string {
  return s
    .replace(/"timestamp":\d+/g, '"timestamp":T')
    .replace(/^(Timestamp: +)\d+$/gm, "$1T")
    .replace(/^Uptime: \d+ us$/gm, "Uptime: T us");
}

t.test("every way of reading gives the same bytes (no truncation, no NUL padding, no empty second read)", async (t) => {
  const d = await startDaemon(t);
  const cmds = Array.from({ length: 40 }, (_, i) => `spawn ${100 + i} agent-with-a-longer-name-${i} FsBasic,DocBasic -- sleep 1000`).join("\n");
  await d.sh(`python3 -c 'import os,sys; fd=os.open(os.environ["M"]+"/ctl", os.O_WRONLY); os.write(fd, sys.argv[1].encode())' "${cmds}"`);
  const files = ["status", "telemetry", "compliance", "metrics", "events", "agents/120/status", "agents/120/metrics"];
  for (const f of files) {
    const ref = await d.sh(`cat "$M/${f}"`);
    t.ok(ref.stdout.length > 100, `${f}: ${ref.stdout.length} bytes`);
    const want = mask(ref.stdout);
    const ways: [string, string][] = [
      ["dd bs=7", `dd if="$M/${f}" bs=7 status=none`],
      ["head -c", `head -c 10000000 "$M/${f}"`],
      ["tail -n +1", `tail -n +1 "$M/${f}"`],
      ["grep ''", `grep '' "$M/${f}"`],
      ["python read()", `python3 -c 'import sys; sys.stdout.write(open(sys.argv[1]).read())' "$M/${f}"`],
      ["bash $(<f)", `x="$(<"$M/${f}")"; printf '%s\\n' "$x"`],
      ["two reads on one fd", `python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); a=os.read(fd, 1<<20); os.lseek(fd, 0, 0); b=os.read(fd, 1<<20); sys.stdout.write((a+b).decode())' "$M/${f}"`],
    ];
    for (const [name, cmd] of ways) {
      const r = await d.sh(cmd);
      const got = name === "two reads on one fd" ? r.stdout.slice(0, r.stdout.length / 2) : r.stdout;
      t.equal(mask(got), want, `${f} via ${name}`);
      if (name === "two reads on one fd") t.equal(mask(r.stdout.slice(r.stdout.length / 2)), want, `${f}: a second read at offset 0 is a full fresh snapshot`);
      t.notMatch(got, /\0/, `${f} via ${name}: no NUL`);
    }
    const wc = await d.sh(`wc -c < "$M/${f}"`);
    // A timestamp can gain a digit between two reads; files without one must match exactly.
    const slack = mask(ref.stdout) === ref.stdout ? 0 : 2;
    t.ok(Math.abs(Number(wc.stdout.trim()) - Buffer.byteLength(ref.stdout)) <= slack, `${f}: wc -c counts the bytes`);
    const tail = await d.sh(`tail -n 1 "$M/${f}"`);
    t.equal(mask(tail.stdout), mask(ref.stdout).split("\n").slice(-2).join("\n"), `${f}: tail -n 1`);
    const node = await readFile(`${d.mount}/${f}`, "utf8");
    t.equal(mask(node), want, `${f} via Node async readFile`);
  }
});
