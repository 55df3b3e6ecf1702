import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { childEnv, clean } from "../fs/daemon.ts";

/**
 * Load for the stress tests: many client processes (test/stress/client.mjs) reading the tree
 * and writing commands through the mount, merged into one result; and samples of the daemon's
 * threads, RSS and FUSE thread records. Durations scale with STRESS (`npm run stress`).
 */
const CLIENT = new URL("./client.mjs", import.meta.url).pathname;

/** Long runs under `npm run stress`, short ones in CI. */
export const LONG = process.env.STRESS === "1";
export const scaled = (shortMs: number, longMs: number) => (LONG ? longMs : shortMs);

export interface ClientConfig {
  mount: string;
  durationMs: number;
  reads: string[];
  writes: { path: string; data: string }[];
  /** Fraction of operations that are writes. */
  writeShare: number;
  /** End a client at its first ENOTCONN/ENOENT (the daemon is gone). */
  stopOnDisconnect?: boolean;
}

export interface LoadResult {
  clients: number;
  reads: number;
  writes: number;
  errors: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  /** Of reads alone and of writes alone (a write waits for the journal's fsync). */
  readP99Ms: number;
  writeP50Ms: number;
  writeP99Ms: number;
  maxMs: number;
  slowest: string;
  /** Clients that did not finish within their duration + 20 s (a hang). */
  stuck: number;
  /** Acknowledged writes per entry of `writes`, over all clients. */
  acks: number[];
}

interface ClientOut {
  reads: number;
  writes: number;
  errors: Record<string, number>;
  hist: number[];
  writeHist: number[];
  maxMs: number;
  slowest: string;
  acks: number[];
}

function runClient(cfg: ClientConfig, seed: number): Promise<ClientOut | null> {
  return new Promise((resolve) => {
    const child = spawn(...clean(process.execPath, [CLIENT, JSON.stringify({ ...cfg, seed })]), { env: childEnv(), stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), cfg.durationMs + 20_000);
    child.on("exit", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(text) as ClientOut);
      } catch {
        resolve(null);
      }
    });
  });
}

const quantile = (hist: number[], q: number): number => {
  const total = hist.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b];
    if (seen >= q * total) return Math.round(0.01 * Math.pow(1.1, b + 1) * 100) / 100; // the bucket's upper edge
  }
  return NaN;
};

export async function runLoad(clients: number, cfg: ClientConfig): Promise<LoadResult> {
  const outs = await Promise.all(Array.from({ length: clients }, (_, i) => runClient(cfg, i + 1)));
  const hist = new Array<number>(200).fill(0);
  const writeHist = new Array<number>(200).fill(0);
  const r: LoadResult = { clients, reads: 0, writes: 0, errors: {}, p50Ms: 0, p99Ms: 0, readP99Ms: 0, writeP50Ms: 0, writeP99Ms: 0, maxMs: 0, slowest: "", stuck: 0, acks: cfg.writes.map(() => 0) };
  for (const o of outs) {
    if (!o) {
      r.stuck++;
      continue;
    }
    r.reads += o.reads;
    r.writes += o.writes;
    for (const [k, v] of Object.entries(o.errors)) r.errors[k] = (r.errors[k] ?? 0) + v;
    o.hist.forEach((n, b) => (hist[b] += n));
    o.writeHist.forEach((n, b) => (writeHist[b] += n));
    o.acks.forEach((n, i) => (r.acks[i] += n));
    if (o.maxMs > r.maxMs) {
      r.maxMs = o.maxMs;
      r.slowest = o.slowest;
    }
  }
  r.p50Ms = quantile(hist, 0.5);
  r.p99Ms = quantile(hist, 0.99);
  r.readP99Ms = quantile(hist.map((n, b) => n - writeHist[b]), 0.99);
  r.writeP50Ms = quantile(writeHist, 0.5);
  r.writeP99Ms = quantile(writeHist, 0.99);
  return r;
}

export interface DaemonSample {
  threads: number;
  rssKiB: number;
  /** fuse-native's per-thread records (agents.json `daemon.fuse_thread_records`). */
  records: number;
}

/** Threads and RSS from /proc, thread records from the tree (async: never sync on a mount). */
export async function sampleDaemon(pid: number, mount: string): Promise<DaemonSample> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  const json = JSON.parse(await readFile(`${mount}/agents.json`, "utf8")) as { daemon: { fuse_thread_records?: number } | null };
  return { threads: field("Threads"), rssKiB: field("VmRSS"), records: json.daemon?.fuse_thread_records ?? -1 };
}
