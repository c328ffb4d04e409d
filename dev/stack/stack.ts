/**
 * Starts the whole local stack on 127.0.0.1 (the engine behind `npm start`, also used by the
 * end-to-end tests with free ports):
 *
 *   dynalite (in process)  ->  contact-center sandboxes + serverless-offline (children, in
 *   parallel)  ->  media core (child, SIP on UDP and TCP)
 *
 * Each component's environment comes from computeStackEnv (stack-env.ts). stop() drains the
 * media core first (SIGTERM, wait), then stops the others in reverse order.
 */
import { MEDIA_CORE_NODE_FLAGS } from '../../media-core/node-flags.ts';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureStateTable } from '../../lib/store/table.ts';
import { MissingPrerequisitesError, missingPrerequisites, STACK_PREREQUISITES } from './prerequisites.ts';
import { busyPorts, formatBusy } from './port-check.ts';
import { computeStackEnv, generateSecrets, resolvePorts, STATE_TABLE, type Ports, type StackEnv } from './stack-env.ts';
import { warmFunctions } from './warm-functions.ts';
import { httpAnswers, spawnSupervised, StartupError, tcpAccepts, waitUntilReady, type Supervised } from './supervise.ts';

const require = createRequire(import.meta.url);

import { REPO_ROOT } from '../repo-root.ts';

export { REPO_ROOT };

/** How long each component may take to become ready, ms (serverless-offline bundles with esbuild first). */
export const STARTUP_TIMEOUT_MS = { sandboxes: 30_000, offline: 120_000, mediaCore: 60_000 };
/**
 * How long the media core may take to drain its calls after SIGTERM, ms: its
 * STOP_GRACE_PERIOD_MS default (media-core/config/env.ts), within which it ends every call
 * with the drain action and exits.
 */
export const MEDIA_CORE_DRAIN_MS = 30_000;

export interface StartStackOptions {
  /** Port overrides (win over the environment variables, which win over the defaults). */
  ports?: Partial<Ports>;
  /** No status lines and no child output (errors still carry the last output lines). */
  quiet?: boolean;
  /** Media core config file (default media-core/config/demo.json, or CONFIG_FILE). */
  configFile?: string;
  /** Start the media core (default true); false for tests of the HTTP side only. */
  mediaCore?: boolean;
  /** Invoke the functions calls use once before the media core starts (default true; warm-functions.ts). */
  warmFunctions?: boolean;
  /** LOG_LEVEL for the children (default LOG_LEVEL or info). */
  logLevel?: string;
  /** Speech path: embedded or sandbox-watson (default SPEECH or embedded; stack-env.ts). */
  speech?: string;
  /** The media core's MAX_CALLS (default MAX_CALLS, or 'headroom': stack-env.ts LOCAL_MAX_CALLS). */
  maxCalls?: string;
  /** Where status lines go (default stdout). */
  print?: (line: string) => void;
  /** Receives every output line of every child with its name ("media-core", "offline", "sandboxes"). */
  onOutput?: (component: string, line: string) => void;
}

export interface RunningStack {
  ports: Ports;
  env: StackEnv;
  /** Settles with the component's name if one exits on its own while the stack runs. */
  unexpectedExit: Promise<string>;
  /** Stops everything this call started (media core drained first). Idempotent. */
  stop(): Promise<void>;
  /**
   * The last output lines (at most 60) of a component: "media-core", "offline", "sandboxes".
   * Kept also when quiet, so that tests can read a component's log.
   */
  output(component: string): string[];
  /** Process ids of the children (each leads its own process group). */
  pids(): Record<string, number>;
}

/** Thrown when ports are taken; the message names each variable to change. */
export class PortsBusyError extends Error {
  override name = 'PortsBusyError';
}

function tsxArgs(file: string, nodeFlags: readonly string[] = []): string[] {
  // One process (no tsx CLI wrapper), so SIGTERM reaches the program itself.
  return [...nodeFlags, '--import', 'tsx', join(REPO_ROOT, file)];
}

async function startDynalite(port: number, host: string): Promise<Server> {
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  return server;
}

/**
 * Starts the stack and resolves once every component is ready.
 * @throws MissingPrerequisitesError (espeak-ng, pocketsphinx missing), PortsBusyError, StartupError (a component failed; its last output is in the message).
 */
