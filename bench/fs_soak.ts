/**
 * bench/fs_soak — each FUSE backend under a million requests: 16 reader processes read
 * `status` (100 agents) in a loop until the backend has served about 1M requests (an
 * open + read + read-at-EOF + release is 4: neither backend takes FLUSH, so the kernel stops
 * sending it after the first close), while this process samples a `status`
 * read's latency at the start and at the end, and the daemon's RSS and threads: does a backend stay
 * flat, or grow and slow down?
 *
 * Run: `npm run bench:soak` (a few minutes; not part of CI).
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgentsys, stopServer } from "./_daemon.ts";

const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 1_000_000);
const PER_READ = 4;
const READERS = 16;
const buf = Buffer.alloc(1 << 20);

function readOnce(path: string): void {
  const fd = openSync(path, "r");
  while (readSync(fd, buf, 0, buf.length, null) > 0);
  closeSync(fd);
}

function latency(path: string, n: number): { p50: number; p99: number } {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    readOnce(path);
    t[i] = (performance.now() - t0) * 1000;
  }
  t.sort();
  return { p50: t[Math.floor(n * 0.5)], p99: t[Math.floor(n * 0.99)] };
}

function proc(pid: number): { rssKiB: number; threads: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  return { rssKiB: Number(/^VmRSS:\s+(\d+)/m.exec(s)?.[1]), threads: Number(/^Threads:\s+(\d+)/m.exec(s)?.[1]) };
}

const READER = `const fs=require("fs");const p=process.argv[1];let left=Number(process.argv[2]);const b=Buffer.alloc(1<<20);while(left-->0){const fd=fs.openSync(p,"r");while(fs.readSync(fd,b,0,b.length,null)>0);fs.closeSync(fd)}`;

const base = join(tmpdir(), `agentsys-soak-${process.pid}`);
mkdirSync(base, { recursive: true });
const rows: string[] = [];
console.log(`# bench/fs_soak — ${REQUESTS} requests per backend, ${READERS} readers, node ${process.version}, ${new Date().toISOString()}`);
const VARIANTS = [
  { label: "fuse-native", backend: "fuse-native", runtime: "node" },
  { label: "devfuse", backend: "devfuse", runtime: "node" },
  { label: "devfuse on Deno", backend: "devfuse", runtime: "deno" },
] as const;
for (const { label, backend, runtime } of VARIANTS) {
  const mnt = join(base, label.replace(/ /g, "-"));
  const d = await startAgentsys(mnt, ["--window", "0", "--ephemeral", "--backend", backend], runtime);
  const fd = openSync(`${mnt}/ctl`, "w");
  writeSync(fd, Array.from({ length: 100 }, (_, i) => `spawn ${100 + i} a${i} FsBasic pid=${3_000_000 + i}`).join("\n") + "\n");
  closeSync(fd);
  const path = `${mnt}/status`;
  for (let i = 0; i < 500; i++) readOnce(path);
  const before = { ...latency(path, 2000), ...proc(d.pid!) };
  const t0 = performance.now();
  const perReader = Math.ceil(REQUESTS / PER_READ / READERS);
  await Promise.all(Array.from({ length: READERS }, () => new Promise((r) => spawn(process.execPath, ["-e", READER, path, String(perReader)], { stdio: "ignore" }).once("exit", r))));
  const secs = (performance.now() - t0) / 1000;
  const after = { ...latency(path, 2000), ...proc(d.pid!) };
  const us = (x: number) => x.toFixed(0);
  rows.push(`| ${label} | ${us(before.p50)} / ${us(before.p99)} µs | ${us(after.p50)} / ${us(after.p99)} µs | ${before.rssKiB >> 10} → ${after.rssKiB >> 10} MiB | ${before.threads} → ${after.threads} | ${Math.round((perReader * READERS * PER_READ) / secs)} |`);
  await stopServer(d, mnt);
}
console.log("");
console.log(`| daemon | status p50 / p99 before | after ~${(REQUESTS / 1e6).toFixed(1)}M requests | RSS | threads | requests/s under ${READERS} readers |`);
console.log("|---|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
rmSync(base, { recursive: true, force: true });
