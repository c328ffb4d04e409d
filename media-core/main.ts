/**
 * The media core process: loads the configuration (CONFIG_FILE, default
 * media-core/config/demo.json), checks the embedded speech programs, starts the SIP/RTP
 * engine with the conversation runtime as its onCall, prints a ready line, and on SIGTERM /
 * SIGINT drains (new calls 503, running calls get DRAIN_DEADLINE_MS to end) and exits 0.
 *
 * Environment: validated once with zod by ./config/env.ts (the table of every variable,
 * its default and bounds): SIP_* (SIP_TLS_CLIENT_CA_FILE: require client certificates signed by that CA, mTLS), RTP_*, MAX_CALLS, LAMBDA_ENDPOINT, AWS_REGION, STATE_TABLE /
 * DYNAMODB_ENDPOINT, SESSION_HISTORY_TTL_DAYS, STOP_GRACE_PERIOD_MS and DRAIN_DEADLINE_MS;
 * MAU_HASH_KEY_PARAM / MAU_HASH_KEY (the HMAC key of the MAU hash, lib/store/mau-key.ts);
 * TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN (or _PARAM) + TWILIO_API_BASE_URL for vgwActSendSMS
 * (adapters/twilio/config.ts); SPEECH (embedded | sandbox-watson | watson) with WATSON_STT_URL,
 * WATSON_TTS_URL, WATSON_IAM_URL, WATSON_SPEECH_APIKEY (conversation/speech/speech-override.ts);
 * STT_DECODER_BIN (the pocketsphinx decoder helper); WARM_DEADLINE_MS (longest wait at start
 * for decoders and prompts synthesized at start).
 *
 * Operations (media-core/observability/): METRICS_HOST (127.0.0.1) and METRICS_PORT (9464; 0 a
 * free port; "off" none) serve /metrics, /healthz and /readyz. Admission by headroom
 * (engine/headroom-checks.ts; 0 turns a check off): ADMISSION_EVENT_LOOP_P99_MS (200),
 * ADMISSION_SPEECH_QUEUE_FRACTION (0.75), ADMISSION_SPEECH_DEMAND (0.7), ADMISSION_PACER_LATE_P99_MS (10), ADMISSION_WINDOW_MS
 * (2000), ADMISSION_RETRY_AFTER_S (5). SIP_UDP_RCVBUF_BYTES (4194304): the SIP socket's receive
 * buffer. State writes (lib/store/write-queue.ts): STATE_WRITE_QUEUE_CAPACITY (20000),
 * STATE_WRITE_CONCURRENCY (32), DYNAMODB_MAX_SOCKETS (128), HISTORY_FLUSH_TIMEOUT_MS (2000).
 *
 * Fleet: FLEET_LIMIT (a number or a plan: the concurrent-call limit across the fleet, counted in
 * the state table, engine/fleet-limit.ts) with FLEET_SCOPE (default). MAX_CALLS=headroom: no plan
 * count on this instance (the RTP range bounds it; admission by headroom decides).
 *
 * Drain: SIGTERM stops admitting; running calls get DRAIN_DEADLINE_MS to end by themselves;
 * then each gets its integration's drainAction (transfer to the default agent target, else
 * the error outcome) within what is left of STOP_GRACE_PERIOD_MS, and the process exits
 * before the orchestrator's SIGKILL.
 */
import { createLogger } from '../lib/log.ts';
import { ConfigError } from '../lib/env.ts';
import { getStore, storeConfigFromEnv } from '../lib/store/client.ts';
import { sessionHistoryTtlDays } from '../lib/store/session-history.ts';
import { drainActionBudgetMs, EXIT_MARGIN_MS, loadMediaCoreEnv } from './config/env.ts';
import { setMauHashKey } from '../lib/store/mau.ts';
import { loadMauHashKey } from '../lib/store/mau-key.ts';
import { loadConfigFile } from './config/load.ts';
import { createConversationRuntime, type RuntimeDeps } from './conversation/runtime.ts';
import { createLambdaInvoker } from './conversation/lambda-invoke.ts';
import { missingSpeechPrerequisites } from './conversation/prerequisites.ts';
import { applySpeechMode } from './conversation/speech/speech-override.ts';
import { Uas } from './engine/uas.ts';
import { accessOptionsFromConfig } from './edge/from-config.ts';
import { allWriteQueues } from '../lib/store/write-queue.ts';
import { unwatchEngine, watchEngine } from './observability/engine-metrics.ts';
import { startOpsServer, type OpsServer } from './observability/ops-server.ts';
import { readRmemMax } from './observability/udp-drops.ts';
import { callLimit } from './engine/admission.ts';
import { FleetLimit } from './engine/fleet-limit.ts';
import { createRouter } from './conversation/routing.ts';
import { INTEGRATION_MEDIA_DEFAULTS } from './config/media.ts';

