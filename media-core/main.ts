/**
 * The media core process: loads the configuration (CONFIG_FILE, default
 * media-core/config/demo.json), checks the embedded speech programs, starts the SIP/RTP
 * engine with the conversation runtime as its onCall, prints a ready line, and on SIGTERM /
 * SIGINT drains (new calls 503, running calls get DRAIN_DEADLINE_MS to end) and exits 0.
 *
 * Environment: SIP_HOST (127.0.0.1), SIP_PORT (5060, UDP and TCP), SIP_TLS_PORT with
 * SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE, SIP_PUBLIC_HOST, RTP_PORT_MIN/RTP_PORT_MAX
 * (10000-10999), MAX_CALLS (a number or trial|plus|enterprise; default trial),
 * RTP_IO (auto|native|dgram: the native pacer thread where built), RTP_PACER_LEAD_MS (100),
 * RTP_PACER_REALTIME (1: ask for SCHED_FIFO; 0: normal priority),
 * LAMBDA_ENDPOINT (overrides lambda.endpoint), STATE_TABLE / DYNAMODB_ENDPOINT (session
 * history and MAU; without either, nothing is stored), TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN
 * (or _PARAM) + TWILIO_API_BASE_URL for vgwActSendSMS.
 */
import { createLogger } from '../lib/log.ts';
import { ConfigError } from '../lib/env.ts';
import { getStore, storeConfigFromEnv } from '../lib/store/client.ts';
import { loadConfigFile } from './config/load.ts';
import { createConversationRuntime, type RuntimeDeps } from './conversation/runtime.ts';
import { createLambdaInvoker } from './conversation/lambda-invoke.ts';
import { missingSpeechPrerequisites } from './conversation/prerequisites.ts';
import { startEngine } from './engine/engine.ts';
import { createRouter } from './conversation/routing.ts';
import { INTEGRATION_MEDIA_DEFAULTS } from './config/media.ts';
import type { Plan } from './engine/admission.ts';

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
  if (!/^\d+$/.test(maxCallsRaw) && !['trial', 'plus', 'enterprise'].includes(maxCallsRaw)) {
    throw new ConfigError(['MAX_CALLS'], 'MAX_CALLS: a number of calls or a plan: trial (5), plus (100), enterprise (1000)');
  }
  const maxCalls: number | Plan = /^\d+$/.test(maxCallsRaw) ? Number(maxCallsRaw) : (maxCallsRaw as Plan);
  // The native pacer thread where built (media-core/native/); dgram forces the event loop.
  const rtpIo = env.RTP_IO || 'auto';
  if (rtpIo !== 'auto' && rtpIo !== 'native' && rtpIo !== 'dgram') throw new ConfigError(['RTP_IO'], 'RTP_IO: auto, native or dgram');
  const leadMs = env.RTP_PACER_LEAD_MS ? Number(env.RTP_PACER_LEAD_MS) : undefined;
  if (leadMs !== undefined && !(Number.isInteger(leadMs) && leadMs >= 0 && leadMs <= 300)) throw new ConfigError(['RTP_PACER_LEAD_MS'], 'RTP_PACER_LEAD_MS: whole ms, 0-300');
  const route = createRouter(loaded.config.integrations);
  // An unknown number gets 404 from the runtime; until then its offer meets the default policy.
  const mediaPolicyOf = (calledUser: string) => route(calledUser)?.media ?? INTEGRATION_MEDIA_DEFAULTS;
  const engine = await startEngine(
    {
      sip: {
        address: host,
        udpPort: sipPort,
        tcpPort: sipPort,
        publicHost: env.SIP_PUBLIC_HOST || undefined,
        ...(tlsPort !== undefined ? { tls: { port: tlsPort, certFile: env.SIP_TLS_CERT_FILE!, keyFile: env.SIP_TLS_KEY_FILE! } } : {}),
      },
      rtp: {
        address: host,
        portMin: port('RTP_PORT_MIN', 10000),
        portMax: port('RTP_PORT_MAX', 10999),
        rtpTimeoutMs: loaded.config.media.rtpTimeoutMs,
        learningWindowMs: loaded.config.media.learningWindowMs,
        allowLoopback: loaded.config.media.allowLoopbackMedia,
      },
      mediaPolicy: mediaPolicyOf,
      maxCalls,
      rtpIo,
      rtpPacer: { leadMs, realtime: env.RTP_PACER_REALTIME !== '0' },
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
