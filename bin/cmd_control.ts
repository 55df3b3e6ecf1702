import { decodeTextCommand, quoteShellWord } from "../syscalls/mod.ts";
import { agentIdArg, UsageError, type CliCommand, type ParsedArgs } from "./cli.ts";
import { TreeClient } from "./tree_client.ts";

/**
 * The SIS shell's control commands (and agentsys's stop/reset), each one line written to the
 * tree's `ctl`: exactly what `echo "<line>" > $M/ctl` would do, plus the reply read back.
 */

function client(args: ParsedArgs): TreeClient {
  return new TreeClient(args.flags.mount as string | undefined);
}

function verb(name: string): CliCommand {
  return {
    name,
    usage: `${name} <id>`,
    flags: {},
    positionals: [1, 1],
    async run(args) {
      await client(args).exec(`${name} ${agentIdArg(args.positionals[0])}`);
      return 0;
    },
  };
}

export const CONTROL_COMMANDS: CliCommand[] = [
  {
    name: "spawn",
    usage:
      "spawn <id> <name> <caps|none> [key=value…] [-- <command> <args…>]\n\n" +
      "  <id> 0 allocates one from 1000. key=value: auto_restart=true, max_restarts=N, risk=High,\n" +
      "  pid=N (register a running process instead of starting one). The command runs in the\n" +
      "  current directory; its arguments are passed exactly (spaces and all).",
    flags: {},
    positionals: [3, Infinity],
    async run(args) {
      // Each argument one word, spaces and quotes included (`agentsys spawn 7 "my agent" none`).
      const words = args.positionals.map(quoteShellWord).join(" ");
      const decoded = decodeTextCommand(`spawn ${words}`);
      if (!decoded.ok) throw new UsageError(decoded.reason);
      const cmd = decoded.value as { spec: Record<string, unknown>; pid?: number };
      let line: string;
      if (args.rest.length > 0) {
        if (cmd.pid !== undefined) throw new UsageError("pid=N registers a running process: it takes no command");
        line = `spawn ${JSON.stringify({ ...cmd.spec, command: args.rest[0], args: args.rest.slice(1), cwd: process.cwd() })}`;
      } else line = `spawn ${words}`;
      const id = await client(args).exec(line);
      process.stdout.write(`${id}\n`);
      return 0;
    },
  },
  verb("kill"),
  verb("stop"),
  verb("restart"),
  verb("reset"),
  {
    name: "policy-update",
    usage: "policy-update <id> <patch…>\n\n  e.g. policy-update 100 +FsBasic; policy-update 100 scope 'path=/srv/my dir' max_ops_per_sec=10",
    flags: {},
    positionals: [2, Infinity],
    async run(args) {
      const id = agentIdArg(args.positionals[0]);
      await client(args).exec(`policy-update ${id} ${args.positionals.slice(1).map(quoteShellWord).join(" ")}`);
      return 0;
    },
  },
  {
    name: "profile-reset",
    usage: "profile-reset [<id>]",
    flags: {},
    positionals: [0, 1],
    async run(args) {
      const id = args.positionals[0] === undefined ? "" : ` ${agentIdArg(args.positionals[0])}`;
      await client(args).exec(`profile-reset${id}`);
      return 0;
    },
  },
];
