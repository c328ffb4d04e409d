/**
 * The media core process: loads the configuration (CONFIG_FILE, default
 * media-core/config/demo.json), checks the embedded speech programs, starts the SIP/RTP
 * engine with the conversation runtime as its onCall, prints a ready line, and on SIGTERM /
 * SIGINT drains (new calls 503, running calls get DRAIN_DEADLINE_MS to end) and exits 0.
 *
 * Environment: SIP_HOST (127.0.0.1), SIP_PORT (5060, UDP and TCP), SIP_TLS_PORT with
 * SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE, SIP_PUBLIC_HOST, RTP_PORT_MIN/RTP_PORT_MAX
 * (10000-10999), MAX_CALLS (a number or trial|plus|enterprise; default trial), RTP_WORKERS
 * (0), RTP_IO (auto|native|dgram: the native pacer thread where built), RTP_PACER_LEAD_MS (100),
 * RTP_PACER_REALTIME (1: ask for SCHED_FIFO; 0: normal priority),
 * LAMBDA_ENDPOINT (overrides lambda.endpoint), STATE_TABLE / DYNAMODB_ENDPOINT (session
 * history and MAU; without either, nothing is stored), TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN
 * (or _PARAM) + TWILIO_API_BASE_URL for vgwActSendSMS.
 *
 * Operations (media-core/observability/): METRICS_HOST (127.0.0.1) and METRICS_PORT (9464; 0 a
 * free port; "off" none) serve /metrics, /healthz and /readyz. Admission by headroom
 * (engine/headroom-checks.ts; 0 turns a check off): ADMISSION_EVENT_LOOP_P99_MS (200),
 * ADMISSION_SPEECH_QUEUE_FRACTION (0.75), ADMISSION_PACER_LATE_P99_MS (10), ADMISSION_WINDOW_MS
 * (2000), ADMISSION_RETRY_AFTER_S (5). SIP_UDP_RCVBUF_BYTES (4194304): the SIP socket's receive
 * buffer. State writes (lib/store/write-queue.ts): STATE_WRITE_QUEUE_CAPACITY (20000),
 * STATE_WRITE_CONCURRENCY (32), DYNAMODB_MAX_SOCKETS (128), HISTORY_FLUSH_TIMEOUT_MS (2000).
 */
import { createLogger } from '../lib/log.ts';
import { ConfigError } from '../lib/env.ts';
import { getStore, storeConfigFromEnv } from '../lib/store/client.ts';
import { loadConfigFile } from './config/load.ts';
import { createConversationRuntime, type RuntimeDeps } from './conversation/runtime.ts';
import { createLambdaInvoker } from './conversation/lambda-invoke.ts';
import { missingSpeechPrerequisites } from './conversation/prerequisites.ts';
import { startEngine } from './engine/engine.ts';
import type { Plan } from './engine/admission.ts';
import { allWriteQueues } from '../lib/store/write-queue.ts';
import { unwatchEngine, watchEngine } from './observability/engine-metrics.ts';
import { startOpsServer, type OpsServer } from './observability/ops-server.ts';
import { readRmemMax } from './observability/udp-drops.ts';

const log = createLogger('media-core');
const env = process.env;

function port(name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError([name], `${name}: must be a port number 0-65535`);
  return n;
}

