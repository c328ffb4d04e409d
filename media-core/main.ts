/**
 * The media core process: loads the configuration (CONFIG_FILE, default
 * media-core/config/demo.json), checks the embedded speech programs, starts the SIP/RTP
 * engine with the conversation runtime as its onCall, prints a ready line, and on SIGTERM /
 * SIGINT drains (new calls 503, running calls get DRAIN_DEADLINE_MS to end) and exits 0.
 *
 * Environment: SIP_HOST (127.0.0.1), SIP_PORT (5060, UDP and TCP), SIP_TLS_PORT with
 * SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE, SIP_PUBLIC_HOST, RTP_PORT_MIN/RTP_PORT_MAX
 * (10000-10999), MAX_CALLS (a number, trial|plus|enterprise, or headroom; default trial), RTP_WORKERS
 * (0), RTP_IO (auto|native|dgram: the native pacer thread where built), RTP_PACER_LEAD_MS (100),
 * RTP_PACER_REALTIME (1: ask for SCHED_FIFO; 0: normal priority),
 * LAMBDA_ENDPOINT (overrides lambda.endpoint), STATE_TABLE / DYNAMODB_ENDPOINT (session
 * history and MAU; without either, nothing is stored), TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN
 * (or _PARAM) + TWILIO_API_BASE_URL for vgwActSendSMS, FLEET_LIMIT (a number or a plan: the
 * concurrent-call limit across the fleet, counted in the state table) with FLEET_SCOPE (default).
 */
import { createLogger } from '../lib/log.ts';
import { ConfigError } from '../lib/env.ts';
import { getStore, storeConfigFromEnv } from '../lib/store/client.ts';
import { loadConfigFile } from './config/load.ts';
import { createConversationRuntime, type RuntimeDeps } from './conversation/runtime.ts';
import { createLambdaInvoker } from './conversation/lambda-invoke.ts';
import { missingSpeechPrerequisites } from './conversation/prerequisites.ts';
import { startEngine } from './engine/engine.ts';
import { callLimit, type Plan } from './engine/admission.ts';
import { FleetLimit } from './engine/fleet-limit.ts';

const log = createLogger('media-core');
const env = process.env;

function port(name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError([name], `${name}: must be a port number 0-65535`);
  return n;
}

async function smsSender(): Promise<RuntimeDeps['sendSms']> {
  if (!env.TWILIO_ACCOUNT_SID) return undefined;
  const { loadTwilioRestConfig, resolveAuthToken } = await import('../adapters/twilio/index.ts');
  const { createTwilioClient } = await import('../adapters/twilio/client.ts');
  const { sendSms } = await import('../adapters/twilio/sms.ts');
  const c = loadTwilioRestConfig(env);
  const client = createTwilioClient({ accountSid: c.accountSid, authToken: await resolveAuthToken(c.authToken), baseUrl: c.apiBaseUrl });
  return (req) => sendSms(client, req);
}

