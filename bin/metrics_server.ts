import { createServer, type Server } from "node:http";

/**
 * `--metrics-port`: the `metrics` file's content over HTTP at `/metrics` for Prometheus
 * scrapers that cannot read files. Rendered in-process (never through the mount: the daemon
 * must not read its own tree). Only GET and HEAD; bound to 127.0.0.1 unless told otherwise.
 */
export function startMetricsServer(render: () => string, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: agentsys serves /metrics\n");
      return;
    }
    let body: string;
    try {
      body = render();
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`render failed: ${(e as Error).message}\n`);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
