/**
 * bench/peers — agentsys against the supervisors users would otherwise pick: PM2
 * (npm, private PM2_HOME), supervisord and s6 (Debian packages, private configs and sockets;
 * the system services are never used). All four run side by side, with the same tiny agent
 * (`sleep <marker>`), and every measurement is interleaved across them and repeated:
 *
 *  1. start N agents until every process exists (order rotated per N);
 *  2. crash → replacement running: kill -9 one agent, until its supervisor has a new child,
 *     20 times per tool, at its documented minimum restart delay and at its default;
 *  3. status query latency (`agentsys list`, `cat status`, `pm2 jlist`, `supervisorctl
 *     status`, `s6-svstat` over every service);
 *  4. supervisor memory (PSS of the daemon processes only) and per-agent increment;
 *  5. supervisor CPU while idle for 30 s at N = 100 (utime + stime from /proc).
 *
 * `npm run bench:peers` (root: installs supervisor and s6 when missing, with policy-rc.d
 * keeping apt from starting their services). Everything it started is stopped by pid.
 * Environment: NS=10,100,500, KILLS=20, IDLE_S=30.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgentsys, stopServer } from "./_daemon.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const AGENTSYS = join(ROOT, "dist/bin/agentsys.js");
const NS = (process.env.NS ?? "10,100,500").split(",").map(Number);
const KILLS = Number(process.env.KILLS ?? 20);
const IDLE_S = Number(process.env.IDLE_S ?? 30);
const PM2_VERSION = "7.0.4";
/** A tool that cannot start N agents within this is reported as such, and skipped at that N. */
const START_TIMEOUT_MS = Number(process.env.START_TIMEOUT_MS ?? 90_000);
const WORK = join(tmpdir(), `agentsys-peers-${process.pid}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;

// ------------------------------------------------------------------ /proc helpers

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

/** Pids running exactly `sleep <marker>` (zombies excluded). */
function agentPids(marker: number): number[] {
  const want = `sleep\0${marker}\0`;
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (d.charCodeAt(0) > 57) continue;
    const c = cmdline(Number(d));
    if (c.endsWith(want) && (c === want || c.endsWith(`/${want}`))) out.push(Number(d));
  }
  return out;
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function ppid(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]);
}

function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").slice(0);
    const x = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return Number(x[11]) + Number(x[12]);
  } catch {
    return 0;
  }
}

/**
 * Proportional set size (KiB): RSS with shared pages split between the processes sharing
 * them, so the sum over many small supervisors (s6-supervise per service) does not count
 * libc once per process.
 */
function rssKiB(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function timeCmd(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = now();
  const r = spawnSync(cmd, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return now() - t0;
}

// ------------------------------------------------------------------ the supervisors

interface Peer {
  name: string;
  version: string;
  up(): Promise<void>;
  /** Add n agents: the first half `sleep <marker>` at the tool's minimum restart delay, the rest `sleep <marker+1>` at its defaults. */
  add(n: number, marker: number): Promise<void>;
  /** Remove every agent (before the next N). */
  clear(): Promise<void>;
  statusCmds(): [string, string, string[], NodeJS.ProcessEnv?][];
  daemonPids(): number[];
  down(): Promise<void>;
  minDelayNote: string;
}

function agentsysPeer(): Peer {
  const mnt = join(WORK, "agentsys-mnt");
  let d: ChildProcess | null = null;
  let ids: number[] = [];
  const ctl = (text: string) => {
    const r = spawnSync("sh", ["-c", `cat > '${mnt}/ctl'`], { input: text });
    if (r.status !== 0) throw new Error(`agentsys ctl: ${r.stderr}`);
  };
  return {
    name: "agentsys",
    version: JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version,
    minDelayNote: "restart_backoff base_ms=0 (default: 100 ms ±20 %, doubling)",
    async up() {
      // Like for like: none of the peers sandboxes its children, and the crash measure finds a
      // replacement among the supervisor's own children. What the sandbox costs is bench:host's
      // "sandbox / no sandbox" column.
      d = await startAgentsys(mnt, ["--window", "1000", "--ephemeral", "--no-sandbox"]);
    },
    async add(n, marker) {
      const lines: string[] = [];
      for (let i = 0; i < n; i++) {
        const min = i < n / 2;
        const spec = { name: `a${i}`, command: "sleep", args: [String(min ? marker : marker + 1)], auto_restart: true, max_restarts: 65535, ...(min ? { restart_backoff: { base_ms: 0, cap_ms: 0 } } : {}) };
        lines.push(`spawn ${JSON.stringify(spec)}`);
      }
      ctl(lines.join("\n") + "\n");
      ids = (JSON.parse(readFileSync(`${mnt}/agents.json`, "utf8")) as { agents: { agent_id: number }[] }).agents.map((a) => a.agent_id);
    },
    async clear() {
      ctl(ids.map((id) => `kill ${id}`).join("\n") + "\n");
      const end = Date.now() + 10_000;
      while (Date.now() < end && (JSON.parse(readFileSync(`${mnt}/agents.json`, "utf8")) as { system: { active_agents: number } }).system.active_agents > 0) await sleep(20);
      ctl(ids.map((id) => `remove ${id}`).join("\n") + "\n");
    },
    statusCmds: () => [
      ["agentsys list", process.execPath, [AGENTSYS, "list", "--mount", mnt]],
      ["cat status", "cat", [`${mnt}/status`]],
    ],
    // The daemon and its spawner process (restarts are forked there).
    daemonPids: () => (d?.pid ? [d.pid, ...children(d.pid).filter((p) => cmdline(p).includes("spawner_main"))] : []),
    async down() {
      if (d) await stopServer(d, mnt);
    },
  };
}

function pm2Peer(): Peer {
  const dir = join(WORK, "pm2");
  const home = join(dir, "home");
  const bin = join(dir, "node_modules/.bin/pm2");
  const env = { ...process.env, PM2_HOME: home };
  const pm2 = (...args: string[]) => execFileSync(bin, args, { env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  return {
    name: "pm2",
    version: PM2_VERSION,
    minDelayNote: "restart_delay 0 (also its default)",
    async up() {
      mkdirSync(dir, { recursive: true });
      if (!existsSync(bin)) execFileSync("npm", ["install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error", `pm2@${PM2_VERSION}`], { stdio: "inherit" });
      pm2("ping");
    },
    async add(n, marker) {
      const apps = Array.from({ length: n }, (_, i) => ({ name: `a${i}`, script: "sleep", args: String(i < n / 2 ? marker : marker + 1), interpreter: "none", autorestart: true, max_restarts: 1_000_000, ...(i < n / 2 ? { restart_delay: 0, min_uptime: 0 } : {}) }));
      const file = join(dir, `eco-${marker}.json`);
      writeFileSync(file, JSON.stringify({ apps }));
      pm2("start", file);
    },
    async clear() {
      pm2("delete", "all");
    },
    statusCmds: () => [["pm2 jlist", bin, ["jlist"], env]],
    daemonPids: () => {
      try {
        return [Number(readFileSync(join(home, "pm2.pid"), "utf8").trim())];
      } catch {
        return [];
      }
    },
    async down() {
      try {
        pm2("kill");
      } catch {
        /* already down */
      }
    },
  };
}

function supervisordPeer(): Peer {
  const dir = join(WORK, "supervisord");
  const conf = join(dir, "supervisord.conf");
  let d: ChildProcess | null = null;
  const ctl = (...args: string[]) => execFileSync("supervisorctl", ["-c", conf, ...args], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: START_TIMEOUT_MS });
  return {
    name: "supervisord",
    version: execFileSync("supervisord", ["--version"], { encoding: "utf8" }).trim(),
    minDelayNote: "startsecs=0 (default startsecs=1); no delay setting: restarts on its next loop",
    async up() {
      mkdirSync(join(dir, "conf.d"), { recursive: true });
      writeFileSync(
        conf,
        `[unix_http_server]\nfile=${dir}/supervisor.sock\n\n[supervisord]\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\nchildlogdir=${dir}\nnodaemon=true\n\n` +
          `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n[supervisorctl]\nserverurl=unix://${dir}/supervisor.sock\n\n[include]\nfiles = ${dir}/conf.d/*.conf\n`,
      );
      d = spawn("supervisord", ["-n", "-c", conf], { stdio: "ignore" });
      const end = Date.now() + 10_000;
      for (;;) {
        try {
          ctl("pid");
          break;
        } catch {
          if (Date.now() > end) throw new Error("supervisord did not start");
          await sleep(50);
        }
      }
    },
    async add(n, marker) {
      let text = "";
      for (let i = 0; i < n; i++) {
        text += `[program:a${marker}_${i}]\ncommand=sleep ${i < n / 2 ? marker : marker + 1}\nautorestart=true\nstartretries=1000000\nstdout_logfile=NONE\nstderr_logfile=NONE\n${i < n / 2 ? "startsecs=0\n" : ""}\n`;
      }
      writeFileSync(join(dir, "conf.d", "agents.conf"), text);
      ctl("update");
    },
    async clear() {
      rmSync(join(dir, "conf.d", "agents.conf"), { force: true });
      ctl("update");
    },
    statusCmds: () => [["supervisorctl status", "sh", ["-c", `supervisorctl -c ${conf} status > /dev/null; [ $? -le 3 ]`]]],
    daemonPids: () => (d?.pid ? [d.pid] : []),
    async down() {
      if (d && d.exitCode === null) {
        d.kill("SIGTERM");
        await new Promise((r) => d!.once("exit", r));
      }
    },
  };
}

