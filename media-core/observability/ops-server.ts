/**
 * The media core's operations endpoint (HTTP, node:http), bound to a configured address
 * (127.0.0.1 locally; the container's private address behind a scraper in production):
 *
 * | path       | answer |
 * |------------|--------|
 * | `/metrics` | every metric of ./metrics.ts's registry, Prometheus text format |
 * | `/healthz` | 200 while the process runs (liveness) |
 * | `/readyz`  | 200 when new calls are taken, 503 while draining (readiness) |
 *
 * GET and HEAD only (405 otherwise), 404 for other paths; connections and request times are
 * bounded, since anything that reaches the port may be hostile.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../lib/log.ts';
import { metricsRegistry } from './metrics.ts';

/** Options of {@link startOpsServer}. */
export interface OpsServerOptions {
  /** Address to bind, e.g. 127.0.0.1. */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** true when new calls are taken (not draining). */
  ready: () => boolean;
  log?: Logger;
}

/** A running operations server. */
export interface OpsServer {
  /** The bound port. */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the server.
 * @throws the listen error (EADDRINUSE, EACCES).
 */
export async function startOpsServer(o: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const text = (status: number, body: string) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    if (path === '/healthz') return void text(200, 'ok\n');
    if (path === '/readyz') return void (o.ready() ? text(200, 'ready\n') : text(503, 'draining\n'));
    if (path === '/metrics') {
      metricsRegistry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': metricsRegistry.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
        (err: Error) => {
          o.log?.error({ err: err.message }, 'metrics collection failed');
          text(500, 'metrics collection failed\n');
        },
      );
      return;
    }
    text(404, 'not found\n');
  });
  server.maxConnections = 64;
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
