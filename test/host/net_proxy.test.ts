import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer as createHttp } from "node:http";
import { createServer as createHttps } from "node:https";
import { connect, createServer as createTcp, type Socket } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import t, { type Test } from "tap";
import { NetProxy, type NetDecision, type NetRefusal } from "../../host/mod.ts";
import { parseNetAllowlist, netRuleFor } from "../../lib/mod.ts";

/**
 * The egress proxy through real clients: curl (HTTP, CONNECT with TLS end to end, SOCKS5) over a
 * TCP → unix relay like the sandbox's, and raw sockets for what curl will not send. Upstreams are
 * servers on this machine's 127.0.0.1 only.
 */
const curl = "/usr/bin/curl";
const skip = existsSync(curl) && existsSync("/usr/bin/openssl") ? false : "needs curl and openssl";

function allowlist(text: string) {
  const r = parseNetAllowlist(text);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** A decide() over a live allowlist the test changes between connections. */
function policy(text: string | null) {
  const p = {
    text,
    decide(_id: number, host: string, port: number): NetDecision {
      if (p.text === null) return { ok: false, reason: "NetClient not granted", capability: "NetClient" };
      const rule = netRuleFor(allowlist(p.text), host, port);
      return rule ? { ok: true, rule } : { ok: false, reason: `${host}:${port} is not in net=${p.text}` };
    },
  };
  return p;
}

async function setup(t: Test, text: string | null) {
  const dir = await mkdtemp(join(tmpdir(), "agentsys-proxy-"));
  const p = policy(text);
  const proxy = new NetProxy({ decide: (id, h, port) => p.decide(id, h, port), headerTimeoutMs: 1000 });
  const refusals: NetRefusal[] = [];
  proxy.onRefusal((_id, r) => refusals.push(r));
  const sock = join(dir, "proxy.sock");
  await proxy.listen(7, sock);
  // The sandbox's relay, in miniature: TCP on 127.0.0.1 to the unix socket.
  const relay = createTcp((c) => {
    const u = connect(sock);
    c.pipe(u).pipe(c);
    c.on("error", () => u.destroy());
    u.on("error", () => c.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
  const relayPort = (relay.address() as { port: number }).port;
  const http = createHttp((req, res) => res.end(`plain ${req.method} ${req.url} host=${req.headers.host} proxy-auth=${req.headers["proxy-authorization"] ?? "none"}\n`));
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const httpPort = (http.address() as { port: number }).port;
  t.teardown(async () => {
    await proxy.closeAll();
    await new Promise((r) => relay.close(r));
    await new Promise((r) => http.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, p, proxy, refusals, sock, relayPort, httpPort };
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: "utf8", timeout: 15_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

/** Send raw bytes to the proxy socket and collect the whole answer. */
function raw(sock: string, bytes: Buffer | string, waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s: Socket = connect(sock);
    let out = "";
    const done = () => resolve(out);
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", done);
    s.on("error", done);
    s.setTimeout(waitMs, () => s.destroy());
    s.write(bytes);
  });
}

t.test("plain HTTP through the proxy, decided per connection against the live policy", { skip }, async (t) => {
  const s = await setup(t, "127.0.0.1");
  const url = `http://127.0.0.1:${s.httpPort}/x?y=1`;
  const ok = await run(curl, ["-sS", "-x", `http://127.0.0.1:${s.relayPort}`, "-U", "u:p", url]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, new RegExp(`^plain GET /x\\?y=1 host=127\\.0\\.0\\.1:${s.httpPort} proxy-auth=none`), "origin-form request line, Proxy-* headers dropped");
  s.p.text = "example.com";
  const refused = await run(curl, ["-sS", "-i", "-x", `http://127.0.0.1:${s.relayPort}`, url]);
  t.match(refused.stdout, /^HTTP\/1\.1 403 Forbidden/);
  t.match(refused.stdout, new RegExp(`X-Agentsys-Refused: 127\\.0\\.0\\.1:${s.httpPort} is not in net=example\\.com`));
  t.match(refused.stdout, /\r\n\r\nagentsys: 127\.0\.0\.1:\d+ is not in net=example\.com\n$/, "a one-line body says why");
  t.match(s.refusals, [{ host: "127.0.0.1", port: s.httpPort, method: "GET", reason: /not in net=example\.com/ }]);
  s.p.text = null;
  const noCap = await run(curl, ["-sS", "-i", "-x", `http://127.0.0.1:${s.relayPort}`, url]);
  t.match(noCap.stdout, /X-Agentsys-Refused: NetClient not granted/);
  t.match(s.refusals[1], { capability: "NetClient" });
  t.match(s.proxy.stats(7), { connections: 3, refused: 2 });
  t.ok(s.proxy.stats(7)!.bytesDown > 0);
});

t.test("CONNECT tunnels TLS untouched; SOCKS5 works too", { skip }, async (t) => {
  const s = await setup(t, "127.0.0.1,localhost");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1", "-keyout", join(s.dir, "key.pem"), "-out", join(s.dir, "cert.pem")], { stdio: "ignore" });
  const https = createHttps({ key: readFileSync(join(s.dir, "key.pem")), cert: readFileSync(join(s.dir, "cert.pem")) }, (_req, res) => res.end("secret over tls\n"));
  await new Promise<void>((r) => https.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise((r) => https.close(r)));
  const port = (https.address() as { port: number }).port;
  const tls = await run(curl, ["-sS", "--cacert", join(s.dir, "cert.pem"), "-x", `http://127.0.0.1:${s.relayPort}`, `https://127.0.0.1:${port}/`]);
  t.equal(tls.code, 0, tls.stderr);
  t.equal(tls.stdout, "secret over tls\n", "the server's own certificate verified end to end: nothing in between");
  const socks = await run(curl, ["-sS", "--socks5-hostname", `127.0.0.1:${s.relayPort}`, `http://localhost:${s.httpPort}/s`]);
  t.equal(socks.code, 0, socks.stderr);
  t.match(socks.stdout, /^plain GET \/s/);
  s.p.text = "example.com";
  const socksRefused = await run(curl, ["-sS", "--socks5-hostname", `127.0.0.1:${s.relayPort}`, `http://localhost:${s.httpPort}/s`]);
  t.not(socksRefused.code, 0);
  t.match(socksRefused.stderr, /SOCKS5 connection to localhost\. \(2\)/, "reply 2: not allowed by ruleset");
  t.match(s.refusals, [{ method: "SOCKS5", host: "localhost" }]);
  const connectRefused = await run(curl, ["-sS", "-x", `http://127.0.0.1:${s.relayPort}`, `https://127.0.0.1:${port}/`]);
  t.not(connectRefused.code, 0);
  t.match(connectRefused.stderr, /403/);
});

t.test("private addresses need a rule that names them", { skip }, async (t) => {
  const s = await setup(t, "*");
  const out = await raw(s.sock, `GET http://127.0.0.1:${s.httpPort}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
  t.match(out, /403 Forbidden[\s\S]*X-Agentsys-Refused: 127\.0\.0\.1 is a private address: name it in scope net= to allow it/);
  const byName = await raw(s.sock, `CONNECT localhost:${s.httpPort} HTTP/1.1\r\n\r\n`);
  t.match(byName, /403[\s\S]*localhost \((127\.0\.0\.1|::1)\) is a private address/, "a name that resolves to loopback too");
  s.p.text = `127.0.0.1:${s.httpPort}`;
  t.match(await raw(s.sock, `GET http://127.0.0.1:${s.httpPort}/ok HTTP/1.1\r\nHost: x\r\n\r\n`), /200 OK[\s\S]*plain GET \/ok/);
});

t.test("bad requests get a clear answer, and the proxy survives garbage", { skip }, async (t) => {
  const s = await setup(t, "127.0.0.1");
  t.match(await raw(s.sock, "hello\r\n\r\n"), /^HTTP\/1\.1 400 Bad Request[\s\S]*X-Agentsys-Error: not an HTTP\/1\.x proxy request/);
  t.match(await raw(s.sock, "GET /relative HTTP/1.1\r\n\r\n"), /400[\s\S]*absolute http:\/\/ URI/);
  t.match(await raw(s.sock, "GET https://127.0.0.1/ HTTP/1.1\r\n\r\n"), /400[\s\S]*use CONNECT/);
  t.match(await raw(s.sock, "CONNECT nohost HTTP/1.1\r\n\r\n"), /400[\s\S]*expected host:port/);
  t.match(await raw(s.sock, "GET http://127.0.0.1:1/ HTTP/1.1\r\n\r\n"), /502 Bad Gateway[\s\S]*X-Agentsys-Error: ECONNREFUSED connecting to 127\.0\.0\.1:1/);
  t.match(await raw(s.sock, `GET http://a/ HTTP/1.1\r\nX: ${"a".repeat(70_000)}`), /431/);
  t.match(await raw(s.sock, "GET http://a/ HTTP/1.1\r\n"), /408 Request Timeout/, "a head that never ends times out");
  t.match(await raw(s.sock, Buffer.from([5, 1, 2])), /^\x05\xff/, "SOCKS5 without no-auth: no acceptable method");
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
      await raw(s.sock, Buffer.from(bytes), 300);
      return true;
    }),
    { numRuns: 60 },
  );
  t.match(await raw(s.sock, `GET http://127.0.0.1:${s.httpPort}/after HTTP/1.1\r\nHost: x\r\n\r\n`), /200 OK[\s\S]*plain GET \/after/, "still serving after garbage");
});

t.test("the socket is the agent's alone, and long paths are refused", { skip: process.getuid?.() !== 0 ? "needs root (chown)" : false }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "agentsys-proxy-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const proxy = new NetProxy({ decide: () => ({ ok: false, reason: "no" }) });
  t.teardown(() => proxy.closeAll());
  await proxy.listen(3, join(dir, "p.sock"), 12345, 12346);
  const st = await stat(join(dir, "p.sock"));
  t.equal(st.mode & 0o777, 0o600);
  t.equal(st.uid, 12345);
  t.equal(st.gid, 12346);
  await t.rejects(proxy.listen(4, join(dir, "x".repeat(120))), /longer than 107 bytes/);
  await proxy.close(3);
  await t.rejects(stat(join(dir, "p.sock")), "closing removes the socket");
});
