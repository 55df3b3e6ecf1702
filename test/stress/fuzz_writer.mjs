// Writes fuzz inputs through the mount from its own process (test/stress/mount_fuzz.test.ts):
// each input is one open + one write(2) + close of a control file. Every 500 inputs it reads
// `status` to check the daemon still answers. Prints one JSON line: results by errno, status
// reads, the slowest write.
//
// argv[2]: mountpoint; argv[3]: input file of records [u8 file index][u32le length][bytes];
// argv[4]: JSON array of the file names the index points into.
import { open, readFile } from "node:fs/promises";

const [mount, inputPath, filesJson] = process.argv.slice(2);
const files = JSON.parse(filesJson);
const buf = await readFile(inputPath);
const out = { writes: 0, results: {}, statusReads: 0, statusFailures: 0, maxMs: 0 };
let at = 0;
while (at < buf.length) {
  const file = files[buf[at]];
  const len = buf.readUInt32LE(at + 1);
  const bytes = buf.subarray(at + 5, at + 5 + len);
  at += 5 + len;
  const t0 = performance.now();
  let result = "ok";
  try {
    const fh = await open(`${mount}${file}`, file === "/syscall" ? "r+" : "w");
    try {
      await fh.write(bytes, 0, bytes.length);
    } finally {
      await fh.close();
    }
  } catch (e) {
    result = e.code ?? String(e);
  }
  out.maxMs = Math.max(out.maxMs, performance.now() - t0);
  out.results[result] = (out.results[result] ?? 0) + 1;
  if (++out.writes % 500 === 0) {
    try {
      await readFile(`${mount}/status`);
      out.statusReads++;
    } catch {
      out.statusFailures++;
    }
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
