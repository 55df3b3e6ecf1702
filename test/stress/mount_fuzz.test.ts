import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import fc from "fast-check";
import t from "tap";
import { CONTROL_FILES, recordWrite, textBytes } from "../syscalls/fuzz_inputs.ts";
import { childEnv, clean, startDaemon } from "../fs/daemon.ts";
import { LONG } from "./load.ts";

/**
 * Fuzzing through the mount: the in-process fuzzer's generators, written from a
 * separate process, one open + write(2) + close each, to a daemon with real agents and its
 * journal. The daemon keeps answering throughout, no write fails with an errno that means
 * the daemon broke (EIO: an exception reached the backend; ENOTCONN: the mount died), and the
 * audit chain still verifies afterwards. 10k writes in CI, 100k under STRESS=1.
 */
const WRITES = LONG ? 100_000 : 10_000;
const WRITER = new URL("./fuzz_writer.mjs", import.meta.url).pathname;
const FILES = [...new Set([...CONTROL_FILES, "/syscall"])];

t.test(`${WRITES} fuzzed writes through the mount from another process`, async (t) => {
  const d = await startDaemon(t);
  for (const id of [100, 101, 102]) t.equal((await d.sh(`echo "spawn ${id} a${id} FsBasic -- sleep 100000" > $M/ctl`)).code, 0);
  const seed = Number(process.env.FUZZ_SEED ?? 4321);
  const input = fc.sample(fc.oneof({ arbitrary: fc.tuple(fc.constantFrom(...CONTROL_FILES), textBytes), weight: 4 }, { arbitrary: fc.tuple(fc.constant("/syscall"), recordWrite), weight: 1 }), { numRuns: WRITES, seed });
  const parts: Uint8Array[] = [];
  for (const [file, bytes] of input) {
    const head = Buffer.alloc(5);
    head[0] = FILES.indexOf(file);
    head.writeUInt32LE(bytes.byteLength, 1);
    parts.push(head, bytes);
  }
  const path = `/tmp/agentsys-mount-fuzz-${process.pid}.bin`;
  await writeFile(path, Buffer.concat(parts));
  t.teardown(() => rm(path, { force: true }));

  const out = await new Promise<{ writes: number; results: Record<string, number>; statusReads: number; statusFailures: number; maxMs: number }>((resolve, reject) => {
    execFile(...clean(process.execPath, [WRITER, d.mount, path, JSON.stringify(FILES)]), { env: childEnv(), timeout: LONG ? 3_600_000 : 170_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`writer failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
  t.comment(`mount fuzz: ${JSON.stringify(out)}`);
  t.equal(out.writes, WRITES, "every input written");
  for (const bad of ["EIO", "ENOTCONN", "ECONNABORTED", "ETIMEDOUT"]) t.notOk(out.results[bad], `no ${bad}`);
  t.equal(out.statusFailures, 0, "status answered throughout");
  t.ok((out.results.ok ?? 0) > 0 && (out.results.EINVAL ?? 0) > 0, "some accepted, some refused");
  t.equal(d.child.exitCode, null, "daemon alive");
  t.equal((await d.sh('cat "$M/status" >/dev/null && cat "$M/last_error" | tail -n 1 | grep -q "E[A-Z0-9]*: "')).code, 0, "status and last_error readable");
  const verify = await d.sh(`${process.execPath} ${new URL("../../dist/bin/agentsys.js", import.meta.url).pathname} audit verify --mount "$M"`);
  t.equal(verify.code, 0, `audit chain verifies: ${verify.stdout}${verify.stderr}`);
});
