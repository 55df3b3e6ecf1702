import { open } from "node:fs/promises";
import { agentIdArg, CliError, intFlag, type CliCommand, type ParsedArgs } from "./cli.ts";
import { TreeClient } from "./tree_client.ts";

/**
 * The streams: `events` and `audit` (numbered lines of the tree's rings, followed by polling
 * for higher sequence numbers) and `logs` (an agent's output, followed in its log file).
 */

const POLL_MS = 250;
/** As many lines as the tree's `agents/<id>/log` shows. */
const TAIL_LINES = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function client(args: ParsedArgs): TreeClient {
  return new TreeClient(args.flags.mount as string | undefined);
}

/** `0 1500 Fault 100 CpuQuotaExceeded used=1200000 quota=1000000` → an object. */
export function parseEventLine(line: string) {
  const m = /^(\d+) (\d+) (\S+) (\d+)(.*)$/.exec(line);
  if (!m) return null;
  const fields: Record<string, string | number> = {};
  let detail = m[5].trim();
  const bare = /^([A-Za-z]+)(?: |$)/.exec(detail);
  if (bare && !detail.startsWith(`${bare[1]}=`)) {
    fields.fault = bare[1];
    detail = detail.slice(bare[0].length);
  }
  for (const kv of detail.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) fields[kv[1]] = kv[2].startsWith('"') ? (JSON.parse(kv[2]) as string) : /^-?\d+$/.test(kv[2]) ? Number(kv[2]) : kv[2];
  return { seq: Number(m[1]), ts_us: Number(m[2]), kind: m[3], agent_id: Number(m[4]), ...fields };
}

/** `<seq> <wall> <ts_us> agent=<id> <action> <result> via=<file> "<detail>"` → an object. */
export function parseAuditLine(line: string) {
  const m = /^(\d+) (\S+) (\d+) agent=(\d+) (\S+) (\S+) via=(\S+) (.*)$/.exec(line);
  if (!m) return null;
  let detail: unknown = m[8];
  try {
    detail = JSON.parse(m[8]);
  } catch {
    // keep the raw text
  }
  return { seq: Number(m[1]), time: m[2], ts_us: Number(m[3]), agent_id: Number(m[4]), action: m[5], result: m[6], via: m[7], detail };
}

export function ringCommand(name: "events" | "audit", parse: (l: string) => ({ seq: number; agent_id: number } & Record<string, unknown>) | null): CliCommand {
  return {
    name,
    usage: `${name} [-f] [--agent ID] [-n N] [--json]\n\n  -f, --follow   keep printing new entries (Ctrl-C stops)\n  --agent ID     only this agent's entries\n  -n, --lines N  start with the last N entries (default: all)\n  --json         one JSON object per line`,
    flags: { follow: { type: "boolean", short: "f" }, agent: { type: "string" }, lines: { type: "string", short: "n" }, json: { type: "boolean" } },
    positionals: [0, 0],
    async run(args) {
      const c = client(args);
      const agent = args.flags.agent === undefined ? -1 : agentIdArg(args.flags.agent as string);
      const last = intFlag(args.flags, "lines", 0);
      let seen = -1;
      let first = true;
      for (;;) {
        const entries = (await c.read(name)).split("\n").filter(Boolean).map((l) => ({ line: l, e: parse(l) }));
        let fresh = entries.filter((x) => x.e !== null && x.e.seq > seen && (agent < 0 || x.e.agent_id === agent));
        if (first && last > 0) fresh = fresh.slice(-last);
        first = false;
        for (const x of fresh) process.stdout.write(args.flags.json ? JSON.stringify(x.e) + "\n" : x.line + "\n");
        if (entries.length > 0) seen = Math.max(seen, entries[entries.length - 1].e?.seq ?? seen);
        if (!args.flags.follow) return 0;
        await sleep(POLL_MS);
      }
    },
  };
}

export const STREAM_COMMANDS: CliCommand[] = [
  ringCommand("events", parseEventLine),
  {
    name: "logs",
    usage: "logs <id> [-f] [--json]\n\n  -f, --follow   keep printing new output (Ctrl-C stops)\n  --json         one JSON string per line",
    flags: { follow: { type: "boolean", short: "f" }, json: { type: "boolean" } },
    positionals: [1, 1],
    async run(args) {
      const c = client(args);
      const id = agentIdArg(args.positionals[0]);
      const print = (text: string) => {
        if (!args.flags.json) return void process.stdout.write(text);
        for (const l of text.split("\n").slice(0, text.endsWith("\n") ? -1 : undefined)) process.stdout.write(JSON.stringify(l) + "\n");
      };
      if (!args.flags.follow) {
        print(await c.read(`agents/${id}/log`, id));
        return 0;
      }
      const path = (await c.agent(id)).log_path;
      if (!path) throw new CliError(`agent ${id} has no log file to follow`, "ENOENT");
      await follow(path, print);
      return 0;
    },
  },
];

/**
 * tail -F: the last lines (as the tree's `log` file shows them), then new output, across
 * copytruncate rotation (size shrinks → start over). The tail is read from the same file at the
 * same offset the follow starts from: reading the tree's `log` first and then opening the file
 * loses whatever the agent wrote in between.
 */
async function follow(path: string, print: (text: string) => void): Promise<never> {
  const fh = await open(path, "r").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EACCES") throw new CliError(`${path}: permission denied (the state directory is the daemon owner's and the read group's; without -f, the agent's user gets the last lines from the tree)`, e.code);
    throw new CliError(`${path}: ${e.message}`, e.code);
  });
  let pos = (await fh.stat()).size;
  const buf = Buffer.alloc(65536);
  const head = Math.min(pos, buf.length);
  const { bytesRead: tailRead } = await fh.read(buf, 0, head, pos - head);
  let tail = buf.toString("utf8", 0, tailRead);
  if (head < pos) tail = tail.slice(tail.indexOf("\n") + 1); // a partial first line
  const lines = tail.slice(0, tail.lastIndexOf("\n") + 1).split("\n").slice(0, -1);
  if (lines.length > 0) print(lines.slice(-TAIL_LINES).join("\n") + "\n");
  let partial = tail.slice(tail.lastIndexOf("\n") + 1);
  for (;;) {
    const size = (await fh.stat()).size;
    if (size < pos) pos = 0;
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const text = partial + buf.toString("utf8", 0, bytesRead);
      const cut = text.lastIndexOf("\n") + 1;
      if (cut > 0) print(text.slice(0, cut));
      partial = text.slice(cut);
    }
    await sleep(POLL_MS);
  }
}
