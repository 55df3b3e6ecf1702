import {
  GATEWAY_UNAVAILABLE,
  renderAgentInfoShell,
  renderAgentList,
  renderDepgraph,
  renderDump,
  renderShellStatus,
  renderShellTelemetry,
  SUBSYSTEMS,
  type AgentJson,
  type AgentsJson,
} from "../lib/mod.ts";
import { agentIdArg, type CliCommand, type ParsedArgs } from "./cli.ts";
import { TreeClient } from "./tree_client.ts";

/**
 * The SIS shell's read commands (../shared/sis-formats.md) over the mounted tree. Per-agent
 * views print the daemon's own rendering of `agents/<id>/<file>`; the listings and composite
 * views are rendered here from `agents.json` with the same lib/ renderers the daemon uses.
 * `--json` prints the stable shapes of docs/cli.md.
 */

type View = { text: string; json: unknown };

function out(args: ParsedArgs, v: View): number {
  process.stdout.write(args.flags.json ? JSON.stringify(v.json, null, 2) + "\n" : v.text);
  return 0;
}

function readCommand(name: string, usage: string, positionals: [number, number], view: (c: TreeClient, args: ParsedArgs) => Promise<View>): CliCommand {
  return {
    name,
    usage,
    flags: { json: { type: "boolean" } },
    positionals,
    async run(args) {
      const c = new TreeClient(args.flags.mount as string | undefined);
      return out(args, await view(c, args));
    },
  };
}

/** `<cmd> <id>`: the daemon's text from agents/<id>/<file>, JSON from agent.json's `key`. */
function perAgent(name: string, file: string, key: keyof AgentJson | null): CliCommand {
  return readCommand(name, `${name} <id> [--json]`, [1, 1], async (c, args) => {
    const id = agentIdArg(args.positionals[0]);
    if (args.flags.json) {
      const a = await c.agent(id);
      return { text: "", json: key === null ? a : a[key] };
    }
    return { text: await c.read(`agents/${id}/${file}`, id), json: null };
  });
}

function complianceJson(all: AgentsJson) {
  const dist = { Minimal: 0, Limited: 0, High: 0, Unacceptable: 0 } as Record<string, number>;
  let events = 0;
  let violations = 0;
  for (const a of all.agents) {
    dist[a.risk.risk_level]++;
    events += a.risk.events;
    violations += a.risk.violations;
  }
  return {
    timestamp_us: all.timestamp_us,
    total_agents: all.agents.length,
    total_events: events,
    policy_violations: violations,
    system_score: all.system.compliance_score,
    risk_distribution: dist,
    agents: all.agents.map((a) => ({ agent_id: a.agent_id, ...a.risk })),
  };
}

const listView = (all: AgentsJson): View => ({ text: renderAgentList(all.agents), json: all.agents });
const telemetryView = (all: AgentsJson): View => ({ text: renderShellTelemetry(all.system, all.agents), json: null });

export const SIS_READ_COMMANDS: CliCommand[] = [
  readCommand("list", "list [--json]", [0, 0], async (c) => listView(await c.agents())),
  readCommand("info", "info <id> [--json]", [1, 1], async (c, args) => {
    const a = await c.agent(agentIdArg(args.positionals[0]));
    return { text: renderAgentInfoShell(a), json: a };
  }),
  readCommand("status", "status [--json]", [0, 0], async (c) => {
    const all = await c.agents();
    return {
      text: renderShellStatus(all.system),
      json: { health: "Healthy", subsystems: Object.fromEntries(SUBSYSTEMS.map((s) => [s, true])), system: all.system, enforcement: all.enforcement, daemon: all.daemon },
    };
  }),
  perAgent("metrics", "metrics", "metrics"),
  perAgent("resources", "resources", "resources"),
  readCommand("telemetry", "telemetry [--json]", [0, 0], async (c) => {
    const [all, snapshot] = await Promise.all([c.agents(), c.read("telemetry")]);
    return { text: telemetryView(all).text, json: JSON.parse(snapshot) };
  }),
  readCommand("compliance", "compliance [--json]", [0, 0], async (c, args) =>
    args.flags.json ? { text: "", json: complianceJson(await c.agents()) } : { text: await c.read("compliance"), json: null },
  ),
  perAgent("risk", "risk", "risk"),
  perAgent("limits", "limits", "limits"),
  perAgent("deps", "deps", "deps"),
  readCommand("depgraph", "depgraph [--json]", [0, 0], async (c) => {
    const all = await c.agents();
    const rows = all.agents.map((a) => ({ agent_id: a.agent_id, depends_on: a.deps.depends_on.map((d) => d.id) }));
    return { text: renderDepgraph(rows), json: all.agents.map((a) => ({ agent_id: a.agent_id, depends_on: a.deps.depends_on })) };
  }),
  perAgent("policy", "policy", "policy"),
  perAgent("profile", "profile", "profile"),
  readCommand("gwstatus", "gwstatus [--json]", [0, 0], async () => ({ text: GATEWAY_UNAVAILABLE, json: { available: false } })),
  // Not SIS's: the spec with its environment values, which every other view shows as "(set)".
  readCommand("spec", "spec <id>\n\n  The agent's whole spec as JSON, environment values included: readable by the daemon's\n  owner, the agent's own user and the read group (up --read-group) only.", [1, 1], async (c, args) => {
    const spec = await c.spec(agentIdArg(args.positionals[0]));
    return { text: JSON.stringify(spec, null, 2) + "\n", json: spec };
  }),
  readCommand("dump", "dump [--json]", [0, 0], async (c) => {
    const [all, compliance, snapshot] = await Promise.all([c.agents(), c.read("compliance"), c.read("telemetry")]);
    return {
      text: renderDump({ telemetry: telemetryView(all).text, list: listView(all).text, compliance, gateway: GATEWAY_UNAVAILABLE }),
      json: { telemetry: JSON.parse(snapshot), agents: all.agents, compliance: complianceJson(all), gateway: { available: false } },
    };
  }),
];
