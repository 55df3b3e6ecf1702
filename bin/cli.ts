/**
 * What every subcommand shares: its description, strict argument parsing, and the two error
 * kinds that set the exit code (UsageError → 2, CliError → 1). Errors print as one line:
 * `agentsys <command>: <ERRNO>: <reason>`.
 */

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
}

export interface CliCommand {
  name: string;
  /** The usage line(s) after "Usage: agentsys ", and the details printed by --help. */
  usage: string;
  flags: Record<string, FlagSpec>;
  /** Positional arguments: [min, max] (max Infinity for "the rest"). */
  positionals: [number, number];
  run(args: ParsedArgs): Promise<number>;
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** Everything after a bare `--` (spawn's command line). */
  rest: string[];
}

export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure to report: `errno` is the name (ESRCH, EINVAL…) when the daemon gave one. */
export class CliError extends Error {
  override name = "CliError";
  readonly errno?: string;
  constructor(message: string, errno?: string) {
    super(message);
    this.errno = errno;
  }
}

/** Flags every client command accepts. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  mount: { type: "string" },
};

/**
 * Strict parsing: known flags only (`--name value`, `--name=value`, `-x`), positionals counted,
 * `--` ends the flags. Anything else is a UsageError naming the offending argument.
 */
export function parseArgs(cmd: Pick<CliCommand, "flags" | "positionals">, argv: string[]): ParsedArgs {
  const spec = { ...COMMON_FLAGS, ...cmd.flags };
  const shorts = new Map(Object.entries(spec).flatMap(([n, s]) => (s.short ? [[s.short, n] as const] : [])));
  const flags: ParsedArgs["flags"] = {};
  const positionals: string[] = [];
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      rest = argv.slice(i + 1);
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      name = a.slice(2, eq < 0 ? undefined : eq);
      if (eq >= 0) inline = a.slice(eq + 1);
      if (!spec[name]) throw new UsageError(`unknown flag "--${name}"`);
    } else if (/^-[a-zA-Z]$/.test(a)) {
      name = shorts.get(a[1]);
      if (!name) throw new UsageError(`unknown flag "${a}"`);
    } else {
      positionals.push(a);
      continue;
    }
    if (spec[name].type === "boolean") {
      if (inline !== undefined) throw new UsageError(`flag "--${name}" takes no value`);
      flags[name] = true;
    } else {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new UsageError(`flag "--${name}" needs a value`);
      flags[name] = v;
    }
  }
  if (flags.help) return { flags, positionals, rest };
  const [min, max] = cmd.positionals;
  if (positionals.length < min) throw new UsageError(`missing argument${min - positionals.length > 1 ? "s" : ""}`);
  if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max]}"`);
  return { flags, positionals, rest };
}

/** An AgentId argument: a canonical decimal u32. */
export function agentIdArg(s: string): number {
  if (!/^(0|[1-9]\d{0,9})$/.test(s) || Number(s) > 0xffffffff) throw new UsageError(`"${s}" is not an agent id (a whole number 0–4294967295)`);
  return Number(s);
}

/** A whole-number flag. */
export function intFlag(flags: ParsedArgs["flags"], name: string, dflt: number, min = 0): number {
  const v = flags[name];
  if (v === undefined) return dflt;
  if (typeof v !== "string" || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`flag "--${name}" needs a whole number ≥ ${min}, got "${v}"`);
  return Number(v);
}