async function main(): Promise<void> {
  const file = env.CONFIG_FILE || 'media-core/config/demo.json';
  const loaded = loadConfigFile(file);
  const missing = missingSpeechPrerequisites(loaded.config);
  if (missing.length) {
    process.stderr.write(`media core cannot start:\n${missing.map((m) => `  - ${m}`).join('\n')}\n`);
    process.exit(1);
  }
  const lambda = loaded.config.lambda;
  const useStore = Boolean(env.STATE_TABLE || env.DYNAMODB_ENDPOINT);
  if (!useStore) log.warn('STATE_TABLE and DYNAMODB_ENDPOINT unset: session history and MAU are not stored');
  const runtime = createConversationRuntime(loaded, {
    log,
    store: useStore ? getStore(storeConfigFromEnv(env)) : undefined,
    invoke: createLambdaInvoker({ endpoint: env.LAMBDA_ENDPOINT || lambda.endpoint, region: env.AWS_REGION || lambda.region, timeoutMs: lambda.timeoutMs }),
    sendSms: await smsSender(),
  });
  const host = env.SIP_HOST || '127.0.0.1';
  const sipPort = port('SIP_PORT', 5060);
  const tlsPort = env.SIP_TLS_PORT ? port('SIP_TLS_PORT', 5061) : undefined;
  if (tlsPort !== undefined && (!env.SIP_TLS_CERT_FILE || !env.SIP_TLS_KEY_FILE)) throw new ConfigError(['SIP_TLS_CERT_FILE', 'SIP_TLS_KEY_FILE'], 'SIP_TLS_PORT needs SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE');
  const maxCallsRaw = env.MAX_CALLS || 'trial';
  if (!/^\d+$/.test(maxCallsRaw) && !['trial', 'plus', 'enterprise', 'headroom'].includes(maxCallsRaw)) {
    throw new ConfigError(['MAX_CALLS'], 'MAX_CALLS: a number of calls, a plan: trial (5), plus (100), enterprise (1000), or headroom (what the machine carries)');
  }
  // headroom: no plan count; the machine's capacity bounds admission (one even RTP port per
  // call, so the RTP range is the upper bound, and an exhausted range answers 503).
  const rtpRangeCalls = Math.floor((port('RTP_PORT_MAX', 10999) - port('RTP_PORT_MIN', 10000)) / 2) + 1;
  const maxCalls: number | Plan = /^\d+$/.test(maxCallsRaw) ? Number(maxCallsRaw) : maxCallsRaw === 'headroom' ? rtpRangeCalls : (maxCallsRaw as Plan);
  // RTP in worker threads spreads media over cores (bench/sip-load.bench.ts); 0 keeps it on the main thread.
  const rtpWorkers = env.RTP_WORKERS ? Number(env.RTP_WORKERS) : 0;
  if (!Number.isInteger(rtpWorkers) || rtpWorkers < 0 || rtpWorkers > 64) throw new ConfigError(['RTP_WORKERS'], 'RTP_WORKERS: a whole number of worker threads, 0-64');
  // The native pacer thread where built (media-core/native/); dgram forces the event loop.
  const rtpIo = env.RTP_IO || 'auto';
  if (rtpIo !== 'auto' && rtpIo !== 'native' && rtpIo !== 'dgram') throw new ConfigError(['RTP_IO'], 'RTP_IO: auto, native or dgram');
  const leadMs = env.RTP_PACER_LEAD_MS ? Number(env.RTP_PACER_LEAD_MS) : undefined;
  if (leadMs !== undefined && !(Number.isInteger(leadMs) && leadMs >= 0 && leadMs <= 300)) throw new ConfigError(['RTP_PACER_LEAD_MS'], 'RTP_PACER_LEAD_MS: whole ms, 0-300');
  // The plan's limit across every media core of the service instance (engine/fleet-limit.ts).
  let fleetLimit: FleetLimit | undefined;
  if (env.FLEET_LIMIT) {
    const raw = env.FLEET_LIMIT;
    if (!useStore) throw new ConfigError(['FLEET_LIMIT'], 'FLEET_LIMIT needs STATE_TABLE: the fleet counter lives in the state table');
    if (!/^\d+$/.test(raw) && !['trial', 'plus', 'enterprise'].includes(raw)) throw new ConfigError(['FLEET_LIMIT'], 'FLEET_LIMIT: a number of calls or a plan: trial, plus, enterprise');
    fleetLimit = new FleetLimit({ store: getStore(storeConfigFromEnv(env)), limit: callLimit(/^\d+$/.test(raw) ? Number(raw) : (raw as Plan)), scope: env.FLEET_SCOPE || 'default', logger: log });
    await fleetLimit.start();
  }
  const engine = await startEngine(
    {
      sip: {
        address: host,
        udpPort: sipPort,
        tcpPort: sipPort,
        publicHost: env.SIP_PUBLIC_HOST || undefined,
        ...(tlsPort !== undefined ? { tls: { port: tlsPort, certFile: env.SIP_TLS_CERT_FILE!, keyFile: env.SIP_TLS_KEY_FILE! } } : {}),
      },
      rtp: { address: host, portMin: port('RTP_PORT_MIN', 10000), portMax: port('RTP_PORT_MAX', 10999) },
      maxCalls,
      rtpWorkers,
      rtpIo,
      rtpPacer: { leadMs, realtime: env.RTP_PACER_REALTIME !== '0' },
      fleetLimit,
      logger: log,
    },
    (call) => runtime.onCall(call),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    const deadline = Number(env.DRAIN_DEADLINE_MS || 30000);
    try {
      await engine.drain(deadline);
      await Promise.race([runtime.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
      await engine.close();
      await fleetLimit?.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const p = engine.ports;
  process.stdout.write(
    `media core ready: SIP ${host} udp ${p.udp ?? '-'} tcp ${p.tcp ?? '-'}${p.tls ? ` tls ${p.tls}` : ''}; numbers ${loaded.config.integrations.map((i) => i.number).join(' ')}\n`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`media core cannot start: ${err.message}\n`);
  else process.stderr.write(`media core cannot start: ${(err as Error).message}\n`);
  process.exit(1);
});
