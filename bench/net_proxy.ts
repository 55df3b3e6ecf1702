/**
 * bench/net_proxy — what the sandbox's only way out costs, against a direct connection measured
 * in the same run: time to first byte of a small GET (N connections, one request each) and the
 * throughput of a 64 MiB body, direct / through the proxy's unix socket / through the proxy
 * and a TCP → unix relay (the sandbox's path: agent → 127.0.0.1:3128 → relay → proxy → origin).
 *
 * Run: `npm run bench:proxy` (BENCH_N connections, default 300).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttp } from "node:http";
import { connect, createServer as createTcp, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetProxy } from "../host/mod.ts";

const N = Number(process.env.BENCH_N ?? 300);
const BIG = 64 << 20;
const dir = mkdtempSync(join(tmpdir(), "agentsys-bench-proxy-"));
const chunk = Buffer.alloc(1 << 20, 120);

const origin = createHttp((req, res) => {
  if (req.url === "/big") {
    res.writeHead(200, { "Content-Length": BIG });
    let sent = 0;
    const more = () => {
      while (sent < BIG) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", more);
      }
      res.end();
    };
    more();
  } else res.end("ok\n");
});
await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
const port = (origin.address() as { port: number }).port;

const proxy = new NetProxy({ decide: () => ({ ok: true, rule: { kind: "ipv4", host: "127.0.0.1", port: "*" } }) });
const sock = join(dir, "proxy.sock");
await proxy.listen(1, sock);
const relay = createTcp((c) => {
  const u = connect(sock);
  c.pipe(u).pipe(c);
  c.on("error", () => u.destroy());
  u.on("error", () => c.destroy());
});
await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
const relayPort = (relay.address() as { port: number }).port;

type Path = { name: string; open: () => Socket; request: (path: string) => string };
const PATHS: Path[] = [
  { name: "direct", open: () => connect(port, "127.0.0.1"), request: (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n` },
  { name: "proxy (unix socket)", open: () => connect(sock), request: (p) => `GET http://127.0.0.1:${port}${p} HTTP/1.1\r\nHost: x\r\n\r\n` },
  { name: "relay + proxy (sandbox path)", open: () => connect(relayPort, "127.0.0.1"), request: (p) => `GET http://127.0.0.1:${port}${p} HTTP/1.1\r\nHost: x\r\n\r\n` },
];

/** ms to the first byte of the answer, and ms to its end with the bytes received. */
function fetchOnce(p: Path, path: string): Promise<{ ttfb: number; total: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttfb = 0;
    let bytes = 0;
    const s = p.open();
    s.on("connect", () => s.write(p.request(path)));
    s.on("data", (d) => {
      if (!ttfb) ttfb = performance.now() - t0;
      bytes += d.length;
    });
    s.on("end", () => resolve({ ttfb, total: performance.now() - t0, bytes }));
    s.on("error", reject);
  });
}

const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
console.log(`# bench/net_proxy — node ${process.version}, ${new Date().toISOString()}, N=${N}`);
const rows: string[] = [];
let base50 = 0;
let baseMiBs = 0;
for (const p of PATHS) {
  for (let i = 0; i < 20; i++) await fetchOnce(p, "/"); // warm-up
  const t: number[] = [];
  for (let i = 0; i < N; i++) t.push((await fetchOnce(p, "/")).ttfb);
  const big = await fetchOnce(p, "/big");
  if (big.bytes < BIG) throw new Error(`${p.name}: short body (${big.bytes})`);
  const mibs = BIG / (1 << 20) / (big.total / 1000);
  if (p.name === "direct") {
    base50 = pct(t, 0.5);
    baseMiBs = mibs;
  }
  rows.push(`| ${p.name} | ${pct(t, 0.5).toFixed(3)} ms | ${pct(t, 0.95).toFixed(3)} ms | ${(pct(t, 0.5) / base50).toFixed(2)}× | ${mibs.toFixed(0)} MiB/s | ${(mibs / baseMiBs).toFixed(2)}× |`);
}
console.log("\n| path | TTFB p50 | TTFB p95 | p50 / direct | 64 MiB body | / direct |\n|---|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
console.log(`\nproxy counted: ${JSON.stringify(proxy.stats(1))}`);
await proxy.closeAll();
relay.close();
origin.close();
rmSync(dir, { recursive: true, force: true });
