import { ERRNO } from "../lib/mod.ts";
import { checkCommand, runCommand, type CommandResult, type DispatchContext } from "./commands.ts";
import { decodeTextCommand } from "./text_decode.ts";

export const MAX_LINE_BYTES = 65536;

export interface TextOutcome {
  /** 0 when every line applied, else the errno of the first failing line. */
  code: number;
  /** Results of the lines applied, in order (the failing one last when code < 0). */
  results: CommandResult[];
  /** The failing line and why. */
  line?: string;
  reason?: string;
}

/**
 * Apply text commands, one per line, in order (SPEC §7). The first failing line fails the
 * whole write with its errno and nothing after it is applied; each line is atomic. `prefix`
 * turns per-agent files' lines into full commands (`kill` → `kill 100`).
 */
export function applyTextCommands(ctx: DispatchContext, text: string, prefix?: (line: string) => string): TextOutcome {
  const results: CommandResult[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.length > MAX_LINE_BYTES) return fail(results, ERRNO.E2BIG, line.slice(0, 80) + "…", `line is ${line.length} bytes, more than ${MAX_LINE_BYTES}`);
    const full = prefix ? prefix(line) : line;
    const decoded = decodeTextCommand(full);
    if (!decoded.ok) return fail(results, ERRNO.EINVAL, line, decoded.reason);
    const checked = checkCommand(decoded.value);
    if (!checked.ok) return fail(results, ERRNO.EINVAL, line, checked.reason);
    const r = runCommand(ctx, checked.command);
    results.push(r);
    if (r.code < 0) return { code: r.code, results, line, reason: r.reason };
  }
  return { code: 0, results };
}

function fail(results: CommandResult[], code: number, line: string, reason: string): TextOutcome {
  results.push({ code, reason });
  return { code, results, line, reason };
}
