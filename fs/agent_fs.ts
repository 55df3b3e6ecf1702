import { ERRNO, errnoName, OpRate, type AgentHost, type AgentSupervisor, type AuditRecord, type JsonContext } from "../lib/mod.ts";
import { applyRecords, applyTextCommands, decodeRequests, NO_DIGEST, quoteToken, redactCommandText, SELF_VERBS, splitShellWords, type DispatchContext, type SecretDigest, type TextOutcome } from "../syscalls/mod.ts";
import { DEFAULT_MAX_WRITE, S_IFDIR, S_IFLNK, S_IFREG, type FileStat, type FsCaller, type FsOps } from "./backend.ts";
import { BYTE_RENDERERS, RENDERERS } from "./file_render.ts";
import { AGENT_KINDS, NODE, childrenOf, controlOf, resolvePath, type NodeKind, type Resolved, type TextDialect } from "./node_kind.ts";
import { LINE_OF } from "./write_dialect.ts";

export interface AgentFsOptions {
  sup: AgentSupervisor;
  host?: AgentHost;
  uid?: number;
  gid?: number;
  maxWrite?: number;
  /** Last lines of an agent's output, for agents/<id>/log. */
  agentLog?: (id: number) => string;
  /** The daemon's identity and agents' log paths, for agents.json. */
  json?: JsonContext;
  /**
   * Make an applied control write durable before it is acknowledged: 0, or a negative errno
   * (ENOSPC, EIO) after the write's durable effects were undone (the journal) — or
   * a promise of that, when the answer waits for a shared fsync (group commit).
   */
  persist?: (scope: "touched" | "all") => number | Promise<number>;
  /** The journaled audit trail's tail, for the `audit` file. */
  auditTail?: (limit: number) => AuditRecord[];
  /** The uid an agent runs as when it is not the daemon's: it owns `agents/<id>/ctl` (SPEC §9). */
  agentUid?: (id: number) => number | undefined;
  /** The agent a process (and its descendants) belongs to, for `agents/self`. */
  agentOfPid?: (pid: number) => number | undefined;
  lastErrorCapacity?: number;
  /**
   * The keyed digest that stands for environment values in the audit trail and `last_error`
   * (SPEC §9, Secrets). Without one, values are shown as "(not shown)".
   */
  secretDigest?: SecretDigest;
  /** The group that may read private files too (`up --read-group`): mode 0440 instead of 0400. */
  readGid?: number;
}

interface Handle {
  kind: NodeKind;
  arg: number;
  /** Slot handle of the agent at open (per-agent files), so a replaced agent is noticed. */
  agent: number;
  /** Snapshot rendered at the last read at offset 0. */
  bytes: Uint8Array | null;
  /** Bytes of one write(2) split over several FUSE requests, not applied yet. */
  pending: Uint8Array | null;
  /** Replies for reads on the same descriptor (ctl, syscall). */
  replies: Uint8Array[];
}

const MAX_PENDING = 8 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const EMPTY = new Uint8Array(0);

/**
 * The tree of SPEC §5 over the core: resolve at open, render once per open (re-rendered by a
 * read at offset 0; later offsets slice the same snapshot), apply control writes through the
 * command table. Every op returns a value or a negative errno; nothing here throws for input.
 */
export class AgentFs implements FsOps {
  readonly #sup: AgentSupervisor;
  #ctx: DispatchContext;
  readonly #handles = new Map<number, Handle>();
  readonly #lastErrors: string[] = [];
  readonly #lastErrorCapacity: number;
  readonly #uid: number;
  readonly #gid: number;
  readonly #maxWrite: number;
  readonly #agentLog?: (id: number) => string;
  readonly #json?: JsonContext;
  readonly #persist: (scope: "touched" | "all") => number | Promise<number>;
  readonly #auditTail?: (limit: number) => AuditRecord[];
  readonly #agentUid: (id: number) => number | undefined;
  readonly #agentOfPid: (pid: number) => number | undefined;
  readonly #digest: SecretDigest;
  readonly #redact: (text: string) => string;
  readonly #readGid: number | undefined;
  readonly #opRate = new OpRate();
  #nextFh = 1;
  #caller: FsCaller | null = null;
  readonly #started = new Date();

