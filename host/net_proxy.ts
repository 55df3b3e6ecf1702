import { lookup as dnsLookup } from "node:dns/promises";
import { chmod, chown, rename, rm } from "node:fs/promises";
import { connect, createServer, isIP, type Server, type Socket } from "node:net";
import { canonicalIpv6, type NetRule } from "../lib/mod.ts";
import { isPrivateAddress } from "./ip_class.ts";

/**
 * The egress proxy of sandboxed agents (docs/net_proxy.md): one unix socket per agent, so the
 * socket says who calls; HTTP CONNECT, plain HTTP with an absolute URI, and SOCKS5 on the same
 * socket, told apart by the first byte. `decide` (the live policy) is asked on every connection;
 * a refusal is answered with its reason (403 + X-Agentsys-Refused) and told to `onRefusal`
 * listeners. TLS is tunnelled, never intercepted.
 */
export type NetDecision = { ok: true; rule?: NetRule } | { ok: false; reason: string; capability?: string };

export interface NetRefusal {
  host: string;
  port: number;
  method: string;
  reason: string;
  capability?: string;
}

export interface NetStats {
  connections: number;
  refused: number;
  bytesUp: number;
  bytesDown: number;
}

export interface NetProxyOptions {
  decide: (agentId: number, host: string, port: number) => NetDecision;
  log?: (line: string) => void;
  /** The request head must arrive within this (default 10 s). */
  headerTimeoutMs?: number;
  /** Connecting upstream (default 10 s). */
  connectTimeoutMs?: number;
  /** Name resolution (tests give their own); the first address is dialled. */
  lookup?: (host: string) => Promise<string>;
}

const MAX_HEAD = 64 << 10;
const UNIX_PATH_MAX = 107;

interface Listener {
  server: Server;
  path: string;
  stats: NetStats;
  sockets: Set<Socket>;
}

export class NetProxy {
  readonly #o: Required<Omit<NetProxyOptions, "log">> & { log: (line: string) => void };
  readonly #listeners = new Map<number, Listener>();
  readonly #refusalListeners: ((agentId: number, r: NetRefusal) => void)[] = [];

