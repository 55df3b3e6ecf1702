#!/usr/bin/env node
/**
 * agentsys — the command. Usage is written in full here; subcommands are lazy-loaded modules
 * sharing one signature. Exit codes: 0 success, 1 failure, 2 usage error.
 */
const USAGE = `Usage: agentsys <command> [options]

Commands:
  up        Mount the agentsys tree and supervise agents (foreground; logs to stderr)

Options for up:
  --mount DIR   mountpoint (default: $AGENTSYS_ROOT, else /run/agentsys as root,
                else \${XDG_RUNTIME_DIR:-/tmp}/agentsys-$UID)
  --state DIR   state directory (default /var/lib/agentsys as root, else
                \${XDG_STATE_HOME:-~/.local/state}/agentsys); agents' output in DIR/logs
  --window MS   sampling window (default 1000)
  --grace MS    SIGTERM → SIGKILL grace on stop (default 5000)
  --keep-agents on SIGINT/SIGTERM, unmount but leave the agents running
  --debug       trace every FUSE request (libfuse debug)
  -h, --help    show this help
`;

export class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  if (cmd === undefined || cmd === "-h" || cmd === "--help" || cmd === "help") {
    process.stdout.write(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  switch (cmd) {
    case "up": {
      const { runUp } = await import("./cmd_up.ts");
      return runUp(args);
    }
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err as Error)?.name === "UsageError") {
      process.stderr.write(`agentsys: ${(err as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`agentsys: ${(err as Error)?.message ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