const log = createLogger('media-core');
const env = process.env;

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
  const e = loadMediaCoreEnv(env);
  // The session history writer reads it lazily; a bad value stops the start here instead.
  sessionHistoryTtlDays(env);
  const file = e.CONFIG_FILE;
  const file0 = loadConfigFile(file);
  // SPEECH selects embedded speech (the file's) or Watson (e.g. the sandboxes' emulation).
  const loaded = { ...file0, config: applySpeechMode(file0.config, env) };
  const missing = missingSpeechPrerequisites(loaded.config);
  if (missing.length) {
    process.stderr.write(`media core cannot start:\n${missing.map((m) => `  - ${m}`).join('\n')}\n`);
    process.exit(1);
  }
  const lambda = loaded.config.lambda;
  const useStore = Boolean(e.STATE_TABLE || e.DYNAMODB_ENDPOINT);
  if (!useStore) log.warn('STATE_TABLE and DYNAMODB_ENDPOINT unset: session history and MAU are not stored');
  const mauKey = useStore ? await loadMauHashKey(env) : undefined;
  setMauHashKey(mauKey);
  if (useStore && !mauKey) log.warn('MAU_HASH_KEY_PARAM and MAU_HASH_KEY unset: caller numbers are counted by plain MD5, which can be reversed by enumeration');
  const runtime = createConversationRuntime(loaded, {
    log,
    store: useStore ? getStore(storeConfigFromEnv(env)) : undefined,
    invoke: createLambdaInvoker({ endpoint: e.LAMBDA_ENDPOINT || lambda.endpoint, region: e.AWS_REGION || lambda.region, timeoutMs: lambda.timeoutMs }),
    sendSms: await smsSender(),
  });
  // Speech decoders loaded and static prompts synthesized before the first call; the wait is
  // bounded (WARM_DEADLINE_MS, default 10 s): what is not done by then goes on in the background.
  const warmStart = performance.now();
  await runtime.warm(e.WARM_DEADLINE_MS);
  log.info({ ms: Math.round(performance.now() - warmStart) }, 'speech warmed');
  const host = e.SIP_HOST;
  const sipPort = e.SIP_PORT;
  const tlsPort = e.SIP_TLS_PORT;
  const access = accessOptionsFromConfig(loaded.config, env);
  // Say who may signal: an allowlist that lets nobody in looks, from outside, like a dead port.
  log.info(
    access.trustedProxies
      ? { trustedProxies: access.trustedProxies }
      : { allow: Object.fromEntries(access.integrations.map((i) => [i.number, i.allow])), digest: access.integrations.filter((i) => i.digest).map((i) => i.number) },
    'SIP edge access',
  );
  const admission = {
    eventLoopDelayP99Ms: e.ADMISSION_EVENT_LOOP_P99_MS,
    speechQueueFraction: e.ADMISSION_SPEECH_QUEUE_FRACTION,
    speechDemand: e.ADMISSION_SPEECH_DEMAND,
    pacerLateP99Ms: e.ADMISSION_PACER_LATE_P99_MS,
    windowMs: e.ADMISSION_WINDOW_MS,
    retryAfterS: e.ADMISSION_RETRY_AFTER_S,
  };
  const metricsPort = e.METRICS_PORT;
  // headroom: no plan count; the machine's capacity bounds admission (one even RTP port per
  // call, so the RTP range is the upper bound, and an exhausted range answers 503).
  const rtpRangeCalls = Math.floor((e.RTP_PORT_MAX - e.RTP_PORT_MIN) / 2) + 1;
  const maxCalls = e.MAX_CALLS === 'headroom' ? rtpRangeCalls : e.MAX_CALLS;
  // The plan's limit across every media core of the service instance (engine/fleet-limit.ts).
  let fleetLimit: FleetLimit | undefined;
  if (e.FLEET_LIMIT !== undefined) {
    if (!useStore) throw new ConfigError(['FLEET_LIMIT'], 'FLEET_LIMIT needs STATE_TABLE: the fleet counter lives in the state table');
    fleetLimit = new FleetLimit({ store: getStore(storeConfigFromEnv(env)), limit: callLimit(e.FLEET_LIMIT), scope: e.FLEET_SCOPE, logger: log });
    await fleetLimit.start();
  }
  const route = createRouter(loaded.config.integrations);
  // An unknown number gets 404 from the runtime; until then its offer meets the default policy.
  const mediaPolicyOf = (calledUser: string) => route(calledUser)?.media ?? INTEGRATION_MEDIA_DEFAULTS;
  const engine = await Uas.start(
    {
      sip: {
        address: host,
        udpPort: sipPort,
        tcpPort: sipPort,
        publicHost: e.SIP_PUBLIC_HOST,
        udpRecvBufferBytes: e.SIP_UDP_RCVBUF_BYTES,
        ...(tlsPort !== undefined ? { tls: { port: tlsPort, certFile: e.SIP_TLS_CERT_FILE!, keyFile: e.SIP_TLS_KEY_FILE!, clientCaFile: e.SIP_TLS_CLIENT_CA_FILE, reloadIntervalMs: e.SIP_TLS_RELOAD_MS } } : {}),
        access,
        maxConnections: loaded.config.sip.maxConnections,
        maxConnectionsPerIp: loaded.config.sip.maxConnectionsPerIp,
        headerTimeoutMs: loaded.config.sip.headerTimeoutMs,
      },
      rtp: {
        address: host,
        portMin: e.RTP_PORT_MIN,
        portMax: e.RTP_PORT_MAX,
        rtpTimeoutMs: loaded.config.media.rtpTimeoutMs,
        learningWindowMs: loaded.config.media.learningWindowMs,
        allowLoopback: loaded.config.media.allowLoopbackMedia,
      },
      mediaPolicy: mediaPolicyOf,
      maxCalls,
      admission,
      // The native pacer thread where built (media-core/native/); dgram forces the event loop.
      rtpIo: e.RTP_IO,
      rtpPacer: { leadMs: e.RTP_PACER_LEAD_MS, realtime: e.RTP_PACER_REALTIME },
      admissionChecks: fleetLimit ? [fleetLimit] : [],
      logger: log,
    },
    (call) => runtime.onCall(call),
  );
  watchEngine(engine);
  const rmemMax = readRmemMax();
  const wantRcvbuf = e.SIP_UDP_RCVBUF_BYTES ?? 4 * 1024 * 1024;
  if (rmemMax !== undefined && rmemMax < wantRcvbuf) {
    log.warn({ rmemMax, wanted: wantRcvbuf }, 'net.core.rmem_max caps the SIP UDP receive buffer: raise it (sysctl -w net.core.rmem_max=...) on the host');
  }
  let ops: OpsServer | undefined;
  if (metricsPort !== undefined) {
    const metricsHost = e.METRICS_HOST;
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
    log.info({ signal, drainDeadlineMs: e.DRAIN_DEADLINE_MS, stopGracePeriodMs: e.STOP_GRACE_PERIOD_MS }, 'draining');
    try {
      await engine.drain(e.DRAIN_DEADLINE_MS, { action: (call) => runtime.drain(call), actionMs: drainActionBudgetMs(e) });
      await Promise.race([runtime.idle(), new Promise((r) => setTimeout(r, EXIT_MARGIN_MS / 2).unref())]);
      // Queued history and MAU writes go out before exit; what cannot within 5 s is counted lost.
      const flushed = await Promise.all(allWriteQueues().map((q) => q.drain(5000)));
      if (flushed.includes(false)) log.error({ queued: allWriteQueues().map((q) => q.stats().queued) }, 'state writes not flushed before exit');
      for (const q of allWriteQueues()) q.close();
      unwatchEngine(engine);
      await engine.close();
      await fleetLimit?.stop();
      runtime.close();
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