function s6Peer(): Peer {
  const scan = join(WORK, "s6", "scan");
  let d: ChildProcess | null = null;
  let services: string[] = [];
  return {
    name: "s6",
    version: `s6 ${(spawnSync("dpkg-query", ["-W", "-f=${Version}", "s6"], { encoding: "utf8" }).stdout || "?").trim()}`,
    minDelayNote: "no setting: s6-supervise restarts at once (1 s apart only when a run lasted under 1 s)",
    async up() {
      mkdirSync(scan, { recursive: true });
      d = spawn("s6-svscan", [scan], { stdio: "ignore" });
      await sleep(100);
    },
    async add(n, marker) {
      services = [];
      for (let i = 0; i < n; i++) {
        const sd = join(scan, `a${marker}_${i}`);
        mkdirSync(sd, { recursive: true });
        writeFileSync(join(sd, "run"), `#!/bin/sh\nexec sleep ${i < n / 2 ? marker : marker + 1}\n`);
        chmodSync(join(sd, "run"), 0o755);
        services.push(sd);
      }
      execFileSync("s6-svscanctl", ["-a", scan]);
    },
    async clear() {
      for (const sd of services) spawnSync("s6-svc", ["-wD", "-d", sd]);
      for (const sd of services) rmSync(sd, { recursive: true, force: true });
      execFileSync("s6-svscanctl", ["-an", scan]);
      await sleep(200);
    },
    statusCmds: () => [["s6-svstat (each service)", "sh", ["-c", `for s in ${scan}/*; do s6-svstat "$s"; done > /dev/null`]]],
    daemonPids: () => (d?.pid ? [d.pid, ...children(d.pid).filter((p) => cmdline(p).startsWith("s6-supervise"))] : []),
    async down() {
      if (d && d.exitCode === null) {
        for (const sd of services) spawnSync("s6-svc", ["-d", sd]);
        spawnSync("s6-svscanctl", ["-t", scan]);
        const end = Date.now() + 5000;
        while (d.exitCode === null && Date.now() < end) await sleep(50);
        if (d.exitCode === null) d.kill("SIGKILL");
      }
    },
  };
}

