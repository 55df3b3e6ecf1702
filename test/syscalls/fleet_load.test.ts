import t from "tap";
import { FleetError, loadFleet } from "../../syscalls/mod.ts";

const load = (text: string) => loadFleet(text, "f.yaml", "/base");
const error = (text: string) => {
  try {
    load(text);
  } catch (e) {
    if (e instanceof FleetError) return e.message;
    throw e;
  }
  return "no error";
};

t.test("a fleet loads in dependency order, names resolved, cwd relative to the file", async (t) => {
  const plan = load(`
version: 1
defaults:
  limits: { cpu_quota_us: 500000 }
agents:
  - name: web
    command: node
    args: [web.js]
    depends_on: [db, { agent: cache, type: Optional }]
  - name: db
    agent_id: 100
    command: ./db
    cwd: data
  - name: cache
    command: sleep
    cwd: /srv
`);
  t.same(plan.order.map((i) => plan.agents[i].spec.name), ["db", "cache", "web"]);
  t.equal(plan.agents[0].spec.cwd, "/base", "cwd defaults to the file's directory");
  t.equal(plan.agents[1].spec.cwd, "/base/data");
  t.equal(plan.agents[2].spec.cwd, "/srv");
  t.same(plan.agents[0].deps, [{ ref: { index: 1 }, type: "Required" }, { ref: { index: 2 }, type: "Optional" }]);
  t.equal(plan.agents[0].line, 6);
  t.same(plan.defaults, { limits: { cpu_quota_us: 500000 } });
});

t.test("JSON files load too (YAML 1.2 is a superset)", async (t) => {
  const plan = load(JSON.stringify({ agents: [{ name: "a", command: "sleep", args: ["1"], depends_on: [4242] }] }));
  t.same(plan.agents[0].deps, [{ ref: { id: 4242 }, type: "Required" }], "an id outside the file depends on a running agent");
});

t.test("errors name the file, the line and the field", async (t) => {
  t.equal(error("agents:\n  - name: x\n    limits: { cpu_quota_us: fast }\n"), 'f.yaml:3: agents[0].limits.cpu_quota_us: expected integer, got "fast"');
  t.equal(error("agents:\n  - name: x\n    comand: sleep\n"), 'f.yaml:3: agents[0].comand: unexpected property, got "sleep"');
  t.match(error("agents:\n  - command: sleep\n"), /^f\.yaml:2: agents\[0\]\.name: expected required property/);
  t.match(error("agents:\n  - name: a\n  - name: b\n    capabilities: [FsBasic, Root]\n"), /^f\.yaml:4: agents\[1\]\.capabilities\[1\]: /);
  t.match(error("agents:\n  - name: a\n    recovery: { Crashed: Explode }\n"), /^f\.yaml:3: agents\[0\]\.recovery/);
  t.match(error("agents: [\n  {name: a\n"), /^f\.yaml:\d+: /, "YAML syntax errors have a line");
  t.equal(error(""), 'f.yaml:1: the file is empty: expected "agents:" with a list of agents');
  t.match(error("agents: 5\n"), /^f\.yaml:1: agents: expected array/);
  t.match(error("agents:\n  - name: a\n  - name: a\n"), /^f\.yaml:3: agents\[1\]\.name: name "a" is already used by agents\[0\]/);
  t.match(error("agents:\n  - name: a\n    agent_id: 7\n  - name: b\n    agent_id: 7\n"), /^f\.yaml:5: agents\[1\]\.agent_id: agent_id 7 is already used/);
  t.match(error("agents:\n  - name: a\n    depends_on: [ghost]\n"), /^f\.yaml:3: agents\[0\]\.depends_on\[0\]: no agent named "ghost"/);
  t.match(error("agents:\n  - name: a\n    depends_on: [a]\n"), /cannot depend on itself/);
  t.match(error("agents:\n  - name: a\n    depends_on: [b]\n  - name: b\n    depends_on: [c]\n  - name: c\n    depends_on: [a]\n"), /dependency cycle a → b → c → a/);
  t.match(error("agents:\n  - name: a\n    name: b\n"), /^f\.yaml:3: .*[Mm]ap keys must be unique/);
  t.match(error("agents:\n  - name: a\n    sandbox: maybe\n"), /^f\.yaml:3: agents\[0\]\.sandbox: /, "sandbox is auto or none");
  t.match(error("agents:\n  - name: a\n    scope: { net: \"exa mple.com\" }\n"), /^f\.yaml:3: agents\[0\]\.scope: scope net=exa mple\.com: entry "exa mple\.com": .* not a DNS name/);
  t.match(error("agents:\n  - name: a\n    scope: { docs: [relative] }\n"), /^f\.yaml:3: agents\[0\]\.scope\.docs\[0\]: /, "docs are absolute paths");
  t.equal(load("agents:\n  - name: a\n    sandbox: none\n    scope: { net: \"*.pypi.org:443\", docs: [/srv/d] }\n").agents[0].spec.sandbox, "none");
  t.match(error("agents:\n  - name: a\n    max_restarts: -1\n"), /^f\.yaml:3: agents\[0\]\.max_restarts: expected integer to be greater or equal to 0, got -1/);
});
