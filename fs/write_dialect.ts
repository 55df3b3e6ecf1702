import { splitShellWords } from "../syscalls/mod.ts";
import type { TextDialect } from "./node_kind.ts";

/**
 * How a line written to a control file becomes a line of the command language (SPEC §5, §7):
 * `ctl` takes whole commands; an agent's `ctl` the same verbs without the id (`kill` →
 * `kill 100`, `limits cpu_quota_us=5` → `limits 100 cpu_quota_us=5`); `policy` takes patches
 * (`+FsBasic` → `policy-update 100 +FsBasic`); `limits` and `recovery` take the defaults'
 * `key=value` lines or a preset. `id` is the file's agent.
 */
export const LINE_OF: Record<TextDialect, ((line: string, id: number) => string) | null> = {
  ctl: null,
  agentCtl(line, id) {
    // The id goes after the verb as the decoder reads it (`'kill'` is kill); a line whose verb
    // does not split is left as it is, for the decoder to refuse with the reason.
    const verb = splitShellWords(line, { limit: 1 });
    if (verb.error !== undefined || verb.words.length === 0) return line;
    return `${line.slice(0, verb.next)} ${id}${line.slice(verb.next)}`;
  },
  policy: (line, id) => `policy-update ${id} ${line}`,
  limits: (line) => `limits default ${line}`,
  recovery: (line) => `recovery default ${line}`,
};
