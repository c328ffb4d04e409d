/**
 * Starts `serverless offline` (osls + serverless-esbuild + serverless-offline 13) as a child
 * process on 127.0.0.1 with free HTTP and Lambda ports, waits until the HTTP port answers,
 * and stops the whole process group. For e2e tests of the deployed handlers' real bundles.
 *
 *   const off = await startOffline({ env: { PUBLIC_BASE_URL: ..., TWILIO_AUTH_TOKEN: ... } });
 *   await fetch(`${off.httpUrl}/twilio/receive-call`, ...);
 *   await off.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort } from '../../dev/free-ports.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface OfflineOptions {
  /** Extra environment for the offline process (and so for the handlers). */
  env?: Record<string, string>;
  /** How long to wait for the HTTP port, ms (default 45000; esbuild builds every function first). */
  startTimeoutMs?: number;
  /** HTTP port; default a free one. The URL is known before start so PUBLIC_BASE_URL can use it. */
  httpPort?: number;
  lambdaPort?: number;
}

export interface Offline {
  /** http://127.0.0.1:<httpPort> */
  httpUrl: string;
  /** http://127.0.0.1:<lambdaPort>, for @aws-sdk/client-lambda `endpoint`. */
  lambdaEndpoint: string;
  /** Output so far (stdout+stderr), for diagnostics. */
  output(): string;
  /** Kills the process group (SIGTERM, then SIGKILL after 3 s); resolves when it has exited. */
  stop(): Promise<void>;
}

/** Ports chosen before start, so tests can put the URL into env (PUBLIC_BASE_URL). */
export async function offlinePorts(): Promise<{ httpPort: number; lambdaPort: number; httpUrl: string }> {
  const httpPort = await freeTcpPort();
  let lambdaPort = await freeTcpPort();
  for (let i = 0; i < 5 && lambdaPort === httpPort; i++) lambdaPort = await freeTcpPort();
  return { httpPort, lambdaPort, httpUrl: `http://127.0.0.1:${httpPort}` };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** @throws Error with the process output when it exits or does not listen in time. */
export async function startOffline(opts: OfflineOptions = {}): Promise<Offline> {
  const ports = opts.httpPort && opts.lambdaPort ? { httpPort: opts.httpPort, lambdaPort: opts.lambdaPort } : await offlinePorts();
  const { httpPort, lambdaPort } = ports;
  let out = '';
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'serverless'), ['offline', 'start', '--localEnvironment', '--host', '127.0.0.1', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)], {
    cwd: ROOT,
    detached: true, // own process group, so stop() reaches esbuild and workers too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HTTP_PORT: String(httpPort),
      LAMBDA_PORT: String(lambdaPort),
      // osls wants credentials for nothing offline does; obviously fake ones.
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'AKIAOFFLINEFAKE',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'offline-fake-secret',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      ...opts.env,
    },
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let dead = false;
  void exited.then(() => (dead = true));

  const stop = async () => {
    if (dead) return;
    killGroup(child, 'SIGTERM');
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 45000);
  while (Date.now() < deadline) {
    if (dead) throw new Error(`serverless offline exited before listening:\n${out.slice(-3000)}`);
    // Listening on the HTTP port is printed after the Lambda port is up too.
    if ((await portOpen(httpPort)) && (await portOpen(lambdaPort))) {
      return { httpUrl: `http://127.0.0.1:${httpPort}`, lambdaEndpoint: `http://127.0.0.1:${lambdaPort}`, output: () => out, stop };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`serverless offline did not listen on 127.0.0.1:${httpPort} within the timeout:\n${out.slice(-3000)}`);
}