// ------------------------------------------------------------------ measurements

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Until every one of the n agents exists. */
async function waitAll(marker: number, n: number, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const count = () => agentPids(marker).length + agentPids(marker + 1).length;
  while (count() < n) {
    if (Date.now() > end) throw new Error(`only ${count()}/${n} agents of ${marker} after ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** kill -9 one `sleep <marker>` agent; ms until its supervisor has a new one as a child. */
async function crashOnce(marker: number): Promise<number> {
  const pool = agentPids(marker);
  const victim = pool[Math.floor(Math.random() * pool.length)];
  const parent = ppid(victim);
  const want = `sleep\0${marker}\0`;
  // agentsys restarts agents through its spawner process (a child of the daemon): a
  // replacement may be the spawner's child while the victim was the daemon's.
  const parents = [parent, ...children(parent).filter((c) => cmdline(c).includes("spawner_main"))];
  const before = new Set(parents.flatMap(children));
  process.kill(victim, "SIGKILL");
  const t0 = now();
  for (;;) {
    for (const p of parents) for (const c of children(p)) if (!before.has(c) && cmdline(c).endsWith(want)) return now() - t0;
    if (now() - t0 > 30_000) throw new Error(`no replacement for ${victim} after 30 s`);
    await new Promise((r) => setImmediate(r));
  }
}

interface Row {
  n: number;
  peer: string;
  start: number;
  crashMin: number[];
  crashDefault: number[];
  status: Record<string, number[]>;
  rssKiB: number;
  /** Why this tool was skipped at this N (it could not start the agents in time). */
  failed?: string;
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  ensurePackages();
  const peers = [agentsysPeer(), pm2Peer(), supervisordPeer(), s6Peer()];
  const rows: Row[] = [];
  const idle: Record<string, number> = {};
  const baseRss: Record<string, number> = {};
  const markers: number[] = [];
  try {
    for (const p of peers) await p.up();
    await sleep(1000);
    for (const p of peers) baseRss[p.name] = p.daemonPids().reduce((s, pid) => s + rssKiB(pid), 0);
    for (const [k, n] of NS.entries()) {
      const order = peers.map((_, i) => peers[(i + k) % peers.length]); // rotate who starts first
      const byPeer = new Map<string, Row>();
      for (const [i, p] of order.entries()) {
        const marker = 900_000 + n * 10 + peers.indexOf(p) * 2;
        markers.push(marker, marker + 1);
        const t0 = now();
        const row: Row = { n, peer: p.name, start: NaN, crashMin: [], crashDefault: [], status: {}, rssKiB: 0 };
        byPeer.set(p.name, row);
        try {
          await p.add(n, marker);
          await waitAll(marker, n, START_TIMEOUT_MS);
          row.start = now() - t0;
        } catch (e) {
          row.failed = `${(e as Error).message.split("\n")[0].slice(0, 120)} (after ${((now() - t0) / 1000).toFixed(0)} s)`;
          console.error(`${p.name} at N=${n}: ${row.failed}`);
        }
        void i;
      }
      await sleep(2000); // let restarts of start-up settle
      const crashes = n >= 100 ? KILLS : Math.max(6, KILLS / 2);
      for (let r = 0; r < crashes; r++) {
        for (const p of peers) {
          if (byPeer.get(p.name)!.failed) continue;
          const marker = 900_000 + n * 10 + peers.indexOf(p) * 2;
          byPeer.get(p.name)!.crashMin.push(await crashOnce(marker));
          await waitAll(marker, n);
          byPeer.get(p.name)!.crashDefault.push(await crashOnce(marker + 1));
          await waitAll(marker, n);
        }
        // s6 waits 1 s between two launches of a service that ran under 1 s; other victims next round.
        await sleep(50);
      }
      for (let r = 0; r < 10; r++) {
        for (const p of peers) {
          if (byPeer.get(p.name)!.failed) continue;
          for (const [label, cmd, args, env] of p.statusCmds()) {
            const row = byPeer.get(p.name)!;
            (row.status[label] ??= []).push(timeCmd(cmd, args, env));
          }
        }
      }
      for (const p of peers) byPeer.get(p.name)!.rssKiB = p.daemonPids().reduce((s, pid) => s + rssKiB(pid), 0);
      if (n === 100) {
        const t0 = peers.map((p) => p.daemonPids().reduce((s, pid) => s + cpuTicks(pid), 0));
        await sleep(IDLE_S * 1000);
        peers.forEach((p, i) => (idle[p.name] = (p.daemonPids().reduce((s, pid) => s + cpuTicks(pid), 0) - t0[i]) / (IDLE_S * 100)));
      }
      rows.push(...peers.map((p) => byPeer.get(p.name)!));
      for (const p of peers) await p.clear().catch((e) => console.error(`${p.name} clear: ${(e as Error).message}`));
      await sleep(500);
    }
  } finally {
    for (const p of peers) await p.down().catch((e) => console.error(`${p.name} down: ${(e as Error).message}`));
    // Anything left that we started (by pid, found by our markers).
    for (const m of markers) for (const pid of agentPids(m)) process.kill(pid, "SIGKILL");
    rmSync(WORK, { recursive: true, force: true });
  }
  report(peers, rows, idle, baseRss);
}

function ensurePackages(): void {
  const missing = ["supervisord", "s6-svscan"].filter((b) => spawnSync("sh", ["-c", `command -v ${b}`]).status !== 0);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`missing ${missing.join(", ")}: install Debian's supervisor and s6 (needs root)`);
  // policy-rc.d = 101 keeps apt from starting the system supervisor service.
  const policy = "/usr/sbin/policy-rc.d";
  const made = !existsSync(policy);
  if (made) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", "supervisor", "s6"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  } finally {
    if (made) rmSync(policy, { force: true });
  }
}

/** Print the report and put it into docs/performance.md between the peers markers. */
function report(peers: Peer[], rows: Row[], idle: Record<string, number>, baseRss: Record<string, number>): void {
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    render(peers, rows, idle, baseRss);
  } finally {
    console.log = log;
  }
  const text = lines.join("\n") + "\n";
  process.stdout.write(text);
  const doc = join(ROOT, "docs/performance.md");
  const begin = "<!-- peers:begin (written by npm run bench:peers) -->";
  const end = "<!-- peers:end -->";
  const cmd = `\nCommand: \`npm run bench:peers\` (NS=${NS.join(",")} KILLS=${KILLS} IDLE_S=${IDLE_S}); Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.\n\n`;
  const old = readFileSync(doc, "utf8");
  const block = `${begin}\n${cmd}${text}${end}`;
  const a = old.indexOf(begin);
  const b = old.indexOf(end);
  writeFileSync(doc, a >= 0 && b > a ? old.slice(0, a) + block + old.slice(b + end.length) : `${old.trimEnd()}\n\n${block}\n`);
}

