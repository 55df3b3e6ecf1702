import { ERRNO } from "../lib/mod.ts";
import type { Command } from "./command_schemas.ts";
import { refusalFor } from "./caller_authority.ts";
import { checkCommand, countCall, runCommand, type CommandResult, type DispatchContext } from "./commands.ts";
import { splitShellWords } from "./shell_words.ts";
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
  /** The lines that ran (all of them when code is 0). */
  applied: string[];
  /**
   * The commands the lines were decoded into, in order (all of them when code is 0; when a
   * line was refused before anything ran, the lines decoded up to it and, decoded but not
   * checked, that line's own): whom a write concerns is read from these.
   */
  commands: unknown[];
}

/**
 * Apply text commands, one per line, in order (SPEC §7). Every line is decoded and checked
 * (and, when an agent writes, authorized: caller_authority.ts) before any runs, so a write
 * with a malformed or forbidden line changes nothing. Then they run in order;
 * the first one refused at run time (no such agent, a cycle…) fails the write with its errno,
 * the lines before it stay applied (their `ok` replies say so) and nothing after it runs —
 * each line is atomic, a write is not a transaction. `prefix` turns per-agent files' lines
 * into full commands (`kill` → `kill 100`).
 */
export function applyTextCommands(ctx: DispatchContext, text: string, prefix?: (line: string) => string): TextOutcome {
  const results: CommandResult[] = [];
  const lines: { line: string; command: Command }[] = [];
  const decodedAll: unknown[] = [];
  const fail = (code: number, line: string, reason: string): TextOutcome => {
    results.push({ code, reason });
    return { code, results, line, reason, applied: [], commands: decodedAll };
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    countCall(ctx);
    if (line.length > MAX_LINE_BYTES) return fail(ERRNO.E2BIG, line.slice(0, 80) + "…", `line is ${line.length} bytes, more than ${MAX_LINE_BYTES}`);
    const full = prefix ? prefix(line) : line;
    const decoded = decodeTextCommand(full);
    if (!decoded.ok) return fail(ERRNO.EINVAL, line, full === line ? decoded.reason : asWritten(line, full, decoded.reason));
    decodedAll.push(decoded.value);
    const checked = checkCommand(decoded.value);
    if (!checked.ok) return fail(ERRNO.EINVAL, line, checked.reason);
    const refused = refusalFor(ctx.sup, ctx.caller, checked.command);
    if (refused) return fail(ERRNO.EPERM, line, refused);
    lines.push({ line, command: checked.command });
  }
  const applied: string[] = [];
  for (const { line, command } of lines) {
    const r = runCommand(ctx, command);
    results.push(r);
    if (r.code < 0) return { code: r.code, results, line, reason: r.reason, applied, commands: decodedAll };
    applied.push(line);
  }
  return { code: 0, results, applied, commands: decodedAll };
}

/**
 * A quoting error's position counted in the line as written, not as `prefix` made it (the
 * reason is about the writer's line). `prefix` only adds plain words at a word boundary, so
 * the first quoting error of both lines is the same quote, and the decoder, which reads words
 * in order, stopped at that one when its reason is the prefixed line's.
 */
function asWritten(line: string, full: string, reason: string): string {
  return splitShellWords(full).error === reason ? (splitShellWords(line).error ?? reason) : reason;
}

