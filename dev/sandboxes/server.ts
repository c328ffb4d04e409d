/**
 * One HTTP server on 127.0.0.1 (default port 4010) mounting every contact-center sandbox
 * (dev/sandboxes/types.ts): Amazon Connect, NICE CXone and Twilio. Adapters reach it only through
 * their endpoint settings (AMAZON_CONNECT_ENDPOINT, CXONE_ISSUER_URL, ...).
 *
 * - GET  /_sandbox/events   every vendor request in order (SandboxEvent[])
 * - POST /_sandbox/faults   queue a FaultRule (or an array of them); answers the queue length
 * - POST /_sandbox/reset    clears events, faults and vendor state
 * - GET  /_sandbox/health   {ok:true}
 *
 * It also emulates IBM Watson Speech to Text (WebSocket recognize), Text to Speech and the
 * IAM token endpoint (dev/sandboxes/watson.ts), for `SPEECH=sandbox-watson`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultRule, SandboxContext, SandboxEvent, SandboxVendor, VendorSandbox } from './types.ts';
import { sandboxCredentialsFromEnv, type SandboxCredentials } from './config.ts';
import { createAmazonConnectSandbox } from './amazon-connect.ts';
import { createNiceCxoneSandbox } from './nice-cxone.ts';
import { parseJson, sendJson } from './http.ts';
import { createTwilioSandbox } from './twilio.ts';
import { createWatsonEmulator, watsonOptionsFromEnv, type WatsonEmulator, type WatsonEmulatorOptions } from './watson.ts';

export interface SandboxOptions {
  /** TCP port (default 4010; 0 = any free port). */
  port?: number;
  /** Bind address; only 127.0.0.1 is used by this project. */
  host?: string;
  /** Fake credentials; default {@link sandboxCredentialsFromEnv}. */
  credentials?: SandboxCredentials;
  /** Extra vendor sandboxes to mount (tests). */
  extra?: VendorSandbox[];
  /** Watson speech emulation settings; default {@link watsonOptionsFromEnv}. */
  watson?: WatsonEmulatorOptions;
}

export interface RunningSandboxes {
  url: string;
  port: number;
  credentials: SandboxCredentials;
  /** Recorded vendor requests, in order (a copy). */
  events(): SandboxEvent[];
  /** Queues a fault directly (same as POST /_sandbox/faults). */
  addFault(rule: FaultRule): void;
  reset(): void;
  stop(): Promise<void>;
  /** The Watson speech emulation (its fake API key is in its options). */
  watson: WatsonEmulator;
  watsonApiKey: string;
}

const VENDORS: SandboxVendor[] = ['amazon_connect', 'nice_cxone', 'twilio'];
const MAX_BODY = 1024 * 1024;
const MAX_EVENTS = 10_000;

function validFault(v: unknown): v is FaultRule {
  const f = v as FaultRule;
  return !!f && VENDORS.includes(f.vendor) && Number.isInteger(f.status) && (f.status === 0 || (f.status >= 400 && f.status <= 599));
}

/** Starts the server; resolves when it listens. */
export async function startSandboxes(opts: SandboxOptions = {}): Promise<RunningSandboxes> {
  const host = opts.host ?? '127.0.0.1';
  const credentials = opts.credentials ?? sandboxCredentialsFromEnv();
  const vendors: VendorSandbox[] = [
    createAmazonConnectSandbox(credentials.connect),
    createNiceCxoneSandbox(credentials.cxone),
    createTwilioSandbox(credentials.twilio),
    ...(opts.extra ?? []),
  ];
  const watsonOptions = opts.watson ?? watsonOptionsFromEnv();
  const watson = createWatsonEmulator(watsonOptions);
  let events: SandboxEvent[] = [];
  let faults: (FaultRule & { left: number })[] = [];
  let seq = 0;
  let baseUrl = '';

  const ctx: SandboxContext = {
    record(e) {
      if (events.length < MAX_EVENTS) events.push({ seq: ++seq, at: new Date().toISOString(), ...e });
    },
    takeFault(vendor, operation) {
      const i = faults.findIndex((f) => f.vendor === vendor && (!f.operation || f.operation === operation));
      if (i < 0) return undefined;
      const f = faults[i]!;
      if (--f.left <= 0) faults.splice(i, 1);
      return f;
    },
    get baseUrl() {
      return baseUrl;
    },
  };

  const addFault = (rule: FaultRule) => faults.push({ ...rule, left: Math.max(1, rule.count ?? 1) });
  const reset = () => {
    events = [];
    faults = [];
    for (const v of vendors) v.reset();
    watson.reset();
  };

  async function route(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    if (req.method === 'GET' && path === '/_sandbox/events') return sendJson(res, 200, events);
    if (req.method === 'GET' && path === '/_sandbox/health') return sendJson(res, 200, { ok: true });
    if (req.method === 'POST' && path === '/_sandbox/reset') {
      reset();
      return sendJson(res, 200, { ok: true });
    }
    if (req.method === 'POST' && path === '/_sandbox/faults') {
      const json = parseJson(body);
      const rules = Array.isArray(json) ? json : [json];
      if (!rules.every(validFault)) return sendJson(res, 400, { error: 'expected FaultRule {vendor, status (0 or 4xx/5xx), operation?, count?, delayMs?, retryAfterSeconds?}' });
      rules.forEach(addFault);
      return sendJson(res, 200, { queued: faults.length });
    }
    for (const v of vendors) if (await v.handle(req, res, body, ctx)) return;
    if (await watson.handle(req, res, body)) return;
    sendJson(res, 404, { error: `no sandbox route for ${req.method} ${path}` });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        sendJson(res, 413, { error: 'body too large' });
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      route(req, res, Buffer.concat(chunks)).catch((err) => {
        if (!res.headersSent) sendJson(res, 500, { error: 'sandbox error', detail: String((err as Error)?.message ?? err) });
        else res.end();
      });
    });
  });
  server.on('upgrade', (req, socket, head) => {
    if (!watson.upgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 4010, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host}:${port}`;
  return {
    url: baseUrl,
    port,
    credentials,
    events: () => events.map((e) => ({ ...e })),
    addFault,
    reset,
    watson,
    watsonApiKey: watsonOptions.apiKey,
    stop: () =>
      new Promise<void>((resolve) => {
        watson.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