function render(peers: Peer[], rows: Row[], idle: Record<string, number>, baseRss: Record<string, number>): void {
  const f = (x: number) => (!Number.isFinite(x) ? "—" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const get = (n: number, peer: string) => rows.find((r) => r.n === n && r.peer === peer)!;
  console.log(`# Peers, ${new Date().toISOString()}\n`);
  console.log(peers.map((p) => `- ${p.name} ${p.version}: minimum restart delay = ${p.minDelayNote}`).join("\n"));
  for (const n of NS) {
    const a = get(n, "agentsys");
    console.log(`\n## N = ${n}\n`);
    console.log("| | " + peers.map((p) => p.name).join(" | ") + " |\n|---|" + peers.map(() => "---:").join("|") + "|");
    const line = (label: string, val: (r: Row) => number, ratio = true) =>
      console.log(`| ${label} | ` + peers.map((p) => `${f(val(get(n, p.name)))}${ratio && p.name !== "agentsys" && Number.isFinite(val(a) / val(get(n, p.name))) ? ` (${(val(a) / val(get(n, p.name))).toFixed(2)}×)` : ""}`).join(" | ") + " |");
    line("start N agents, ms", (r) => r.start);
    const q = (xs: number[], p: number) => (xs.length ? pct(xs, p) : NaN);
    line("crash → running p50 ms, minimum delay", (r) => q(r.crashMin, 50));
    line("crash → running p95 ms, minimum delay", (r) => q(r.crashMin, 95));
    line("crash → running p50 ms, default", (r) => q(r.crashDefault, 50));
    line("crash → running p95 ms, default", (r) => q(r.crashDefault, 95));
    for (const p of peers) for (const label of Object.keys(get(n, p.name).status)) console.log(`| status: \`${label}\` p50 / p95 ms | ` + peers.map((q) => (q === p ? `${f(pct(get(n, p.name).status[label], 50))} / ${f(pct(get(n, p.name).status[label], 95))}` : "")).join(" | ") + " |");
    line("supervisor memory (PSS), MiB", (r) => (r.failed ? NaN : r.rssKiB / 1024));
    for (const p of peers) if (get(n, p.name).failed) console.log(`\n${p.name} skipped at N = ${n}: ${get(n, p.name).failed}`);
  }
  if (NS.includes(100) && NS.includes(10)) {
    console.log("\n## Per agent and idle (N = 100)\n");
    console.log("| | " + peers.map((p) => p.name).join(" | ") + " |\n|---|" + peers.map(() => "---:").join("|") + "|");
    const inc = (p: string) => (get(100, p).rssKiB - get(10, p).rssKiB) / 90;
    console.log("| memory (PSS) per agent, KiB ((N=100 − N=10) / 90) | " + peers.map((p) => `${f(inc(p.name))}${p.name !== "agentsys" ? ` (${(inc("agentsys") / inc(p.name)).toFixed(2)}×)` : ""}`).join(" | ") + " |");
    console.log("| memory (PSS) with no agents, MiB | " + peers.map((p) => f(baseRss[p.name] / 1024)).join(" | ") + " |");
    console.log(`| idle CPU over ${IDLE_S} s, % of a core | ` + peers.map((p) => f(idle[p.name] * 100)).join(" | ") + " |");
  }
}

await main();
