/**
 * bench/fs — the mounted tree against a C libfuse 2 reference, in one run, for the fuse-native
 * and /dev/fuse backends on Node and the /dev/fuse backend on Deno:
 *  - `status` open+read+close latency (p50/p99) at 10 and 1000 agents;
 *  - status reads/s with 1, 4 and 16 concurrent reader processes;
 *  - shim calls/s, one record per write and 1000 records per write.
 * The daemon and the C reference run as child processes; this process is only a client
 * (synchronous reads of someone else's mount are fine).
 *
 * Run: `npm run bench:fs` (as root: installs libfuse-dev for the C reference when missing).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SyscallRequests } from "../syscalls/mod.ts";
import { startAgentsys, stopServer } from "./_daemon.ts";

const ROOT = new URL("../../", import.meta.url).pathname; // dist/bench → repo
const C_SRC = join(ROOT, "bench/c/statusfs.c");
const C_BIN = join(tmpdir(), "agentsys-statusfs");

function mounted(path: string): boolean {
  return spawnSync("mountpoint", ["-q", path]).status === 0;
}

async function startC(mnt: string, bytes: number): Promise<ChildProcess | null> {
  if (!existsSync(C_BIN)) {
    if (spawnSync("pkg-config", ["--exists", "fuse"]).status !== 0 && process.getuid?.() === 0) {
      spawnSync("apt-get", ["install", "-y", "-qq", "libfuse-dev"], { stdio: "ignore" });
    }
    const flags = spawnSync("pkg-config", ["--cflags", "--libs", "fuse"], { encoding: "utf8" });
    if (flags.status !== 0) return null;
    const cc = spawnSync("gcc", ["-O2", "-o", C_BIN, C_SRC, ...flags.stdout.trim().split(/\s+/)], { stdio: "inherit" });
    if (cc.status !== 0) return null;
  }
  const child = spawn(C_BIN, [mnt, String(bytes), "-f", "-o", "direct_io,auto_unmount"], { stdio: ["ignore", "pipe", "pipe"] });
  const end = Date.now() + 10_000;
  while (!mounted(mnt) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return mounted(mnt) ? child : null;
}

const buf = Buffer.alloc(1 << 20);
function readAll(path: string): number {
  const fd = openSync(path, "r");
  let n = 0;
  for (let r; (r = readSync(fd, buf, 0, buf.length, null)) > 0; ) n += r;
  closeSync(fd);
  return n;
}

function latency(path: string, iters: number): { p50: number; p99: number; bytes: number } {
  for (let i = 0; i < 200; i++) readAll(path);
  const t = new Float64Array(iters);
  let bytes = 0;
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    bytes = readAll(path);
    t[i] = (performance.now() - t0) * 1000;
  }
  t.sort();
  return { p50: t[Math.floor(iters * 0.5)], p99: t[Math.floor(iters * 0.99)], bytes };
}

const READER = `const fs=require("fs");const p=process.argv[1];const end=Date.now()+Number(process.argv[2]);const b=Buffer.alloc(1<<20);let n=0;while(Date.now()<end){const fd=fs.openSync(p,"r");while(fs.readSync(fd,b,0,b.length,null)>0);fs.closeSync(fd);n++}console.log(n)`;

async function readersPerSecond(path: string, readers: number, ms: number): Promise<number> {
  const runs = Array.from({ length: readers }, () => {
    const c = spawn(process.execPath, ["-e", READER, path, String(ms)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    c.stdout!.on("data", (d) => (out += d));
    return new Promise<number>((resolve) => c.once("exit", () => resolve(Number(out.trim()) || 0)));
  });
  const counts = await Promise.all(runs);
  return (counts.reduce((a, b) => a + b, 0) * 1000) / ms;
}

function shimCallsPerSecond(mnt: string, batch: number, ms: number): number {
  const one = SyscallRequests.heartbeat(100);
  const payload = Buffer.alloc(one.byteLength * batch);
  for (let i = 0; i < batch; i++) payload.set(one, i * one.byteLength);
  const fd = openSync(`${mnt}/syscall`, "r+");
  const want = 32 * batch;
  const end = performance.now() + ms;
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    writeSync(fd, payload);
    let got = 0;
    while (got < want) got += readSync(fd, buf, 0, buf.length, null);
    calls += batch;
  }
  const elapsed = performance.now() - t0;
  closeSync(fd);
  return (calls * 1000) / elapsed;
}

function register(mnt: string, n: number): void {
  const lines = Array.from({ length: n }, (_, i) => `spawn ${100 + i} agent-${i} FsBasic pid=${2_000_000 + i}`).join("\n");
  const fd = openSync(`${mnt}/ctl`, "w");
  writeSync(fd, lines + "\n");
  closeSync(fd);
}

const f1 = (x: number) => x.toFixed(x >= 100 ? 0 : 1);
const base = join(tmpdir(), `agentsys-bench-${process.pid}`);
mkdirSync(base, { recursive: true });
const rows: string[] = [];
/** The daemon variants, side by side: both backends on Node, and the /dev/fuse one on Deno. */
const VARIANTS = [
  { key: "fuse-native", label: "fuse-native", runtime: "node", backend: "fuse-native" },
  { key: "devfuse", label: "devfuse", runtime: "node", backend: "devfuse" },
  { key: "deno", label: "devfuse on Deno", runtime: "deno", backend: "devfuse" },
] as const;
const KEYS = VARIANTS.map((v) => v.key);
const cells = (f: (k: string) => string) => KEYS.map(f).join(" | ");
console.log(`# bench/fs — node ${process.version}, ${new Date().toISOString()}, ${execFileSync("nproc").toString().trim()} CPUs`);
for (const agents of [10, 1000]) {
  const mnts: Record<string, string> = {};
  const daemons: Record<string, ChildProcess> = {};
  for (const v of VARIANTS) {
    mnts[v.key] = join(base, `${v.key}-a${agents}`);
    mkdirSync(mnts[v.key], { recursive: true });
    daemons[v.key] = await startAgentsys(mnts[v.key], ["--window", "0", "--ephemeral", "--backend", v.backend], v.runtime);
    register(mnts[v.key], agents);
  }
  // Interleaved, so machine noise falls on every variant alike.
  const lat: Record<string, { p50: number; p99: number; bytes: number }> = {};
  for (const k of KEYS) lat[k] = latency(`${mnts[k]}/status`, 3000);
  const cm = join(base, `c${agents}`);
  mkdirSync(cm, { recursive: true });
  const c = await startC(cm, lat["fuse-native"].bytes);
  const cl = c ? latency(`${cm}/status`, 3000) : null;
  const ratio = (x: number) => (cl ? (x / cl.p50).toFixed(2) + "×" : "n/a");
  rows.push(`| status open+read+close p50 / p99, ${agents} agents (${lat["fuse-native"].bytes} B) | ${cells((k) => `${f1(lat[k].p50)} / ${f1(lat[k].p99)} µs`)} | ${cl ? `${f1(cl.p50)} / ${f1(cl.p99)} µs` : "n/a"} | ${KEYS.map((k) => ratio(lat[k].p50)).join(" / ")} |`);
  if (agents === 1000) {
    for (const n of [1, 4, 16, 64]) {
      const r: Record<string, number> = {};
      for (const k of KEYS) r[k] = await readersPerSecond(`${mnts[k]}/status`, n, 3000);
      const cr = c ? await readersPerSecond(`${cm}/status`, n, 3000) : 0;
      rows.push(`| status reads/s, ${n} concurrent reader${n > 1 ? "s" : ""} (1000 agents) | ${cells((k) => f1(r[k]))} | ${c ? f1(cr) : "n/a"} | ${c ? `${KEYS.map((k) => (cr / r[k]).toFixed(2) + "×").join(" / ")} slower` : "n/a"} |`);
    }
    const single: Record<string, number> = {};
    const batched: Record<string, number> = {};
    for (const k of KEYS) {
      single[k] = shimCallsPerSecond(mnts[k], 1, 2000);
      batched[k] = shimCallsPerSecond(mnts[k], 1000, 2000);
    }
    rows.push(`| shim calls/s, 1 record / 1000 records per write | ${cells((k) => `${f1(single[k])} / ${f1(batched[k])}`)} | – | – |`);
  }
  if (c) await stopServer(c, cm);
  for (const k of KEYS) await stopServer(daemons[k], mnts[k]);
}
console.log("");
console.log(`| measure | ${VARIANTS.map((v) => `agentsys, ${v.label}`).join(" | ")} | C libfuse 2 reference | ratio to C (${KEYS.join(" / ")}) |`);
console.log("|---|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
rmSync(base, { recursive: true, force: true });
