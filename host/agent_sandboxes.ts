import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CAP, capabilityMask, compareViews, isBeneath, netRuleFor, parseNetAllowlist, sandboxView, type AgentSpec, type AgentSupervisor, type SandboxView } from "../lib/mod.ts";
import { NetProxy } from "./net_proxy.ts";
import { proxyEnv, sandboxArgv, which, type SandboxSupport } from "./sandbox.ts";

/** Agents without a `user` run as uid = gid = DYNAMIC_UID_BASE + id (docs/sandbox.md, "Identity"). */
export const DYNAMIC_UID_BASE = 0x70000000;
const DYNAMIC_UID_MAX = 0xfffffffe;

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  uid?: number;
  gid?: number;
}

interface Running {
  view: SandboxView;
  uid: number;
  /** What the policy now allows and this sandbox does not, until the next start. */
  pending: string[];
  warnings: string[];
}

export interface AgentSandboxesOptions {
  sup: AgentSupervisor;
  /** null: sandboxes are off (`--no-sandbox`, or the host cannot make them — `reason` says why). */
  support: SandboxSupport | null;
  reason?: string;
  mountPath?: string;
  log: (line: string) => void;
  /** Where the agents' proxy sockets live (one directory per agent, 0711 above them); default: a new temporary directory. */
  netRoot?: string;
  /** Restart an agent into a new sandbox (the host's manual restart, audited here). */
  restart: (id: number) => void;
}

/**
 * The sandboxes of a daemon's agents: turns an agent's spec and live policy into the command
 * that starts it in its sandbox (sandbox.ts), gives it an identity of its own and a proxy
 * socket, and keeps the policy binding while it runs — the proxy asks the live policy on every
 * connection, and a patch that narrows what files or devices the agent may touch restarts it
 * into a sandbox built from the new policy.
 */
export class AgentSandboxes {
  readonly #o: AgentSandboxesOptions;
  readonly #running = new Map<number, Running>();
  readonly #proxy: NetProxy | null;
  readonly #netRoot: string | null;
  readonly #root = process.getuid?.() === 0;

