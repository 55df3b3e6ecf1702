import { CliError, intFlag, type CliCommand } from "./cli.ts";
import { applyFleet } from "./fleet_apply.ts";
import { readFleet } from "./fleet_file.ts";
import { TreeClient } from "./tree_client.ts";

/** `agentsys apply FILE`: add and update a running daemon's agents from a fleet file. */
export const APPLY_COMMAND: CliCommand = {
  name: "apply",
  usage:
    "apply <fleet.yaml|fleet.json> [--timeout MS] [--json]\n\n" +
    "  New agents start (after their Required dependencies run); changed agents are updated in\n" +
    "  place, and restarted when their command, args, env, cwd, user or readiness changed;\n" +
    "  agents not in the file are left alone. Exit 1 when an agent failed or was skipped.",
  flags: { timeout: { type: "string" }, json: { type: "boolean" } },
  positionals: [1, 1],
  async run(args) {
    const plan = await readFleet(args.positionals[0]);
    const c = new TreeClient(args.flags.mount as string | undefined);
    await c.ensureMounted();
    const results = await applyFleet({ exec: (l) => c.exec(l), agents: async () => (await c.agentsWithSpecs()).agents }, plan, { startTimeoutMs: intFlag(args.flags, "timeout", 10_000) });
    if (args.flags.json) process.stdout.write(JSON.stringify(results, null, 2) + "\n");
    else for (const r of results) process.stdout.write(`${r.action.padEnd(10)} ${String(r.id).padStart(5)}  ${r.name}${r.detail ? `: ${r.detail}` : ""}\n`);
    const bad = results.filter((r) => r.action === "failed" || r.action === "skipped");
    if (bad.length > 0) throw new CliError(`${bad.length} of ${results.length} agents not applied`);
    return 0;
  },
};