  constructor(o: NetProxyOptions) {
    this.#o = {
      decide: o.decide,
      log: o.log ?? (() => {}),
      headerTimeoutMs: o.headerTimeoutMs ?? 10_000,
      connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
      lookup: o.lookup ?? (async (h) => (await dnsLookup(h)).address),
    };
  }

  /** Serve agent `agentId` on a unix socket at `socketPath` (0600, owned by uid:gid when given). */
  async listen(agentId: number, socketPath: string, uid?: number, gid?: number): Promise<void> {
    if (Buffer.byteLength(socketPath) > UNIX_PATH_MAX) throw new Error(`proxy socket path ${socketPath} is longer than ${UNIX_PATH_MAX} bytes`);
    await this.close(agentId);
    const l: Listener = { server: createServer((s) => this.#serve(agentId, l, s)), path: socketPath, stats: { connections: 0, refused: 0, bytesUp: 0, bytesDown: 0 }, sockets: new Set() };
    this.#listeners.set(agentId, l);
    // Bound under a temporary name and renamed into place: the agent never sees a socket with
    // the wrong owner or mode.
    const tmp = `${socketPath}.${process.pid}.tmp`;
    if (Buffer.byteLength(tmp) > UNIX_PATH_MAX) throw new Error(`proxy socket path ${socketPath} is too long for its temporary name`);
    await rm(tmp, { force: true });
    await new Promise<void>((resolve, reject) => {
      l.server.once("error", reject);
      l.server.listen(tmp, () => {
        l.server.off("error", reject);
        resolve();
      });
    });
    l.server.on("error", (e) => this.#o.log(`proxy for agent ${agentId}: ${e.message}`));
    await chmod(tmp, 0o600);
    if (uid !== undefined) await chown(tmp, uid, gid ?? uid);
    await rename(tmp, socketPath);
  }

  async close(agentId: number): Promise<void> {
    const l = this.#listeners.get(agentId);
    if (!l) return;
    this.#listeners.delete(agentId);
    for (const s of l.sockets) s.destroy();
    await new Promise<void>((r) => l.server.close(() => r()));
    await rm(l.path, { force: true });
  }

  /** End agent `agentId`'s open connections (its NetClient was revoked); the socket stays. */
  dropConnections(agentId: number): void {
    for (const s of this.#listeners.get(agentId)?.sockets ?? []) s.destroy();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#listeners.keys()].map((id) => this.close(id)));
  }

  onRefusal(listener: (agentId: number, r: NetRefusal) => void): () => void {
    this.#refusalListeners.push(listener);
    return () => {
      const i = this.#refusalListeners.indexOf(listener);
      if (i >= 0) this.#refusalListeners.splice(i, 1);
    };
  }

  stats(agentId: number): NetStats | undefined {
    const s = this.#listeners.get(agentId)?.stats;
    return s ? { ...s } : undefined;
  }

  #serve(agentId: number, l: Listener, client: Socket): void {
    l.stats.connections++;
    l.sockets.add(client);
    client.on("close", () => l.sockets.delete(client));
    client.on("error", () => {});
    let head: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => reply(client, 408, "Request Timeout", { "X-Agentsys-Error": "the request head did not arrive in time" }), this.#o.headerTimeoutMs);
    const onData = (chunk: Buffer) => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      if (head[0] === 0x05) {
        client.off("data", onData);
        clearTimeout(timer);
        void this.#socks(agentId, l, client, head);
        return;
      }
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > MAX_HEAD) {
          clearTimeout(timer);
          client.off("data", onData);
          reply(client, 431, "Request Header Fields Too Large", { "X-Agentsys-Error": `request head over ${MAX_HEAD} bytes` });
        }
        return;
      }
      client.off("data", onData);
      client.pause();
      clearTimeout(timer);
      void this.#http(agentId, l, client, head.subarray(0, end).toString("latin1"), head.subarray(end + 4));
    };
    client.on("data", onData);
    client.on("end", () => clearTimeout(timer));
    client.on("close", () => clearTimeout(timer));
  }

  /** Ask the live policy, then the private-address rule; dial. A refusal is answered and told. */
  async #admit(agentId: number, l: Listener, host: string, port: number, method: string): Promise<{ ok: true; upstream: Socket } | { ok: false; status: number; header: string; reason: string; tell?: () => void }> {
    // Listeners hear a refusal once the agent has its answer: the fault's action (Kill, by
    // default) must not beat the explanation to the agent.
    const refuse = (reason: string, capability?: string) => {
      l.stats.refused++;
      const r: NetRefusal = { host, port, method, reason, ...(capability ? { capability } : {}) };
      const tell = () => {
        for (const f of this.#refusalListeners) f(agentId, r);
      };
      return { ok: false as const, status: 403, header: "X-Agentsys-Refused", reason, tell };
    };
    let d: NetDecision;
    try {
      d = this.#o.decide(agentId, host, port);
    } catch (e) {
      return refuse(`policy check failed: ${(e as Error).message}`);
    }
    if (!d.ok) return refuse(d.reason, d.capability);
    let address: string;
    try {
      address = isIP(host) ? host : await this.#o.lookup(host);
    } catch (e) {
      return { ok: false, status: 502, header: "X-Agentsys-Error", reason: `cannot resolve ${host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
    // An allowlisted name must not be a way to the host's own services (SSRF): private
    // addresses only when a rule names that very address, or `localhost`.
    if (isPrivateAddress(address) && !namesExactly(d.rule, address, host)) {
      return refuse(`${host}${address !== host ? ` (${address})` : ""} is a private address: name it in scope net= to allow it (e.g. net=${isIP(host) === 6 ? `[${host}]` : host}:${port})`);
    }
    const upstream = connect({ host: address, port });
    const ok = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      const t = setTimeout(() => {
        upstream.destroy();
        resolve(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }));
      }, this.#o.connectTimeoutMs);
      upstream.once("connect", () => {
        clearTimeout(t);
        resolve(null);
      });
      upstream.once("error", (e) => {
        clearTimeout(t);
        resolve(e);
      });
    });
    if (ok) return { ok: false, status: ok.code === "ETIMEDOUT" ? 504 : 502, header: "X-Agentsys-Error", reason: `${ok.code ?? ok.message} connecting to ${host}:${port}` };
    upstream.on("error", () => {});
    return { ok: true, upstream };
  }

  async #http(agentId: number, l: Listener, client: Socket, head: string, rest: Buffer): Promise<void> {
    const lines = head.split("\r\n");
    const m = /^([A-Z]{1,16}) (\S+) HTTP\/1\.[01]$/.exec(lines[0]);
    if (!m) return reply(client, 400, "Bad Request", { "X-Agentsys-Error": "not an HTTP/1.x proxy request" });
    const [, method, target] = m;
    let host: string;
    let port: number;
    let path = "";
    if (method === "CONNECT") {
      const t = splitHostPort(target);
      if (!t) return reply(client, 400, "Bad Request", { "X-Agentsys-Error": `CONNECT target ${target}: expected host:port` });
      [host, port] = t;
    } else {
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        return reply(client, 400, "Bad Request", { "X-Agentsys-Error": `${target}: a proxy request needs an absolute http:// URI` });
      }
      if (url.protocol !== "http:") return reply(client, 400, "Bad Request", { "X-Agentsys-Error": `${url.protocol} through a plain request: use CONNECT (HTTPS_PROXY) for TLS` });
      host = url.hostname.replace(/^\[|\]$/g, "");
      port = url.port ? Number(url.port) : 80;
      path = `${url.pathname}${url.search}`;
    }
    const a = await this.#admit(agentId, l, host, port, method);
    if (!a.ok) return reply(client, a.status, a.status === 403 ? "Forbidden" : a.status === 504 ? "Gateway Timeout" : "Bad Gateway", { [a.header]: a.reason }, a.tell);
    if (method === "CONNECT") {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    } else {
      // One request per connection, upstream and down: each is decided on its own.
      const headers = lines.slice(1).filter((h) => !/^(proxy-connection|proxy-authorization|connection|keep-alive):/i.test(h));
      a.upstream.write(`${method} ${path} HTTP/1.1\r\n${headers.join("\r\n")}${headers.length ? "\r\n" : ""}Connection: close\r\n\r\n`);
    }
    this.#splice(l, client, a.upstream, rest);
  }

  async #socks(agentId: number, l: Listener, client: Socket, first: Buffer): Promise<void> {
    const read = socketReader(client, first);
    try {
      const [, n] = await read(2);
      const methods = await read(n);
      if (!methods.includes(0)) {
        client.end(Buffer.from([5, 0xff]));
        return;
      }
      client.write(Buffer.from([5, 0]));
      const [ver, cmd, , atyp] = await read(4);
      let host: string;
      if (atyp === 1) host = [...(await read(4))].join(".");
      else if (atyp === 3) host = (await read((await read(1))[0])).toString("latin1");
      else if (atyp === 4) host = ipv6Text(await read(16));
      else return void client.end(socksReply(8));
      const port = (await read(2)).readUInt16BE(0);
      if (ver !== 5 || cmd !== 1) return void client.end(socksReply(7));
      const a = await this.#admit(agentId, l, host, port, "SOCKS5");
      if (!a.ok) return void client.end(socksReply(a.status === 403 ? 2 : /ECONNREFUSED/.test(a.reason) ? 5 : 4), a.tell);
      const rest = read.rest();
      client.write(socksReply(0));
      this.#splice(l, client, a.upstream, rest);
    } catch {
      client.destroy();
    }
  }

  /** Join an admitted client to its upstream, `rest` (bytes already read past the head) first, counting both ways. */
  #splice(l: Listener, client: Socket, up: Socket, rest: Buffer): void {
    client.on("data", (d: Buffer) => (l.stats.bytesUp += d.length));
    up.on("data", (d: Buffer) => (l.stats.bytesDown += d.length));
    if (rest.length) up.write(rest);
    client.pipe(up);
    up.pipe(client);
    client.resume();
    up.on("close", () => client.destroySoon?.() ?? client.end());
    client.on("close", () => up.destroy());
  }
}

