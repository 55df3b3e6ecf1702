// One load client: reads tree files and writes commands through the mount until a deadline,
// then prints one JSON line: operations, errors by errno, a latency histogram and the slowest
// operation. Plain JS (no TypeScript loader) so 64 of them start quickly.
//
// argv[2]: JSON { mount, durationMs, reads: [path], writes: [{ path, data }], writeShare, seed }
import { open, readFile } from "node:fs/promises";

const cfg = JSON.parse(process.argv[2]);
const deadline = Date.now() + cfg.durationMs;
let seed = cfg.seed >>> 0 || 1;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) >>> 0; // deterministic per client, reproducible runs
  return (seed >>> 8) % n;
};

// Log-spaced buckets: bucket b holds latencies in [10 µs · 1.1^b, 10 µs · 1.1^(b+1)).
const BUCKETS = 200;
const hist = new Array(BUCKETS).fill(0);
const writeHist = new Array(BUCKETS).fill(0);
const bucketOf = (ms) => Math.min(BUCKETS - 1, Math.max(0, Math.floor(Math.log(ms / 0.01) / Math.log(1.1))));
// acks[i]: writes of cfg.writes[i] that returned success (acknowledged by the daemon).
const out = { reads: 0, writes: 0, errors: {}, hist, writeHist, maxMs: 0, slowest: "", acks: cfg.writes.map(() => 0) };

async function once() {
  const write = cfg.writes.length > 0 && rand(1000) < cfg.writeShare * 1000;
  const t0 = performance.now();
  let what;
  try {
    if (write) {
      const wi = rand(cfg.writes.length);
      const w = cfg.writes[wi];
      what = `write ${w.path}`;
      // One write(2) per command, as `echo cmd > ctl` does.
      const fh = await open(`${cfg.mount}/${w.path}`, "w");
      try {
        await fh.write(w.data);
      } finally {
        await fh.close();
      }
      out.acks[wi]++;
      out.writes++;
    } else {
      const p = cfg.reads[rand(cfg.reads.length)];
      what = `read ${p}`;
      await readFile(`${cfg.mount}/${p}`);
      out.reads++;
    }
  } catch (e) {
    out.errors[e.code ?? "other"] = (out.errors[e.code ?? "other"] ?? 0) + 1;
    if (cfg.stopOnDisconnect && (e.code === "ENOTCONN" || e.code === "ECONNABORTED" || e.code === "ENOENT")) stopped = true;
    if (write) out.writes++;
    else out.reads++;
  }
  const ms = performance.now() - t0;
  hist[bucketOf(ms)]++;
  if (write) writeHist[bucketOf(ms)]++;
  if (ms > out.maxMs) {
    out.maxMs = ms;
    out.slowest = what;
  }
}

let stopped = false;
while (Date.now() < deadline && !stopped) await once();
process.stdout.write(JSON.stringify(out) + "\n");
