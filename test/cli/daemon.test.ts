import { readFile, stat } from "node:fs/promises";
import parsePrometheus from "parse-prometheus-text-format";
import t from "tap";
import { alive, startDaemon, until } from "../fs/daemon.ts";
import { agentsys, cliFor } from "./cli.ts";

const FIX = new URL("../../fixtures/agents/", import.meta.url).pathname;

async function mounted(mount: string): Promise<boolean> {
  return (await readFile("/proc/self/mountinfo", "utf8")).split("\n").some((l) => l.split(" ")[4] === mount);
}

t.test("top prints one plain snapshot when stdout is not a terminal", async (t) => {
  const d = await startDaemon(t, ["--window", "200"]);
  const cli = cliFor(d.mount);
  t.equal((await cli("spawn", "100", "spinner", "none", "--", process.execPath, `${FIX}spinner.cjs`)).code, 0);
  t.equal((await cli("spawn", "101", "idle", "none", "--", "sleep", "600")).code, 0);
  t.ok(await until(async () => JSON.parse((await cli("info", "100", "--json")).stdout).resources.cpu_percent > 20, 5000), "the spinner's CPU was sampled");
  const r = await cli("top");
  t.equal(r.code, 0, r.stderr);
  t.notMatch(r.stdout, /\x1b\[/, "no escape codes");
  const lines = r.stdout.split("\n");
  t.match(lines[0], /^agentsys \d\d:\d\d:\d\d · agents 2 \(2 active\) · spawns 2 /, "system line");
  t.match(lines[3], /^ +ID {2}NAME +STATE +CPU% +MEM RESTARTS FAULTS +UPTIME$/, "header");
  t.match(lines[4], /^ +100 {2}spinner +(running|throttled) +\d+\.\d \[\|+ *\] +\d+(\.\d)?M +0\/3 +\d+ +\d+s$/, "sorted by CPU: the spinner first, with a bar");
  t.match(lines[5], /^ +101 {2}idle +running +0\.0 \[ {10}\]/);
  t.match(r.stdout, /\nRecent events:\n {2}\d+ \d+ \w+ 10[01]/);
  const byName = await cli("top", "--sort", "n");
  t.match(byName.stdout.split("\n")[4], /^ +101 {2}idle/, "--sort n: by name");
  t.match(await cli("top", "--sort", "z"), { code: 2, stderr: /--sort "z"/ });
});

t.test("--metrics-port serves the metrics file over HTTP for Prometheus", async (t) => {
  const d = await startDaemon(t, ["--metrics-port", "0"]);
  t.ok(await until(() => /metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/.test(d.log())), "the daemon says where");
  const url = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(d.log())![1];
  t.equal((await cliFor(d.mount)("spawn", "100", "a", "none", "--", "sleep", "600")).code, 0);
  const res = await fetch(url);
  t.equal(res.status, 200);
  t.match(res.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
  const body = await res.text();
  const families = parsePrometheus(body);
  t.ok(families.length > 5, `${families.length} metric families parse`);
  const spawns = families.find((f) => f.name === "agentsys_spawns_total");
  t.equal(spawns?.metrics[0].value, "1");
  const file = await d.sh("cat $M/metrics");
  t.equal(parsePrometheus(file.stdout).length, families.length, "the same families as the metrics file");
  t.equal((await fetch(url.replace("/metrics", "/"))).status, 404);
  t.equal((await fetch(url, { method: "POST" })).status, 405);
  t.equal((await fetch(url, { method: "HEAD" })).status, 200);
});

t.test("down stops the daemon found through the mount: agents stopped, tree unmounted", async (t) => {
  const d = await startDaemon(t, ["--grace", "500"]);
  const cli = cliFor(d.mount);
  t.equal((await cli("spawn", "100", "a", "none", "--", "sleep", "600")).code, 0);
  const pid = JSON.parse((await cli("info", "100", "--json")).stdout).pid;
  const r = await cli("down");
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, new RegExp(`daemon ${d.child.pid} \\(serving .*\\) stopped`));
  t.equal(d.child.exitCode ?? (await new Promise((res) => d.child.once("exit", res))), 0, "the daemon exited 0");
  t.notOk(alive(pid), "its agent was stopped");
  t.notOk(await mounted(d.mount), "unmounted");
  await t.rejects(stat(`${d.mount}-state/agentsys.pid`), "pid file removed");
  t.match(await cli("down"), { code: 1, stderr: /ESRCH: no running agentsys daemon/ });
});

t.test("down finds the daemon through the pid file when the mount is not where it looks", async (t) => {
  const d = await startDaemon(t);
  const r = await agentsys(["down", "--state", `${d.mount}-state`], { AGENTSYS_ROOT: `${d.mount}-elsewhere` });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /from .*agentsys\.pid\) stopped/);
  t.notOk(await mounted(d.mount));
});

t.test("top on a terminal: alternate screen, refresh, sort keys, q quits", async (t) => {
  const d = await startDaemon(t);
  const cli = cliFor(d.mount);
  t.equal((await cli("spawn", "100", "zeta", "none", "--", "sleep", "600")).code, 0);
  t.equal((await cli("spawn", "101", "alpha", "none", "--", "sleep", "600")).code, 0);
  // A real pseudo-terminal (python3's pty), 30×120; keys typed as a user would.
  const py = `
import json, os, pty, select, sys, time, fcntl, termios, struct
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], sys.argv[2], "top", "--interval", "200"])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
out = b""
def pump(seconds):
    global out
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try: out += os.read(fd, 65536)
            except OSError: return
pump(1.5); first = len(out)
os.write(fd, b"n"); pump(0.8)
os.write(fd, b"q"); pump(1.0)
_, status = os.waitpid(pid, 0)
print(json.dumps({"out": out.decode("utf-8", "replace"), "first": first, "status": os.waitstatus_to_exitcode(status)}))
`;
  const r = await d.sh(`AGENTSYS_ROOT=$M python3 -c '${py.replace(/'/g, "'\\''")}' ${process.execPath} ${new URL("../../dist/bin/agentsys.js", import.meta.url).pathname}`);
  t.equal(r.code, 0, r.stderr);
  const { out, first, status } = JSON.parse(r.stdout) as { out: string; first: number; status: number };
  t.equal(status, 0, "q quits with exit 0");
  t.ok(out.startsWith("\x1b[?1049h"), "switches to the alternate screen");
  t.ok(out.endsWith("\x1b[?25h\x1b[?1049l"), "and back, cursor shown again");
  const frames = out.split("\x1b[H").length - 1;
  t.ok(frames >= 4, `refreshes (${frames} frames in ~3 s at 200 ms)`);
  const before = out.slice(0, first);
  const after = out.slice(first);
  t.match(before, /sorted by cpu/);
  t.match(after, /sorted by name/, "n sorts by name");
  const lastFrame = after.slice(after.lastIndexOf("\x1b[H"));
  t.ok(lastFrame.indexOf("alpha") < lastFrame.indexOf("zeta"), "alpha before zeta");
  t.match(out, /keys: q quit · c cpu/);
});