  constructor(o: AgentSandboxesOptions) {
    this.#o = o;
    if (o.support) {
      // One directory per daemon, 0711: an agent's bwrap (its own uid) must reach its own
      // socket directory (0700, the agent's) inside, and list nothing.
      // Named after the state directory, not random: a daemon killed with -9 leaves at most one
      // behind, and the next daemon on the same state directory takes it over — the agents it
      // re-adopts have their directory bound in, so it serves their sockets again.
      this.#netRoot = o.netRoot ?? mkdtempSync(join(tmpdir(), "agentsys-net-"));
      mkdirSync(this.#netRoot, { recursive: true, mode: 0o711 });
      chmodSync(this.#netRoot, 0o711);
      this.#proxy = new NetProxy({ decide: (id, host, port) => this.#decide(id, host, port), log: o.log });
      this.#proxy.onRefusal((id, r) => this.#refused(id, r));
    } else {
      this.#netRoot = null;
      this.#proxy = null;
    }
    if (o.support) o.sup.sandboxOf = (id) => this.describe(id);
    o.sup.policy.onChange((id) => this.#policyChanged(id));
  }

  /** The start-up line. */
  summary(): string {
    const s = this.#o.support;
    if (!s) return `sandbox: off (${this.#o.reason ?? "--no-sandbox"}): agents run with the host as it is`;
    return `sandbox: ${this.#kind()} for every agent without "sandbox: none"; agents without a user run as uid ${DYNAMIC_UID_BASE}+id; egress only through the proxy (NetClient)`;
  }

  #kind(): string {
    return this.#o.support!.landlock > 0 ? `bwrap+landlock${this.#o.support!.landlock}` : "bwrap";
  }

  /**
   * The command to start agent `id` with, or null to run it as it is (sandboxes off, or
   * `sandbox: none`). `user` is the spec's resolved user. Throws a readable Error when the
   * sandbox cannot be made (the start fails with it).
   */
  launch(id: number, spec: AgentSpec, user: { uid: number; gid: number } | null, env: Record<string, string | undefined>, policy: "spec" | "live"): Launch | null {
    const s = this.#o.support;
    if (!s || spec.sandbox === "none") {
      this.#running.delete(id);
      return null;
    }
    // A first start takes the spec's policy (the agent is registered after its process
    // exists); a restart the live one, as patched since.
    const p = policy === "live" ? this.#o.sup.policy.policyOf(id) : undefined;
    const mask = p ? p.capability_mask : Math.max(0, capabilityMask(spec.capabilities ?? []));
    const cwd = spec.cwd ?? process.cwd();
    const view = sandboxView(mask, p ? p.scope : (spec.scope ?? {}), cwd);
    let uid = user?.uid;
    let gid = user?.gid;
    if (uid === undefined && this.#root) {
      if (DYNAMIC_UID_BASE + id > DYNAMIC_UID_MAX) throw new Error(`agent id ${id} is too large for a dynamic uid: give it a "user" or "sandbox: none"`);
      uid = gid = DYNAMIC_UID_BASE + id;
    }
    if (this.#o.mountPath && isBeneath(cwd, this.#o.mountPath)) throw new Error(`its working directory ${cwd} is inside the tree: give it one outside ${this.#o.mountPath}`);
    if (uid !== undefined && uid !== 0) {
      const blocked = untraversable(cwd, uid, gid!);
      if (blocked) throw Object.assign(new Error(`its working directory ${cwd} is out of reach of its uid ${uid}: ${blocked} — open it up (chmod o+x), give the agent a user who can, or "sandbox: none"`), { code: "EACCES" });
      // The parent only: a synchronous stat of its own mount would deadlock the daemon.
      const tree = this.#o.mountPath ? untraversable(dirname(this.#o.mountPath), uid, gid!) : "";
      if (tree) throw Object.assign(new Error(`the tree's mountpoint ${this.#o.mountPath} is out of reach of its uid ${uid}: ${tree} — mount the tree where agents can reach it (the default /run/agentsys is)`), { code: "EACCES" });
    }
    const warnings: string[] = [];
    for (const w of view.writable) {
      if (this.#o.mountPath && isBeneath(w, this.#o.mountPath)) continue; // never stat our own mount
      const problem = this.#writableProblem(w, uid, gid);
      if (problem) warnings.push(problem);
    }
    const netDir = this.#netDir(id);
    mkdirSync(netDir, { recursive: true, mode: 0o700 });
    if (uid !== undefined) chownSync(netDir, uid, gid!);
    this.#serveProxy(id, uid, gid);
    const path = env.PATH ?? "/usr/bin:/bin";
    if (!which(spec.command!, path, cwd)) throw Object.assign(new Error(`could not run "${spec.command}" (not found or not executable)`), { code: "ENOENT" });
    const args = sandboxArgv(s, { view, command: spec.command!, args: spec.args ?? [], cwd, mountPath: this.#o.mountPath, netDir });
    const home = spec.env?.HOME ?? (view.writable[0] ?? "/tmp");
    this.#running.set(id, { view, uid: uid ?? process.getuid?.() ?? 0, pending: [], warnings });
    // The launcher in front ignores SIGTERM for bwrap: a graceful stop reaches the agent (same
    // process group) and not bwrap, whose death would SIGKILL the sandbox at once; the launcher
    // inside puts the default back before the agent's command.
    return { command: s.launcher, args: ["--hold-signals", "--", s.bwrap, ...args], env: { ...env, ...proxyEnv(), HOME: home }, uid, gid };
  }

  /**
   * A process an earlier daemon started in a sandbox (its command line is bwrap's, running the
   * launcher), now re-adopted: it keeps that sandbox, and its proxy socket is served again in
   * the directory bound into it.
   */
  adopted(id: number, uid: number, cmdline: string): void {
    if (!this.#o.support || !cmdline.includes(` -- ${this.#o.support.launcher} `)) return; // bwrap … -- launcher … -- command
    let warnings: string[] = [];
    try {
      statSync(this.#netDir(id));
      this.#serveProxy(id, uid, uid);
    } catch {
      warnings = ["re-adopted without its proxy directory: no network until its next start"];
    }
    this.#running.set(id, { view: this.#liveView(id) ?? sandboxView(0, {}, process.cwd()), uid, pending: [], warnings });
  }

  /** The `Sandbox:` line of agents/<id>/status. */
  describe(id: number): string {
    const r = this.#running.get(id);
    if (!r) return this.#o.sup.specOf(id)?.sandbox === "none" ? "none (sandbox: none)" : "none";
    let line = `${this.#kind()} uid=${r.uid}`;
    if (r.pending.length) line += ` (restart pending: ${r.pending.join(", ")})`;
    if (r.warnings.length) line += ` (warning: ${r.warnings.join("; ")})`;
    return line;
  }

  /** Is agent `id` in a sandbox (its exit status then comes from bwrap: 128+signal)? */
  sandboxed(id: number): boolean {
    return this.#running.has(id);
  }

  forget(id: number): void {
    this.#running.delete(id);
    void this.#proxy?.close(id);
    if (this.#netRoot) rmSync(this.#netDir(id), { recursive: true, force: true });
  }

  /** Agent `id`'s socket directory on the host (bound at SANDBOX_NET_DIR inside). */
  #netDir(id: number): string {
    return join(this.#netRoot!, String(id));
  }

  #serveProxy(id: number, uid: number | undefined, gid: number | undefined): void {
    void this.#proxy!.listen(id, join(this.#netDir(id), "proxy.sock"), uid, gid).catch((e: Error) => this.#o.log(`agent ${id}: no proxy socket: ${e.message}`));
  }

  /** The view agent `id`'s live policy gives, or undefined when it has no policy. */
  #liveView(id: number): SandboxView | undefined {
    const p = this.#o.sup.policy.policyOf(id);
    return p ? sandboxView(p.capability_mask, p.scope, this.#o.sup.specOf(id)?.cwd ?? process.cwd()) : undefined;
  }

  /** `keepAgents`: they run on, so their socket directories stay for the next daemon. */
  async close(keepAgents = false): Promise<void> {
    await this.#proxy?.closeAll();
    if (this.#netRoot && !keepAgents) rmSync(this.#netRoot, { recursive: true, force: true });
  }

  /**
   * FsBasic's directory must be writable by the agent's uid. The daemon does not create or
   * chown an operator's directories behind their back: when the agent cannot write there, its
   * `Sandbox:` line says so and what to do (docs/sandbox.md, "Ownership").
   */
  #writableProblem(dir: string, uid: number | undefined, gid: number | undefined): string {
    let st;
    try {
      st = statSync(dir);
    } catch {
      return `${dir} does not exist: create it${uid !== undefined ? ` and give it to uid ${uid}` : ""}`;
    }
    if (uid === undefined || uid === 0) return "";
    return permits(st, uid, gid!, 2) ? "" : `${dir} is not writable by uid ${uid} (owner ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}): chown it to ${uid} or give the agent a user`;
  }

  /** The proxy's question, on every connection: may agent `id` reach host:port now? */
  #decide(id: number, host: string, port: number) {
    const sup = this.#o.sup;
    if (!sup.hasAgent(id)) return { ok: false as const, reason: `agent ${id} is gone` };
    if (!sup.policy.checkCapability(id, CAP.NetClient)) {
      return { ok: false as const, reason: `NetClient not granted: agent ${id} may not connect to ${host}:${port} (grant it: echo +NetClient > agents/${id}/policy)`, capability: "NetClient" };
    }
    const net = sup.policy.scopeOf(id)?.net;
    if (net === undefined) return { ok: true as const };
    const rules = parseNetAllowlist(net);
    const rule = rules.ok ? netRuleFor(rules.value, host, port) : undefined;
    if (!rule) return { ok: false as const, reason: `${host}:${port} is not in agent ${id}'s scope net=${net}` };
    return { ok: true as const, rule };
  }

  #refused(id: number, r: { host: string; port: number; method: string; reason: string; capability?: string }): void {
    const sup = this.#o.sup;
    if (!sup.getAgent(id)?.active) return;
    if (r.capability) sup.onFault(id, { type: "CapabilityViolation", attempted: `${r.capability}: connect ${r.host}:${r.port}` });
    else sup.onFault(id, { type: "PolicyViolation", reason: r.reason });
  }

  #policyChanged(id: number): void {
    const r = this.#running.get(id);
    const next = this.#liveView(id);
    if (!r || !next || !this.#o.sup.specOf(id) || !this.#o.sup.getAgent(id)?.active) return;
    // Tunnels opened under the old policy do not outlive NetClient.
    if (!this.#o.sup.policy.checkCapability(id, CAP.NetClient)) this.#proxy?.dropConnections(id);
    const { narrower, wider } = compareViews(r.view, next);
    r.pending = wider;
    if (narrower.length === 0) return;
    const reason = `policy narrowed: no longer ${narrower.join(", ")}`;
    this.#o.sup.audit.record(id, "sandbox-restart", reason, 0, { via: "sandbox" });
    this.#o.log(`agent ${id}: restarting into a new sandbox (${reason})`);
    this.#o.restart(id);
  }
}

/**
 * Why uid:gid (no supplementary groups: a dynamic uid has none) cannot chdir into `dir` — the
 * first directory on the way without search permission for it — or "" when it can.
 */
function untraversable(dir: string, uid: number, gid: number): string {
  const parts = dir.split("/").filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = "/" + parts.slice(0, i).join("/");
    let st;
    try {
      st = statSync(p);
    } catch {
      return `${p} does not exist`;
    }
    if (!permits(st, uid, gid, 1)) return `${p} is mode ${(st.mode & 0o777).toString(8)}, owner ${st.uid}`;
  }
  return "";
}

/** Does mode `st` give uid:gid (no supplementary groups) the access `bit` (4 read, 2 write, 1 search)? */
function permits(st: { uid: number; gid: number; mode: number }, uid: number, gid: number, bit: 1 | 2 | 4): boolean {
  const shift = st.uid === uid ? 6 : st.gid === gid ? 3 : 0;
  return (st.mode & (bit << shift)) !== 0;
}