/** A number from the environment within [min, max], or undefined when unset. @throws ConfigError naming the variable. */
function num(name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError([name], `${name}: a number from ${min} to ${max}`);
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
  // RTP in worker threads spreads media over cores (bench/sip-load.bench.ts); 0 keeps it on the main thread.
  const rtpWorkers = env.RTP_WORKERS ? Number(env.RTP_WORKERS) : 0;
  if (!Number.isInteger(rtpWorkers) || rtpWorkers < 0 || rtpWorkers > 64) throw new ConfigError(['RTP_WORKERS'], 'RTP_WORKERS: a whole number of worker threads, 0-64');
  // The native pacer thread where built (media-core/native/); dgram forces the event loop.
  const rtpIo = env.RTP_IO || 'auto';
  if (rtpIo !== 'auto' && rtpIo !== 'native' && rtpIo !== 'dgram') throw new ConfigError(['RTP_IO'], 'RTP_IO: auto, native or dgram');
  const admission = {
    eventLoopDelayP99Ms: num('ADMISSION_EVENT_LOOP_P99_MS', 0, 60_000),
    speechQueueFraction: num('ADMISSION_SPEECH_QUEUE_FRACTION', 0, 1),
    pacerLateP99Ms: num('ADMISSION_PACER_LATE_P99_MS', 0, 60_000),
    windowMs: num('ADMISSION_WINDOW_MS', 100, 60_000),
    retryAfterS: num('ADMISSION_RETRY_AFTER_S', 0, 3600),
  };
  const udpRecvBufferBytes = num('SIP_UDP_RCVBUF_BYTES', 65_536, 1 << 30);
  const metricsPort = env.METRICS_PORT === 'off' ? undefined : (num('METRICS_PORT', 0, 65535) ?? 9464);
  const leadMs = env.RTP_PACER_LEAD_MS ? Number(env.RTP_PACER_LEAD_MS) : undefined;
  if (leadMs !== undefined && !(Number.isInteger(leadMs) && leadMs >= 0 && leadMs <= 300)) throw new ConfigError(['RTP_PACER_LEAD_MS'], 'RTP_PACER_LEAD_MS: whole ms, 0-300');
  const engine = await startEngine(
    {
      sip: {
        address: host,
        udpPort: sipPort,
        tcpPort: sipPort,
        publicHost: env.SIP_PUBLIC_HOST || undefined,
        udpRecvBufferBytes,
        ...(tlsPort !== undefined ? { tls: { port: tlsPort, certFile: env.SIP_TLS_CERT_FILE!, keyFile: env.SIP_TLS_KEY_FILE! } } : {}),
      },
      rtp: { address: host, portMin: port('RTP_PORT_MIN', 10000), portMax: port('RTP_PORT_MAX', 10999) },
      maxCalls,
      admission,
      rtpWorkers,
      rtpIo,
      rtpPacer: { leadMs, realtime: env.RTP_PACER_REALTIME !== '0' },
      logger: log,
    },
    (call) => runtime.onCall(call),
  );
  watchEngine(engine);
  const rmemMax = readRmemMax();
  const wantRcvbuf = udpRecvBufferBytes ?? 4 * 1024 * 1024;
  if (rmemMax !== undefined && rmemMax < wantRcvbuf) {
    log.warn({ rmemMax, wanted: wantRcvbuf }, 'net.core.rmem_max caps the SIP UDP receive buffer: raise it (sysctl -w net.core.rmem_max=...) on the host');
  }
  let ops: OpsServer | undefined;
  if (metricsPort !== undefined) {
    const metricsHost = env.METRICS_HOST || '127.0.0.1';
    try {
      ops = await startOpsServer({ host: metricsHost, port: metricsPort, ready: () => !engine.admission.draining, log });
      log.info({ url: `http://${metricsHost}:${ops.port}/metrics` }, 'operations endpoint: /metrics /healthz /readyz');
    } catch (err) {
      // Calls matter more than metrics: a taken port is reported, not fatal.
      log.error({ err: (err as Error).message, host: metricsHost, port: metricsPort }, 'operations endpoint not started');
    }
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    const deadline = Number(env.DRAIN_DEADLINE_MS || 30000);
    try {
      await engine.drain(deadline);
      await Promise.race([runtime.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
      // Queued history and MAU writes go out before exit; what cannot within 5 s is counted lost.
      const flushed = await Promise.all(allWriteQueues().map((q) => q.drain(5000)));
      if (flushed.includes(false)) log.error({ queued: allWriteQueues().map((q) => q.stats().queued) }, 'state writes not flushed before exit');
      for (const q of allWriteQueues()) q.close();
      unwatchEngine(engine);
      await engine.close();
      await ops?.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const p = engine.ports;
  process.stdout.write(
    `media core ready: SIP ${host} udp ${p.udp ?? '-'} tcp ${p.tcp ?? '-'}${p.tls ? ` tls ${p.tls}` : ''}; numbers ${loaded.config.integrations.map((i) => i.number).join(' ')}${ops ? `; metrics http://${env.METRICS_HOST || '127.0.0.1'}:${ops.port}/metrics` : ''}\n`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`media core cannot start: ${err.message}\n`);
  else process.stderr.write(`media core cannot start: ${(err as Error).message}\n`);
  process.exit(1);
});