export async function startStack(opts: StartStackOptions = {}): Promise<RunningStack> {
  const host = '127.0.0.1';
  const print = opts.quiet ? () => {} : (opts.print ?? ((l: string) => void process.stdout.write(`${l}\n`)));
  const withMediaCore = opts.mediaCore ?? true;
  const ports = resolvePorts(process.env, opts.ports);
  if (withMediaCore) {
    const missing = missingPrerequisites(STACK_PREREQUISITES);
    if (missing.length) throw new MissingPrerequisitesError(missing);
  }
  const busy = await busyPorts(ports, host, withMediaCore ? ['dynamodb', 'http', 'lambda', 'sandbox', 'sip'] : ['dynamodb', 'http', 'lambda', 'sandbox']);
  if (busy.length) throw new PortsBusyError(formatBusy(busy));

  const env = computeStackEnv(ports, generateSecrets(), {
    host,
    configFile: opts.configFile ?? process.env.CONFIG_FILE,
    logLevel: opts.logLevel ?? process.env.LOG_LEVEL ?? 'info',
    speech: opts.speech ?? process.env.SPEECH,
    maxCalls: opts.maxCalls ?? (process.env.MAX_CALLS || undefined),
  });
  const children: Supervised[] = [];
  let dynamo: Server | undefined;
  let stopping = false;
  let stopped: Promise<void> | undefined;

  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      const media = children.find((c) => c.name === 'media-core');
      for (const c of children) if (c !== media) c.mute();
      if (media) {
        print(`[stack] draining media core (up to ${MEDIA_CORE_DRAIN_MS / 1000} s)…`);
        await media.stop(MEDIA_CORE_DRAIN_MS);
      }
      for (const c of children.filter((c) => c !== media).reverse()) await c.stop(5000);
      if (dynamo) await new Promise<void>((r) => dynamo!.close(() => r()));
      print('[stack] stopped');
    })());

  const launch = (name: string, args: string[], childEnv: Record<string, string>) => {
    const onOutput = opts.onOutput;
    const child = spawnSupervised({ name, command: process.execPath, args, env: { ...process.env, ...childEnv }, cwd: REPO_ROOT, echo: !opts.quiet, onLine: onOutput && ((line) => onOutput(name, line)) });
    children.push(child);
    return child;
  };
  const timed = async (label: string, detail: string, work: () => Promise<void>) => {
    const t0 = Date.now();
    await work();
    print(`[stack] ✓ ${label.padEnd(20)} ${detail}  (${Date.now() - t0} ms)`);
  };

  try {
    print(`[stack] starting on ${host}…`);
    await timed('dynalite', `${env.urls.dynamodb}  table ${STATE_TABLE}`, async () => {
      dynamo = await startDynalite(ports.dynamodb, host);
      const client = new DynamoDBClient({ region: env.offline.AWS_REGION, endpoint: env.urls.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      try {
        await ensureStateTable(client, STATE_TABLE);
      } finally {
        client.destroy();
      }
    });

    const sandboxes = launch('sandboxes', tsxArgs('dev/sandboxes/main.ts'), env.sandboxes);
    const offline = launch(
      'offline',
      [require.resolve('osls/bin/serverless.js'), 'offline', 'start', '--localEnvironment', '--host', host, '--httpPort', String(ports.http), '--lambdaPort', String(ports.lambda)],
      env.offline,
    );
    await Promise.all([
      timed('sandboxes', `${env.urls.sandbox}  (events: ${env.urls.sandboxEvents})`, () =>
        waitUntilReady(sandboxes, () => httpAnswers(env.urls.sandboxEvents), STARTUP_TIMEOUT_MS.sandboxes, 'GET /_sandbox/events answering'),
      ),
      timed('serverless-offline', `HTTP ${env.urls.http}  Lambda ${env.urls.lambda}  screen pop ${env.urls.agentScreenPop}`, () =>
        waitUntilReady(
          offline,
          async () => (await httpAnswers(env.urls.agentScreenPop)) && (await tcpAccepts(host, ports.lambda)),
          STARTUP_TIMEOUT_MS.offline,
          'HTTP and Lambda ports answering',
        ),
      ),
    ]);

    if (opts.warmFunctions ?? true) {
      let cold: string[] = [];
      await timed('functions warm', 'outcome functions and Twilio webhooks loaded once', async () => {
        cold = await warmFunctions(env);
      });
      if (cold.length) print(`[stack] note: no answer while warming ${cold.join(', ')}; the first calls may be slow`);
    }

    if (withMediaCore) {
      const media = launch('media-core', tsxArgs('media-core/main.ts', MEDIA_CORE_NODE_FLAGS), env.mediaCore);
      // media-core/main.ts prints one ready line once SIP listens on UDP and TCP. Probing its
      // TCP port instead would open a SIP connection for nothing.
      await timed('media core', `SIP udp+tcp ${env.urls.sip}  RTP ${ports.rtpMin}-${ports.rtpMax}  config ${env.mediaCore.CONFIG_FILE}`, () =>
        waitUntilReady(media, async () => media.printed(/\bready\b/i), STARTUP_TIMEOUT_MS.mediaCore, 'its ready line'),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const unexpectedExit = new Promise<string>((resolveExit) => {
    for (const c of children) void c.exited.then(() => !stopping && resolveExit(c.name));
  });
  return {
    ports,
    env,
    unexpectedExit,
    stop,
    output: (component) => children.find((c) => c.name === component)?.recentOutput() ?? [],
    pids: () => Object.fromEntries(children.map((c) => [c.name, c.pid])),
  };
}

export { StartupError, MissingPrerequisitesError };
