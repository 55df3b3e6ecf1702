/**
 * Every node of the tree, once, with its path pattern, type and mode (SPEC §5, §9). getattr,
 * readdir and open all derive from this table. `:id` is an AgentId, `:pid` a process id.
 * `owner: "agent"` files belong to the agent's user when it runs as another uid (else to the
 * daemon's owner, like every other node). `private` files are what procfs shows only to a
 * process's owner (its environment): mode 0400, 0440 with the read group (`up --read-group`).
 * Control files name their write `dialect` (how a written line becomes a command:
 * write_dialect.ts; `records` is the binary shim) and `reply`: `text` answers `ok N` /
 * `error …` per line on the writing descriptor, `records` answers binary replies, `none`
 * answers by errno only.
 */
export const NODE = {
  root: { path: "/", type: "dir", mode: 0o555 },
  status: { path: "/status", type: "file", mode: 0o444 },
  telemetry: { path: "/telemetry", type: "file", mode: 0o444 },
  compliance: { path: "/compliance", type: "file", mode: 0o444 },
  cloudGateway: { path: "/cloud_gateway", type: "file", mode: 0o444 },
  events: { path: "/events", type: "file", mode: 0o444 },
  audit: { path: "/audit", type: "file", mode: 0o444 },
  metrics: { path: "/metrics", type: "file", mode: 0o444 },
  limits: { path: "/limits", type: "control", mode: 0o644, dialect: "limits", reply: "none" },
  recovery: { path: "/recovery", type: "control", mode: 0o644, dialect: "recovery", reply: "none" },
  ctl: { path: "/ctl", type: "control", mode: 0o600, dialect: "ctl", reply: "text" },
  syscall: { path: "/syscall", type: "control", mode: 0o600, dialect: "records", reply: "records" },
  lastError: { path: "/last_error", type: "file", mode: 0o444 },
  agentsJson: { path: "/agents.json", type: "file", mode: 0o444 },
  agentsDir: { path: "/agents", type: "dir", mode: 0o555 },
  /** The caller's own agent (by its pid and ancestors), where the backend names callers. */
  agentSelf: { path: "/agents/self", type: "link", mode: 0o777 },
  agentDir: { path: "/agents/:id", type: "dir", mode: 0o555 },
  agentStatus: { path: "/agents/:id/status", type: "file", mode: 0o444 },
  agentMetrics: { path: "/agents/:id/metrics", type: "file", mode: 0o444 },
  agentResources: { path: "/agents/:id/resources", type: "file", mode: 0o444 },
  agentLimits: { path: "/agents/:id/limits", type: "file", mode: 0o444 },
  agentRisk: { path: "/agents/:id/risk", type: "file", mode: 0o444 },
  agentDeps: { path: "/agents/:id/deps", type: "file", mode: 0o444 },
  agentProfile: { path: "/agents/:id/profile", type: "file", mode: 0o444 },
  /** Private (SPEC §9, Secrets): agents print what they like, secrets included. */
  agentLog: { path: "/agents/:id/log", type: "file", mode: 0o400, private: true, owner: "agent" },
  agentJson: { path: "/agents/:id/agent.json", type: "file", mode: 0o444 },
  /** Private: the spec with its environment values, which agent.json shows as "(set)". */
  agentSpec: { path: "/agents/:id/spec.json", type: "file", mode: 0o400, private: true, owner: "agent" },
  agentPolicy: { path: "/agents/:id/policy", type: "control", mode: 0o644, dialect: "policy", reply: "none" },
  agentCtl: { path: "/agents/:id/ctl", type: "control", mode: 0o200, dialect: "agentCtl", reply: "text", owner: "agent" },
  byPidDir: { path: "/by-pid", type: "dir", mode: 0o555 },
  byPid: { path: "/by-pid/:pid", type: "link", mode: 0o777 },
} as const;
export type NodeKind = keyof typeof NODE;
export type NodeInfo = (typeof NODE)[NodeKind];
export type WriteDialect = "ctl" | "agentCtl" | "policy" | "limits" | "recovery" | "records";
export type TextDialect = Exclude<WriteDialect, "records">;
export type ReplyKind = "text" | "records" | "none";

export interface ControlInfo {
  dialect: WriteDialect;
  reply: ReplyKind;
}

/** A control file's dialect and reply kind (its node, no copy); null for files that take no writes. */
export function controlOf(kind: NodeKind): ControlInfo | null {
  const n = NODE[kind] as Partial<ControlInfo>;
  return n.dialect && n.reply ? (n as ControlInfo) : null;
}

export interface Resolved {
  kind: NodeKind;
  /** AgentId for /agents/:id/…, pid for /by-pid/:pid; -1 otherwise. */
  arg: number;
}

const KINDS = Object.keys(NODE) as NodeKind[];

/** Kinds under /agents/:id — their argument is an AgentId (computed once, asked per request). */
export const AGENT_KINDS: ReadonlySet<NodeKind> = new Set(KINDS.filter((k) => NODE[k].path.includes(":id")));
const PATTERNS = KINDS.map((k) => NODE[k].path.split("/").filter(Boolean));

/** Names listed in a directory of fixed children (root, an agent directory). */
export function childrenOf(kind: NodeKind): string[] {
  const base = NODE[kind].path === "/" ? [] : NODE[kind].path.split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < KINDS.length; i++) {
    const p = PATTERNS[i];
    if (p.length !== base.length + 1) continue;
    if (!base.every((seg, j) => seg === p[j])) continue;
    const last = p[p.length - 1];
    if (!last.startsWith(":")) out.push(last);
  }
  return out;
}

/** Path → node kind and its numeric argument, or null. Numbers must be canonical decimals. */
export function resolvePath(path: string): Resolved | null {
  const segs = path.split("/").filter(Boolean);
  for (let i = 0; i < KINDS.length; i++) {
    const p = PATTERNS[i];
    if (p.length !== segs.length) continue;
    let arg = -1;
    let ok = true;
    for (let j = 0; j < p.length && ok; j++) {
      if (p[j].startsWith(":")) {
        const s = segs[j];
        if (!/^(0|[1-9]\d{0,9})$/.test(s) || Number(s) > 0xffffffff) ok = false;
        else arg = Number(s);
      } else if (p[j] !== segs[j]) ok = false;
    }
    if (ok) return { kind: KINDS[i], arg };
  }
  return null;
}
