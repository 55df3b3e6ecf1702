import t from "tap";
import { golden } from "../golden.ts";
import { alive, startDaemon } from "../fs/daemon.ts";
import { agentsys, cliFor, normalize } from "./cli.ts";

/**
 * Every SIS read command of the CLI, as a subprocess against a mounted daemon with real agents:
 * text in SIS layout (golden, with pids and times normalized), `--json` that parses with the
 * documented shape, per-agent views equal to the tree's own files, and errors with exit codes.
 */
t.test("read commands over the mounted tree", async (t) => {
  const d = await startDaemon(t);
  const cli = cliFor(d.mount);

  t.test("spawn prints the new id; arguments pass exactly", async (t) => {
    const a = await cli("spawn", "100", "planner", "FsBasic,DocBasic", "auto_restart=true", "risk=High", "--", "sleep", "600");
    t.same(a, { code: 0, stdout: "100\n", stderr: "" });
    t.equal((await cli("spawn", "101", "worker", "FsBasic", "--", "sleep", "600")).stdout, "101\n");
    const c = await cli("spawn", "0", "talker", "none", "--", "sh", "-c", 'echo "two  words"; exec sleep 600');
    t.equal(c.stdout, "1000\n", "id 0 allocates from 1000");
    const ctl = await d.sh(
      `printf '%s\\n' "dep 101 100 Required" "compliance 100 HumanOversight reviewer_id=alice action=approved" "profile 100 plan 1200 ok" "profile 100 plan 2800 fail" > $M/ctl`,
    );
    t.equal(ctl.code, 0, ctl.stderr);
    let log = "";
    for (let i = 0; i < 100 && !log.includes("two"); i++) {
      log = (await cli("logs", "1000")).stdout;
      await new Promise((r) => setTimeout(r, 20));
    }
    t.equal(log, "two  words\n", "the quoted argument reached sh as one word");
  });

  t.test("text output is SIS's layout", async (t) => {
    for (const [name, args] of [
      ["list", ["list"]],
      ["info", ["info", "100"]],
      ["status", ["status"]],
      ["telemetry", ["telemetry"]],
      ["depgraph", ["depgraph"]],
      ["gwstatus", ["gwstatus"]],
      ["compliance", ["compliance"]],
      ["dump", ["dump"]],
    ] as const) {
      const r = await cli(...args);
      t.equal(r.code, 0, `${name}: exit 0 ${r.stderr}`);
      t.equal(r.stderr, "");
      await golden(t, `cli/${name}.txt`, normalize(r.stdout));
    }
  });

  t.test("per-agent views print the daemon's rendering of agents/<id>/<file>", async (t) => {
    for (const [cmd, id] of [["metrics", 100], ["resources", 100], ["risk", 100], ["limits", 101], ["deps", 101], ["policy", 100], ["profile", 100]] as const) {
      const r = await cli(cmd, String(id));
      const file = await d.sh(`cat $M/agents/${id}/${cmd}`);
      t.equal(r.code, 0, `${cmd} ${id}`);
      t.ok(r.stdout.length > 0);
      t.equal(normalize(r.stdout), normalize(file.stdout), `${cmd} ${id} = cat agents/${id}/${cmd}`);
    }
    t.match((await cli("deps", "101")).stdout, /Depends On:\n {4}- Agent 100\n/);
    t.match((await cli("profile", "100")).stdout, /Success Rate: +50%/);
    t.match((await cli("risk", "100")).stdout, /Risk Level: +High \(requires oversight\)/);
  });

  t.test("--json on every read command parses, with the documented shapes", async (t) => {
    const json = async (...args: string[]) => {
      const r = await cli(...args, "--json");
      t.equal(r.code, 0, `${args.join(" ")} --json ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const list = await json("list");
    t.same(list.map((a: { agent_id: number }) => a.agent_id), [100, 101, 1000]);
    const info = await json("info", "100");
    t.equal(info.state, "running");
    t.ok(alive(info.pid), "info --json names the live pid");
    t.same(info.capabilities, ["FsBasic", "DocBasic"]);
    t.equal(info.spec.command, "sleep");
    t.equal((await json("metrics", "100")).spawn_count, 1);
    t.hasProps(await json("resources", "100"), ["cpu_time_us", "cpu_percent", "memory_bytes", "syscall_rate", "status"]);
    t.equal((await json("limits", "100")).cpu_quota_us, 1_000_000);
    t.equal((await json("risk", "100")).risk_level, "High");
    t.same((await json("deps", "101")).depends_on, [{ id: 100, type: "Required" }]);
    t.same((await json("policy", "100")).capabilities, ["FsBasic", "DocBasic"]);
    t.equal((await json("profile", "100")).total_operations, 2);
    t.equal(await json("profile", "101"), null, "no samples: null");
    t.equal((await json("status")).health, "Healthy");
    t.equal((await json("telemetry")).system_metrics.active_agents, 3);
    const comp = await json("compliance");
    t.equal(comp.total_agents, 3);
    t.equal(comp.risk_distribution.High, 1);
    t.same((await json("depgraph")).find((a: { agent_id: number }) => a.agent_id === 101).depends_on, [{ id: 100, type: "Required" }]);
    t.same(await json("gwstatus"), { available: false });
    t.hasProps(await json("dump"), ["telemetry", "agents", "compliance", "gateway"]);
    t.equal((await json("top")).agents.length, 3);
    const events = (await cli("events", "--json")).stdout.trim().split("\n").map((l) => JSON.parse(l));
    t.ok(events.some((e) => e.kind === "Spawn" && e.agent_id === 1000 && e.pid > 0), "events --json: one object per line");
    const audit = (await cli("audit", "--json")).stdout.trim().split("\n").map((l) => JSON.parse(l));
    t.ok(audit.some((e) => e.via === "/ctl[owner]" && e.result === "ok" && /dep 101 100/.test(String(e.detail))), "audit --json");
    const logs = (await cli("logs", "1000", "--json")).stdout;
    t.equal(logs, '"two  words"\n');
  });

  t.test("errors: one line on stderr with the errno, exit 1; usage errors exit 2", async (t) => {
    const missing = await cli("info", "999");
    t.same([missing.code, missing.stdout], [1, ""]);
    t.equal(missing.stderr, "agentsys info: ESRCH: no such agent: 999\n");
    t.match(await cli("metrics", "999"), { code: 1, stderr: /ESRCH/ });
    t.match(await cli("metrics", "999", "--json"), { code: 1, stderr: /ESRCH/ });
    t.match(await cli("list", "--bogus"), { code: 2, stderr: /unknown flag "--bogus"/ });
    t.match(await cli("list", "extra"), { code: 2, stderr: /unexpected argument "extra"/ });
    t.match(await cli("info"), { code: 2, stderr: /missing argument/ });
    t.match(await cli("info", "abc"), { code: 2, stderr: /"abc" is not an agent id/ });
    t.match(await cli("frobnicate"), { code: 2, stderr: /unknown command "frobnicate"/ });
    t.match(await cli("events", "-n", "x"), { code: 2, stderr: /--lines/ });
    const none = await agentsys(["list", "--mount", `${d.mount}-nothing-here`]);
    t.match(none, { code: 1, stderr: /no agentsys daemon at .*nothing-here/ });
    t.equal(none.stderr.split("\n").length, 2, "one line");
  });
});

t.test("--help on every command; the command list", async (t) => {
  const top = await agentsys(["--help"]);
  t.equal(top.code, 0);
  const names = [...top.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]);
  t.ok(names.length >= 28, `${names.length} commands listed`);
  for (const n of ["list", "info", "status", "metrics", "resources", "telemetry", "compliance", "risk", "limits", "deps", "depgraph", "policy", "policy-update", "profile", "profile-reset", "gwstatus", "dump", "spawn", "kill", "restart", "stop", "reset", "logs", "events", "audit", "top", "up", "down", "apply"]) {
    t.ok(names.includes(n), `${n} is listed`);
  }
  for (const n of names) {
    const h = await agentsys([n, "--help"]);
    t.equal(h.code, 0, `${n} --help exits 0`);
    t.ok(h.stdout.startsWith(`Usage: agentsys ${n}`), `${n} --help prints its usage`);
  }
  t.equal((await agentsys([])).code, 2, "no command: usage, exit 2");
  t.match(await agentsys(["--version"]), { code: 0, stdout: /^\d+\.\d+\.\d+\n$/ });
});
