/**
 * The media core process's environment (media-core/main.ts), validated once at boot with zod
 * through lib/env.ts: a malformed value stops the start with a message naming the variable
 * (`MAX_CALLS: ...`), never a NaN deep inside the engine.
 *
 * | variable | meaning (default) |
 * |---|---|
 * | CONFIG_FILE | configuration file (media-core/config/demo.json) |
 * | SIP_HOST | address SIP and RTP bind to (127.0.0.1) |
 * | SIP_PORT | SIP over UDP and TCP (5060) |
 * | SIP_TLS_PORT, SIP_TLS_CERT_FILE, SIP_TLS_KEY_FILE | SIP over TLS (off; the port needs both files) |
 * | WARM_DEADLINE_MS | longest wait at start for speech decoders and prompts synthesized at start (10000 ms) |
 * | METRICS_HOST, METRICS_PORT | /metrics, /healthz, /readyz (127.0.0.1:9464; "off" none) |
 * | ADMISSION_EVENT_LOOP_P99_MS, ADMISSION_SPEECH_QUEUE_FRACTION, ADMISSION_SPEECH_DEMAND, ADMISSION_PACER_LATE_P99_MS, ADMISSION_WINDOW_MS, ADMISSION_RETRY_AFTER_S | admission by headroom thresholds (200 ms, 0.75, 0.7, 10 ms, 2000 ms, 5 s; 0 turns a check off) |
 * | SIP_UDP_RCVBUF_BYTES | the SIP UDP socket's receive buffer (4194304) |
 * | SIP_TLS_CLIENT_CA_FILE | require TLS client certificates signed by this CA, mTLS (unset) |
 * | SIP_TLS_RELOAD_MS | how often the TLS files are checked for a renewal, ms (60000; 0 never) |
 * | SIP_PUBLIC_HOST | host put in Via/Contact/SDP when behind NAT (unset) |
 * | RTP_PORT_MIN, RTP_PORT_MAX | RTP port range (10000-10999) |
 * | MAX_CALLS | a number, trial (5), plus (100), enterprise (1000), or headroom (the RTP range; admission by headroom decides) (trial) |
 * | FLEET_LIMIT, FLEET_SCOPE | the concurrent-call limit across the fleet, in the state table (unset; default) |
 * | RTP_IO | auto, native or dgram (auto) |
 * | RTP_PACER_LEAD_MS | native pacer lead, ms 0-300 (100) |
 * | RTP_PACER_REALTIME | 1 asks for SCHED_FIFO, 0 normal priority (1) |
 * | LAMBDA_ENDPOINT | Lambda Invoke endpoint override (the config's lambda.endpoint) |
 * | AWS_REGION | region of Lambda (the config's lambda.region) |
 * | STATE_TABLE, DYNAMODB_ENDPOINT | session history and MAU store (nothing stored without either) |
 * | SESSION_HISTORY_TTL_DAYS | days a session history stays readable, 1-365 (7) |
 * | STOP_GRACE_PERIOD_MS | the orchestrator's stop grace period: Kubernetes terminationGracePeriodSeconds, ECS stopTimeout, both 30 s by default (30000) |
 * | DRAIN_DEADLINE_MS | how long running calls may end by themselves after SIGTERM (20000); at least 5000 ms below STOP_GRACE_PERIOD_MS |
 *
 * After DRAIN_DEADLINE_MS each remaining call gets its integration's drain action (transfer
 * to the default agent target, else the error outcome), bounded by what is left of the grace
 * period minus {@link EXIT_MARGIN_MS}; the process then exits before the orchestrator's SIGKILL.
 */
import { z } from 'zod';
import { loadEnv } from '../../lib/env.ts';
import { SESSION_HISTORY_TTL } from '../../lib/store/session-history.ts';
import type { Plan } from '../engine/admission.ts';

/** Time kept at the end of the stop grace period to close sockets and exit, ms. */
export const EXIT_MARGIN_MS = 2000;
/** Shortest time left for the drain actions (a REFER and its NOTIFY, or a Lambda outcome), ms. */
export const MIN_DRAIN_ACTION_MS = 3000;

const Port = z.coerce.number().int('must be a port number 0-65535').min(0, 'must be a port number 0-65535').max(65535, 'must be a port number 0-65535');
const nonEmpty = z.string().min(1);