function namesExactly(rule: NetRule | undefined, address: string, host: string): boolean {
  if (!rule) return false;
  if (rule.kind === "name") return rule.host === "localhost" && host.toLowerCase() === "localhost";
  if (rule.kind === "ipv4") return rule.host === address;
  if (rule.kind === "ipv6") return canonicalIpv6(address) === rule.host;
  return false;
}

function reply(client: Socket, status: number, text: string, headers: Record<string, string>, sent?: () => void): void {
  const why = Object.values(headers)[0] ?? text;
  const body = `agentsys: ${why}\n`;
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, " ")}`);
  client.end(`HTTP/1.1 ${status} ${text}\r\n${lines.join("\r\n")}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, sent);
}

function splitHostPort(s: string): [string, number] | null {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:\s]+):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? [m[1], port] : null;
}

function socksReply(code: number): Buffer {
  return Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
}

function ipv6Text(b: Buffer): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i).toString(16));
  return g.join(":");
}

/** Exact-length reads from a socket (SOCKS5's binary handshake), with what is left after them. */
function socketReader(s: Socket, first: Buffer) {
  let buf = first;
  let waiting: (() => void) | null = null;
  let ended = false;
  s.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    waiting?.();
  });
  s.on("end", () => {
    ended = true;
    waiting?.();
  });
  const read = async (n: number): Promise<Buffer> => {
    const timeout = Date.now() + 10_000;
    while (buf.length < n) {
      if (ended || buf.length > 1024 || Date.now() > timeout) throw new Error("short SOCKS5 handshake");
      await new Promise<void>((r) => {
        waiting = r;
        setTimeout(r, 1000).unref();
      });
      waiting = null;
    }
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
  read.rest = () => {
    s.removeAllListeners("data");
    s.pause();
    const r = buf;
    buf = Buffer.alloc(0);
    return r;
  };
  return read;
}
