/**
 * Test helper: an HTTPS file server on 127.0.0.1 with a self-signed certificate generated at
 * test time by `openssl` (SAN IP:127.0.0.1 and DNS:localhost), for the `audio` response's
 * https-only fetch. Routes: registered files; `/redirect/<file>` answers 302 to the file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface HttpsFileServer {
  /** https://127.0.0.1:<port> */
  baseUrl: string;
  port: number;
  /** PEM file of the self-signed certificate (trust it as the CA). */
  caFile: string;
  ca: Buffer;
  /** Serves `body` at `${baseUrl}/${file}`; returns that URL. */
  file(file: string, body: Buffer): string;
  /** Requests received, paths in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Generates a key and certificate and starts the server. @throws when openssl is missing. */
export async function startHttpsFileServer(): Promise<HttpsFileServer> {
  const dir = mkdtempSync(join(tmpdir(), 'https-files-'));
  const keyFile = join(dir, 'key.pem');
  const caFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', caFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const ca = readFileSync(caFile);
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  const server: Server = createServer({ key: readFileSync(keyFile), cert: ca }, (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').slice(1));
    requests.push(path);
    if (path.startsWith('redirect/')) return void res.writeHead(302, { location: `/${path.slice('redirect/'.length)}` }).end();
    const body = files.get(path);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `https://127.0.0.1:${port}`;
  return {
    baseUrl,
    port,
    caFile,
    ca,
    requests,
    file(file, body) {
      files.set(file, body);
      return `${baseUrl}/${encodeURIComponent(file)}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
