import { existsSync, readFileSync } from "node:fs";
import { auditLine } from "../lib/mod.ts";
import { agentIdArg, CliError, intFlag, UsageError, type CliCommand, type ParsedArgs } from "./cli.ts";
import { ringCommand, parseAuditLine } from "./cmd_streams.ts";
import { defaultStateDir } from "./config.ts";
import { TreeClient } from "./tree_client.ts";

/**
 * `agentsys audit`: the audit trail. Without arguments, the tree's `audit` file (the newest
 * 1000 entries, `-f` to follow). With `--agent`/`--since` it queries the whole journal
 * (`<state>/agentsys.db`, found through the mount). `audit verify` walks the hash chain and
 * says where it breaks (exit 1, EBADMSG) — an edited, removed or reordered entry.
 */
const tail = ringCommand("audit", parseAuditLine);

async function stateDir(args: ParsedArgs): Promise<string> {
  let state = args.flags.state as string | undefined;
  if (!state) {
    try {
      state = (await new TreeClient(args.flags.mount as string | undefined).agents()).daemon?.state_dir ?? undefined;
    } catch {
      // no daemon: the default state directory
    }
  }
  return state ?? defaultStateDir();
}

function journalPath(dir: string): string {
  const path = `${dir}/agentsys.db`;
  if (!existsSync(path)) throw new CliError(`no journal at ${path} (pass --state DIR)`, "ENOENT");
  return path;
}

async function openJournal(path: string) {
  const { Journal } = await import("../host/mod.ts");
  try {
    return new Journal(path, { readonly: true });
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`, (e as NodeJS.ErrnoException).code === "SQLITE_CANTOPEN" ? "EACCES" : "EIO");
  }
}

/** The daemon's secret digest (its key in the state directory: the owner's and the read group's). */
async function secretDigest(dir: string) {
  const { createSecretDigest, AUDIT_KEY_FILE } = await import("../host/mod.ts");
  try {
    return createSecretDigest(readFileSync(`${dir}/${AUDIT_KEY_FILE}`));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${dir}/${AUDIT_KEY_FILE}: ${code === "ENOENT" ? "no key (has a daemon run on this state directory?)" : (e as Error).message}`, code ?? "EIO");
  }
}

/** Everything on stdin, without one trailing newline (so `echo "$KEY" |` digests the key itself). */
async function stdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

export const AUDIT_COMMAND: CliCommand = {
  name: "audit",
  usage:
    "audit [-f] [--agent ID] [--since TIME] [-n N] [--json]\n       agentsys audit verify [--state DIR]\n       agentsys audit digest [--state DIR] < value\n\n" +
    "  -f, --follow   keep printing new entries (the tree's tail)\n" +
    "  --agent ID     only this agent's entries (whole journal)\n" +
    "  --since TIME   entries at or after an ISO time, e.g. 2026-11-29T10:00 (whole journal)\n" +
    "  -n, --lines N  the last N entries\n" +
    "  --json         one JSON object per line\n" +
    "  verify         check the hash chain: exit 0 intact, 1 where it breaks\n" +
    "  digest         the digest the trail shows for a secret value read from stdin (environment\n" +
    "                 values appear only so): compare to prove what was set",
  flags: { ...tail.flags, since: { type: "string" }, state: { type: "string" } },
  positionals: [0, 1],
  async run(args) {
    const sub = args.positionals[0];
    if (sub !== undefined && sub !== "verify" && sub !== "digest") throw new UsageError(`unknown audit subcommand "${sub}" (expected verify or digest)`);
    if (sub === "digest") {
      const digest = await secretDigest(await stateDir(args));
      process.stdout.write(`${digest(await stdinText())}\n`);
      return 0;
    }
    if (sub === "verify") {
      const path = journalPath(await stateDir(args));
      const j = await openJournal(path);
      const r = j.verify();
      j.close();
      if (!r.ok) throw new CliError(`${path}: ${r.problem!.reason}; the trail after it cannot be trusted`, "EBADMSG");
      process.stdout.write(`${path}: ${r.entries} entries, hash chain intact; head ${r.head?.seq ?? 0} ${r.head?.hash ?? "-"} (keep it elsewhere to detect a rewritten chain)\n`);
      return 0;
    }
    if ((args.flags.agent === undefined && args.flags.since === undefined) || args.flags.follow) return tail.run(args);
    const since = args.flags.since as string | undefined;
    if (since !== undefined && Number.isNaN(Date.parse(since))) throw new UsageError(`--since "${since}": expected an ISO time like 2026-11-29T10:00:00Z`);
    const agent = args.flags.agent === undefined ? undefined : agentIdArg(args.flags.agent as string);
    const dir = await stateDir(args);
    const j = await openJournal(journalPath(dir));
    // Shown as the tree shows them (entries journaled before writes were redacted hold values).
    const { NO_DIGEST, redactAuditEntry } = await import("../syscalls/mod.ts");
    const digest = await secretDigest(dir).catch(() => NO_DIGEST);
    const rows = j.audit({ agent, since: since === undefined ? undefined : new Date(since).toISOString(), limit: intFlag(args.flags, "lines", 0) || undefined });
    j.close();
    for (const e of rows) {
      const line = auditLine(redactAuditEntry(e, digest));
      // From the journal the caller's uid is known too (where the FUSE backend could tell).
      process.stdout.write(args.flags.json ? JSON.stringify({ ...parseAuditLine(line), uid: e.uid }) + "\n" : line + "\n");
    }
    return 0;
  },
};