  constructor(options: AgentFsOptions) {
    this.#sup = options.sup;
    this.#ctx = { sup: options.sup, host: options.host, caller: {} };
    this.#uid = options.uid ?? 0;
    this.#gid = options.gid ?? 0;
    this.#maxWrite = options.maxWrite ?? DEFAULT_MAX_WRITE;
    this.#agentLog = options.agentLog;
    this.#json = options.json;
    this.#persist = options.persist ?? (() => 0);
    this.#auditTail = options.auditTail;
    this.#agentUid = options.agentUid ?? (() => undefined);
    this.#agentOfPid = options.agentOfPid ?? ((pid) => this.#sup.getAgentByPid(pid)?.agent_id);
    this.#lastErrorCapacity = options.lastErrorCapacity ?? 64;
    const digest = options.secretDigest ?? NO_DIGEST;
    this.#digest = digest;
    this.#redact = (text) => redactCommandText(text, digest);
    this.#readGid = options.readGid;
  }

  /** The caller of the current request, when the backend can tell (FsOps.setCaller). */
  setCaller(caller: FsCaller | null): void {
    this.#caller = caller;
  }

  /** Open handles (for tests and the debug view). */
  get openHandles(): number {
    return this.#handles.size;
  }

  #exists(r: Resolved): boolean {
    if (AGENT_KINDS.has(r.kind)) return this.#sup.hasAgent(r.arg);
    if (r.kind === "byPid") return this.#sup.getAgentByPid(r.arg) !== undefined;
    return true;
  }

  #resolve(path: string): Resolved | null {
    const r = resolvePath(path);
    return r && this.#exists(r) ? r : null;
  }

  getattr(path: string): FileStat | number {
    const r = this.#resolve(path);
    if (!r) return ERRNO.ENOENT;
    const n = NODE[r.kind];
    const type = n.type === "dir" ? S_IFDIR : n.type === "link" ? S_IFLNK : S_IFREG;
    const size = n.type === "link" ? this.#linkTarget(r).length : 0;
    const priv = "private" in n;
    // A backend that names every caller (devfuse) lets agents reach the shim and their own
    // policy as themselves: `syscall` is writable by all and an agent's `policy` is its user's;
    // the write itself then checks who asks (agents act on themselves only, SPEC §9).
    const known = this.#caller !== null;
    const uid = "owner" in n || (known && r.kind === "agentPolicy") ? (this.#agentUid(r.arg) ?? this.#uid) : this.#uid;
    const gid = priv && this.#readGid !== undefined ? this.#readGid : this.#gid;
    const mode = priv && this.#readGid !== undefined ? n.mode | 0o040 : known && r.kind === "syscall" ? 0o666 : n.mode;
    return { mode: type | mode, size, nlink: n.type === "dir" ? 2 : 1, uid, gid, mtime: n.type === "dir" ? this.#started : new Date() };
  }

  readdir(path: string): string[] | number {
    const r = this.#resolve(path);
    if (!r) return ERRNO.ENOENT;
    if (NODE[r.kind].type !== "dir") return ERRNO.ENOTDIR;
    const names = [".", ".."];
    if (r.kind === "agentsDir") return names.concat(this.#sup.listAgents().map((a) => String(a.agent_id)));
    if (r.kind === "byPidDir") return names.concat(this.#sup.listAgents().filter((a) => a.pid > 0).map((a) => String(a.pid)));
    return names.concat(childrenOf(r.kind));
  }

  #linkTarget(r: Resolved): string {
    if (r.kind === "agentSelf") {
      const id = this.#caller ? this.#agentOfPid(this.#caller.pid) : undefined;
      return id === undefined ? "" : String(id);
    }
    const a = this.#sup.getAgentByPid(r.arg);
    return a ? `../agents/${a.agent_id}` : "";
  }

  readlink(path: string): string | number {
    const r = this.#resolve(path);
    if (!r) return ERRNO.ENOENT;
    if (r.kind !== "byPid" && r.kind !== "agentSelf") return ERRNO.EINVAL;
    // `self` like /proc/self, but per agent: ENOENT for a caller that is not in one, and with
    // a backend that cannot name callers (fuse-native).
    const target = this.#linkTarget(r);
    return target === "" ? ERRNO.ENOENT : target;
  }

  open(path: string, _flags: number): number {
    const r = this.#resolve(path);
    if (!r) return ERRNO.ENOENT;
    const n = NODE[r.kind];
    if (n.type === "dir") return ERRNO.EISDIR;
    if (n.type === "link") return ERRNO.EINVAL;
    const slot = AGENT_KINDS.has(r.kind) ? this.#sup.ctx.table.slotOfId(r.arg) : -1;
    const fh = this.#nextFh;
    this.#nextFh = this.#nextFh >= 0xfffffff0 ? 1 : this.#nextFh + 1;
    this.#handles.set(fh, { kind: r.kind, arg: r.arg, agent: slot >= 0 ? this.#sup.ctx.table.handle(slot) : -1, bytes: null, pending: null, replies: [] });
    return fh;
  }

  read(_path: string, fh: number, len: number, pos: number): Uint8Array | number {
    const h = this.#handles.get(fh);
    if (!h) return ERRNO.EBADF;
    const control = controlOf(h.kind);
    if (control && control.reply !== "none") return takeReplies(h, len); // replies to this descriptor's writes
    if (h.agent >= 0 && this.#sup.ctx.table.slotOfHandle(h.agent) < 0) return ERRNO.ENOENT; // agent gone
    if (pos === 0 || h.bytes === null) {
      const ctx = { sup: this.#sup, lastErrors: this.#lastErrors, agentLog: this.#agentLog, json: this.#json, auditTail: this.#auditTail, secretDigest: this.#digest };
      const renderBytes = BYTE_RENDERERS[h.kind];
      const render = RENDERERS[h.kind];
      if (renderBytes) h.bytes = renderBytes(ctx, h.arg);
      else if (render) h.bytes = encoder.encode(render(ctx, h.arg));
      else return ERRNO.EINVAL;
    }
    if (pos >= h.bytes.byteLength) return EMPTY;
    return h.bytes.subarray(pos, Math.min(pos + len, h.bytes.byteLength));
  }

  write(path: string, fh: number, data: Uint8Array, _pos: number): number | Promise<number> {
    const h = this.#handles.get(fh);
    if (!h) return ERRNO.EBADF;
    const control = controlOf(h.kind);
    if (!control) return ERRNO.EACCES;
    const textReplies = control.reply === "text";
    // A request shorter than max_write is the last piece of its write(2) (direct_io splits
    // only at max_write). Pieces before it are held, so one write(2) is applied as a whole.
    const final = data.byteLength < this.#maxWrite;
    const buf = concatAll(h.pending ? [h.pending, data] : [data]); // copies: `data` points into libfuse memory
    // fuse-native cannot say who writes; the audit records the permission class that let the
    // write through: the daemon's owner, or (own ctl of an agent run as another user) its user.
    // The /dev/fuse backend says which process writes: inside an agent's process tree it is
    // that agent, which may act only on itself (syscalls/caller_authority.ts).
    const agentId = this.#caller && this.#caller.pid > 0 ? this.#agentOfPid(this.#caller.pid) : undefined;
    const cls = agentId !== undefined ? `agent:${agentId}` : h.kind === "agentCtl" && this.#agentUid(h.arg) !== undefined ? `agent-user:${this.#agentUid(h.arg)}` : "owner";
    this.#ctx.caller = { via: `${path}[${cls}]`, ...(this.#caller ? { uid: this.#caller.uid, pid: this.#caller.pid } : {}), ...(agentId !== undefined ? { agentId } : {}) };
    const via = this.#ctx.caller.via!;
    h.pending = null;
    if (agentId !== undefined) {
      const rate = this.#sup.policy.scopeOf(agentId)?.max_ops_per_sec ?? 0;
      if (!this.#opRate.take(agentId, rate, performance.now())) {
        return this.#reject(path, h, ERRNO.EAGAIN, `agent ${agentId} is over its scope max_ops_per_sec=${rate}: try again later`, "");
      }
    }
    // Opened thanks to the looser modes above by someone who is neither the daemon's owner nor
    // an agent (nor the agent's user at its own ctl): refused.
    if (this.#caller && this.#caller.uid !== this.#uid && this.#caller.uid !== 0 && agentId === undefined && h.kind !== "agentCtl") {
      return this.#reject(path, h, ERRNO.EACCES, `${path}: only the daemon's owner, and agents for themselves, may write here`, "");
    }
    if (control.dialect === "records") return this.#writeRecords(path, h, buf, final, data.byteLength);
    if (!final) {
      if (buf.byteLength > MAX_PENDING) return this.#reject(path, h, ERRNO.E2BIG, `write of more than ${MAX_PENDING} bytes`, "");
      h.pending = buf;
      return data.byteLength;
    }
    let text: string;
    try {
      text = decoder.decode(buf);
    } catch {
      return this.#reject(path, h, ERRNO.EINVAL, "write is not valid UTF-8", "");
    }
    const out = this.#applyText(h, control.dialect, text);
    if (out.code < 0 && out.applied.length === 0) {
      const code = this.#reject(path, h, out.code, out.reason ?? "", out.line ?? "", out.commands);
      void this.#persist("touched"); // the refusal's audit entry (nothing else changed)
      return code;
    }
    // Lines before a line refused at run time stay applied: audited, journaled and answered
    // `ok` like a write of their own, then the refusal.
    const done = out.code < 0 ? out.applied.join("\n") : text.trim();
    const entry = this.#sup.audit.record(this.#agentOf(h, out.commands, out.results), "write", `${path}: ${this.#redact(done)}`, 0, { ...this.#ctx.caller, via });
    // One command is audited under the agent it names; a write of several may name several.
    const durable = this.#persist(done.includes("\n") ? "all" : "touched");
    if (typeof durable === "number" && durable < 0) {
      // Not journaled, so the entry can still say what happened.
      entry.result = errnoName(durable);
      this.#noteError(path, durable, "the write could not be made durable (state directory full or failing); it was undone", this.#redact(text.trim()).slice(0, 200));
      if (textReplies) h.replies.push(encoder.encode(`error ${errnoName(durable)}: the write could not be made durable; it was undone\n`));
      return durable;
    }
    // Answered once the journal's fsync covers it (other requests are served meanwhile).
    const acknowledge = (synced: number): number => {
      if (synced < 0) {
        this.#noteError(path, synced, "the journal could not be synced to disk: whether this write survives a machine crash is unknown; restart the daemon", this.#redact(text.trim()).slice(0, 200));
        if (textReplies) h.replies.push(encoder.encode(`error ${errnoName(synced)}: the journal could not be synced to disk\n`));
        return synced;
      }
      if (textReplies) for (const r of out.results.slice(0, out.applied.length)) h.replies.push(encoder.encode(`ok ${r.code}\n`));
      if (out.code < 0) {
        const code = this.#reject(path, h, out.code, out.reason ?? "", out.line ?? "", out.commands);
        void this.#persist("touched");
        return code;
      }
      return data.byteLength;
    };
    return typeof durable === "number" ? acknowledge(durable) : durable.then(acknowledge);
  }

  /**
   * The agent a write concerns: the file's, or the first one its commands name (`kill 100`),
   * a spawn's the id it asked for or, asking for none, the one it got (its result).
   */
  #agentOf(h: Handle, commands: readonly unknown[] = [], results: readonly { code: number }[] = []): number {
    if (AGENT_KINDS.has(h.kind)) return h.arg;
    for (let i = 0; i < commands.length; i++) {
      const c = commands[i] as { op?: unknown; agent?: unknown; spec?: { agent_id?: unknown } } | null;
      if (typeof c?.agent === "number") return c.agent;
      if (c?.op === "spawn") {
        const wanted = c.spec?.agent_id;
        if (typeof wanted === "number" && wanted > 0) return wanted;
        if ((results[i]?.code ?? 0) > 0) return results[i].code;
      }
    }
    return 0;
  }

  #applyText(h: Handle, dialect: TextDialect, text: string): TextOutcome {
    const id = h.arg;
    if (dialect === "agentCtl" && this.#agentUid(id) !== undefined) {
      // An agent running as another user owns this file, and the backend cannot tell who
      // writes: assume the agent, and take only what an agent may say about itself.
      for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        // The verb as the decoder reads it (`'kill'` is kill). A line whose verb does not
        // split is refused by the decoder alike, so it cannot slip past this check.
        const verb = splitShellWords(line, { limit: 1 }).words[0];
        if (verb !== undefined && !SELF_VERBS.has(verb)) {
          return { code: ERRNO.EPERM, applied: [], reason: `agents/${id}/ctl belongs to the agent's user: it takes ${[...SELF_VERBS].join(", ")}; ${quoteToken(verb)} needs /ctl (the daemon's owner)`, line, results: [], commands: [] };
        }
      }
    }
    const lineOf = LINE_OF[dialect];
    return applyTextCommands(this.#ctx, text, lineOf ? (line) => lineOf(line, id) : undefined);
  }

  #writeRecords(path: string, h: Handle, buf: Uint8Array, final: boolean, len: number): number | Promise<number> {
    if (final) {
      const d = decodeRequests(buf);
      if (!d.ok) return this.#reject(path, h, ERRNO.EINVAL, d.reason, "");
      if (d.rest > 0) return this.#reject(path, h, ERRNO.EINVAL, `truncated record: ${d.rest} bytes at the end of the write do not make a whole record (records must arrive in one write)`, "");
    }
    const out = applyRecords(this.#ctx, buf);
    if (out.code < 0) return this.#reject(path, h, out.code, out.reason ?? "", "");
    const durable = this.#persist("all"); // records are not audited one by one: look at every agent
    if (typeof durable === "number" && durable < 0) return this.#reject(path, h, durable, "the records could not be made durable (state directory full or failing); their effects were undone", "");
    if (out.rest > 0) h.pending = buf.slice(buf.byteLength - out.rest);
    const acknowledge = (synced: number): number => {
      if (synced < 0) return this.#reject(path, h, synced, "the journal could not be synced to disk: whether these records survive a machine crash is unknown; restart the daemon", "");
      h.replies.push(...out.replies);
      for (const r of out.rejects) this.#noteError(path, r.code, `syscall ${r.nr}: ${r.reason}`, "");
      return len;
    };
    return typeof durable === "number" ? acknowledge(durable) : durable.then(acknowledge);
  }

  /** A refused write: `last_error`, the audit trail and the reply say why — never with the secrets it carried. */
  #reject(file: string, h: Handle, code: number, reason: string, raw: string, commands: readonly unknown[] = []): number {
    const line = this.#redact(raw);
    this.#noteError(file, code, reason, line);
    this.#sup.audit.record(this.#agentOf(h, commands), "write", `${file}: ${line}`, code, { ...this.#ctx.caller, via: this.#ctx.caller.via ?? file });
    if (controlOf(h.kind)?.reply === "text") h.replies.push(encoder.encode(`error ${errnoName(code)}: ${reason}\n`));
    return code;
  }

  #noteError(file: string, code: number, reason: string, line: string): void {
    const wall = new Date(this.#sup.ctx.clock.wallMs()).toISOString();
    this.#lastErrors.push(`${wall} ${file} ${errnoName(code)}: ${reason}${line ? ` [${line}]` : ""}\n`);
    if (this.#lastErrors.length > this.#lastErrorCapacity) this.#lastErrors.shift();
  }

  release(path: string, fh: number): number {
    const h = this.#handles.get(fh);
    if (!h) return 0;
    if (h.pending && h.pending.byteLength > 0) this.#noteError(path, ERRNO.EINVAL, `${h.pending.byteLength} bytes of an unfinished write discarded at close`, "");
    this.#handles.delete(fh);
    return 0;
  }

  truncate(path: string, _size: number): number {
    const r = this.#resolve(path);
    if (!r) return ERRNO.ENOENT;
    // `>` opens with O_TRUNC, which arrives as truncate: meaningless for control files, allowed.
    return NODE[r.kind].type === "control" ? 0 : ERRNO.EACCES;
  }
}

function takeReplies(h: Handle, len: number): Uint8Array {
  if (h.replies.length === 0) return EMPTY;
  const all = h.replies.length === 1 ? h.replies[0] : concatAll(h.replies);
  const n = Math.min(len, all.byteLength);
  const out = all.slice(0, n);
  h.replies = n < all.byteLength ? [all.slice(n)] : [];
  return out;
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}