export const MediaCoreEnv = z
  .object({
    CONFIG_FILE: nonEmpty.default('media-core/config/demo.json'),
    SIP_HOST: z.string().regex(/^[0-9A-Za-z.:-]+$/, 'must be an IP address or host name').default('127.0.0.1'),
    SIP_PORT: Port.default(5060),
    SIP_TLS_PORT: Port.optional(),
    SIP_TLS_CERT_FILE: nonEmpty.optional(),
    SIP_TLS_KEY_FILE: nonEmpty.optional(),
    /** PEM CA file: TLS clients must present a certificate signed by it (mTLS). */
    SIP_TLS_CLIENT_CA_FILE: nonEmpty.optional(),
    SIP_TLS_RELOAD_MS: z.coerce.number().int().min(0).max(86_400_000).optional(),
    /** Longest wait at start for the speech decoders and the prompts synthesized at start, ms. */
    WARM_DEADLINE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
    SIP_PUBLIC_HOST: z.string().regex(/^[0-9A-Za-z.:-]+$/, 'must be an IP address or host name').optional(),
    RTP_PORT_MIN: Port.default(10000),
    RTP_PORT_MAX: Port.default(10999),
    MAX_CALLS: z
      .string()
      .regex(/^(\d+|trial|plus|enterprise|headroom)$/, 'a number of calls, a plan: trial (5), plus (100), enterprise (1000), or headroom (what the machine carries)')
      .default('trial')
      .transform((v): number | Plan | 'headroom' => (/^\d+$/.test(v) ? Number(v) : (v as Plan | 'headroom'))),
    /** The plan's concurrent-call limit across the fleet (engine/fleet-limit.ts); needs the state table. */
    FLEET_LIMIT: z
      .string()
      .regex(/^(\d+|trial|plus|enterprise)$/, 'a number of calls or a plan: trial, plus, enterprise')
      .transform((v): number | Plan => (/^\d+$/.test(v) ? Number(v) : (v as Plan)))
      .optional(),
    FLEET_SCOPE: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . -').default('default'),
    RTP_IO: z.enum(['auto', 'native', 'dgram']).default('auto'),
    RTP_PACER_LEAD_MS: z.coerce.number().int('whole ms, 0-300').min(0).max(300).optional(),
    RTP_PACER_REALTIME: z.enum(['0', '1']).default('1').transform((v) => v === '1'),
    LAMBDA_ENDPOINT: z.url().optional(),
    AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'like us-east-1').optional(),
    STATE_TABLE: nonEmpty.optional(),
    DYNAMODB_ENDPOINT: z.url().optional(),
    SESSION_HISTORY_TTL_DAYS: z.coerce.number().int('whole days, 1-365').min(SESSION_HISTORY_TTL.min).max(SESSION_HISTORY_TTL.max).default(SESSION_HISTORY_TTL.default),
    STOP_GRACE_PERIOD_MS: z.coerce.number().int().min(10_000).max(3_600_000).default(30_000),
    DRAIN_DEADLINE_MS: z.coerce.number().int().min(0).max(3_600_000).default(20_000),
    /** Address and port of /metrics, /healthz and /readyz (media-core/observability/ops-server.ts); "off": none, 0: a free port. */
    METRICS_HOST: z.string().regex(/^[0-9A-Za-z.:-]+$/, 'must be an IP address or host name').default('127.0.0.1'),
    METRICS_PORT: z
      .union([z.literal('off'), Port])
      .default(9464)
      .transform((v) => (v === 'off' ? undefined : v)),
    /** Admission by headroom (engine/headroom-checks.ts); 0 turns a check off. */
    ADMISSION_EVENT_LOOP_P99_MS: z.coerce.number().min(0).max(60_000).optional(),
    ADMISSION_SPEECH_QUEUE_FRACTION: z.coerce.number().min(0).max(1).optional(),
    ADMISSION_SPEECH_DEMAND: z.coerce.number().min(0).max(100).optional(),
    ADMISSION_PACER_LATE_P99_MS: z.coerce.number().min(0).max(60_000).optional(),
    ADMISSION_WINDOW_MS: z.coerce.number().min(100).max(60_000).optional(),
    ADMISSION_RETRY_AFTER_S: z.coerce.number().int().min(0).max(3600).optional(),
    /** SO_RCVBUF of the SIP UDP socket, bytes (Linux caps it at net.core.rmem_max). */
    SIP_UDP_RCVBUF_BYTES: z.coerce.number().int().min(65_536).max(1 << 30).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.SIP_TLS_PORT !== undefined && (!e.SIP_TLS_CERT_FILE || !e.SIP_TLS_KEY_FILE)) {
      ctx.addIssue({ code: 'custom', path: ['SIP_TLS_CERT_FILE'], message: 'SIP_TLS_PORT needs SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE' });
    }
    if (e.RTP_PORT_MIN > e.RTP_PORT_MAX) ctx.addIssue({ code: 'custom', path: ['RTP_PORT_MIN'], message: 'must not be above RTP_PORT_MAX' });
    if (e.DRAIN_DEADLINE_MS > e.STOP_GRACE_PERIOD_MS - EXIT_MARGIN_MS - MIN_DRAIN_ACTION_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['DRAIN_DEADLINE_MS'],
        message: `must be at most STOP_GRACE_PERIOD_MS - ${EXIT_MARGIN_MS + MIN_DRAIN_ACTION_MS} (${e.STOP_GRACE_PERIOD_MS - EXIT_MARGIN_MS - MIN_DRAIN_ACTION_MS}), so the drain actions run before the orchestrator kills the process`,
      });
    }
  });
export type MediaCoreEnv = z.infer<typeof MediaCoreEnv>;

/** @throws ConfigError naming every malformed variable. */
export function loadMediaCoreEnv(env: Record<string, string | undefined> = process.env): MediaCoreEnv {
  return loadEnv(MediaCoreEnv, env);
}

/** Time the drain actions get after the drain deadline, ms: what is left of the grace period minus the exit margin. */
export function drainActionBudgetMs(e: Pick<MediaCoreEnv, 'STOP_GRACE_PERIOD_MS' | 'DRAIN_DEADLINE_MS'>): number {
  return e.STOP_GRACE_PERIOD_MS - e.DRAIN_DEADLINE_MS - EXIT_MARGIN_MS;
}
