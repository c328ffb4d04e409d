/**
 * The media core's configuration file (CONFIG_FILE, JSON), validated with zod at load.
 *
 * - `integrations[]`: one per called number (E.164). The called number of the INVITE
 *   (Request-URI user, with or without "+") selects the assistant, the speech settings and
 *   the contact-center vendor with its settings.
 * - `assistants{}` / `speech{}`: named, referenced by integrations.
 * - Secrets are never in the file: connectors name the environment variable that holds them
 *   (`apiKeyEnv`).
 */
import { z } from 'zod';
import { Vendor } from '../../events/outcome.ts';
import { VendorSettings } from '../../adapters/registry.ts';
import { E164 } from '../../lib/phone.ts';
import { INTEGRATION_MEDIA_DEFAULTS, IntegrationMediaConfig, MEDIA_PLANE_DEFAULTS, MediaPlaneConfig } from './media.ts';

/** An integration's name: what the numbers list (lib/store/numbers.ts) names as its owner. */
export const IntegrationName = z.string().regex(/^[A-Za-z0-9+][A-Za-z0-9_.+-]{0,63}$/, '1-64 letters, digits, _ . + -');

const Ms = z.number().int().min(0).max(600_000);

export const AssistantConfig = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('local'),
    /** Path of the scripted assistant JSON (relative to the config file). */
    file: z.string().min(1),
  }),
  z.object({
    type: z.literal('watson'),
    /** Service URL, e.g. https://api.us-south.assistant.watson.cloud.ibm.com/instances/<id>. */
    url: z.string().url(),
    assistantId: z.string().min(1),
    /** API version date (query `version`). */
    version: z.string().default('2021-06-14'),
    /** IAM token endpoint. */
    iamUrl: z.string().url().default('https://iam.cloud.ibm.com/identity/token'),
    /** Environment variable holding the API key. */
    apiKeyEnv: z.string().min(1),
    timeoutMs: Ms.default(5000),
    /**
     * Where the context variables travel: `dialog` (skills["main skill"].user_defined),
     * `actions` (skills["actions skill"].skill_variables), or `auto`: detected from the first reply.
     */
    skill: z.enum(['auto', 'dialog', 'actions']).default('auto'),
  }),
  z.object({
    type: z.literal('webhook'),
    url: z.string().url(),
    timeoutMs: Ms.default(5000),
    /** Environment variable holding a bearer token, if the webhook wants one. */
    tokenEnv: z.string().optional(),
  }),
]);
export type AssistantConfig = z.infer<typeof AssistantConfig>;

export const TtsConfig = z.discriminatedUnion('provider', [
  z.object({
    provider: z.literal('espeak'),
    voice: z.string().default('en-us'),
    /** Words per minute (espeak-ng -s). */
    rate: z.number().int().min(80).max(450).default(175),
  }),
  z.object({
    provider: z.literal('watson'),
    url: z.string().url(),
    voice: z.string().default('en-US_AllisonV3Voice'),
    iamUrl: z.string().url().default('https://iam.cloud.ibm.com/identity/token'),
    apiKeyEnv: z.string().min(1),
    timeoutMs: Ms.default(10000),
  }),
]);
export type TtsConfig = z.infer<typeof TtsConfig>;

export const SttConfig = z.discriminatedUnion('provider', [
  z.object({
    provider: z.literal('pocketsphinx'),
    /** Acoustic model directory (dpkg -L pocketsphinx-en-us). */
    hmm: z.string().default('/usr/share/pocketsphinx/model/en-us/en-us'),
    dict: z.string().default('/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict'),
    /** Content-word similarity (0-1, ./phrase-snap.ts) from which a hypothesis is snapped to the nearest example phrase. */
    snapThreshold: z.number().min(0).max(1).default(0.6),
    /**
     * Least share (0-1) of an utterance (less the VAD's pre-roll and hangover) the recognized
     * grammar phrase's words must span; below it the speech is taken for a misrecognition or
     * speech outside the grammar (no match). 0 turns it off.
     */
    minCoverage: z.number().min(0).max(1).default(0.8),
  }),
  z.object({
    provider: z.literal('watson'),
    /** wss URL of the instance, e.g. wss://api.us-south.speech-to-text.watson.cloud.ibm.com/instances/<id>. */
    url: z.string().min(1),
    model: z.string().default('en-US_NarrowbandModel'),
    /**
     * Custom language model (GUID), sent as the recognize WebSocket's
     * `language_customization_id` URL parameter
     * (https://cloud.ibm.com/apidocs/speech-to-text#recognize-audio-websockets).
     */
    languageCustomizationId: z.string().regex(/^[0-9a-fA-F-]{1,64}$/).optional(),
    /** Custom acoustic model (GUID): the `acoustic_customization_id` URL parameter. */
    acousticCustomizationId: z.string().regex(/^[0-9a-fA-F-]{1,64}$/).optional(),
    /** Weight of the custom language model, 0-1 (start message `customization_weight`). */
    customizationWeight: z.number().min(0).max(1).optional(),
    iamUrl: z.string().url().default('https://iam.cloud.ibm.com/identity/token'),
    apiKeyEnv: z.string().min(1),
  }),
]);
export type SttConfig = z.infer<typeof SttConfig>;

export const VadConfig = z.object({
  /** Lowest RMS (of 16-bit samples) counted as speech. */
  minRms: z.number().min(1).default(400),
  /** Speech when RMS exceeds noise floor times this factor (and minRms). */
  noiseFactor: z.number().min(1).default(3),
  /** Consecutive speech frames (20 ms) that start an utterance. */
  startFrames: z.number().int().min(1).default(3),
  /**
   * Silence frames (20 ms) after speech that end it (hangover). Every turn waits this long
   * before recognition can finish, so it sits in the turn latency: 240 ms ends a turn quickly
   * and still spans the short pauses inside a spoken phrase; raise it for callers who pause
   * mid-sentence.
   */
  hangoverFrames: z.number().int().min(1).default(12),
  /** Frames kept from before the start and handed to the recognizer. */
  prerollFrames: z.number().int().min(0).default(10),
  /** Longest utterance in frames (15 s). */
  maxFrames: z.number().int().min(10).default(750),
});
export type VadConfig = z.infer<typeof VadConfig>;

export const SpeechConfig = z.object({
  tts: TtsConfig,
  stt: SttConfig,
  vad: VadConfig.default(VadConfig.parse({})),
});
export type SpeechConfig = z.infer<typeof SpeechConfig>;

export const SpeechQueuesConfig = z.object({
  /** pocketsphinx decoder processes (niced); 0: one per core, at most 8. */
  sttDecoders: z.number().int().min(0).max(64).default(0),
  /** Utterances waiting for a decoder; beyond it an utterance gets a no-match turn (and admission refuses new calls). */
  sttQueueBound: z.number().int().min(1).max(10_000).default(64),
  /** End of utterance to hypothesis, ms; a later one is a no-match turn. */
  sttDeadlineMs: z.number().int().min(100).max(60_000).default(3000),
  /** Syntheses (espeak-ng + sox, or Watson TTS requests) running at once; 0: two per core. */
  ttsConcurrency: z.number().int().min(0).max(256).default(0),
  /** Syntheses waiting for a slot; beyond it a prompt is refused (retry, then the fallback prompt). */
  ttsQueueBound: z.number().int().min(1).max(10_000).default(200),
  /** Request to start of audio, ms. */
  ttsDeadlineMs: z.number().int().min(100).max(60_000).default(10_000),
});
export type SpeechQueuesConfig = z.infer<typeof SpeechQueuesConfig>;


/** A source range: IPv4 or IPv6 address with an optional /prefix (checked again by media-core/edge/source-set.ts). */
const Cidr = z.string().regex(/^[0-9A-Fa-f:.]{2,45}(\/\d{1,3})?$/, 'must be an IP address or CIDR range such as 3.80.16.0/23');

/**
 * Who may signal for an integration (media-core/edge/access-policy.ts). Matched against the
 * packet's source address, never Via. Ranges the vendors publish for SIP signalling (keep
 * them current from the cited pages, the vendors change them):
 * - Amazon Chime SDK Voice Connector (Amazon Connect): us-east-1 3.80.16.0/23, us-west-2
 *   99.77.253.0/24, other regions one /24 each in 99.77.x.0; UDP/TCP 5060, TLS 5061
 *   (https://docs.aws.amazon.com/chime-sdk/latest/ag/network-config.html; AWS ip-ranges.json
 *   service CHIME_VOICECONNECTOR). Shared by every Chime customer: an allowlist narrows, it
 *   does not authenticate.
 * - Twilio Elastic SIP Trunking / Programmable SIP: signalling addresses per edge location,
 *   small /30 blocks listed on https://www.twilio.com/docs/sip-trunking/ip-addresses (media
 *   comes from 168.86.128.0/18, which is not a signalling range).
 * - NICE CXone and generic trunks: the addresses the customer's SBC uses; digest when they are not fixed.
 */
export const AccessConfig = z.object({
  /** Source ranges allowed to signal for this number. Default: loopback only. */
  allow: z.array(Cidr).default(['127.0.0.0/8', '::1/128']),
  /** Drop this number's requests unless they arrive over TLS. */
  tlsOnly: z.boolean().default(false),
  /** SIP digest authentication (RFC 3261 section 22, RFC 8760) for generic trunks. */
  digest: z
    .object({
      realm: z.string().min(1).max(128).regex(/^[^"\\]+$/, 'no quotes or backslashes'),
      username: z.string().min(1).max(128),
      /** Environment variable holding the password (never the password itself). */
      passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
      algorithms: z.array(z.enum(['SHA-256', 'MD5'])).min(1).default(['SHA-256', 'MD5']),
    })
    .optional(),
});
export type AccessConfig = z.infer<typeof AccessConfig>;

const RateConfig = z.object({ ratePerS: z.number().positive().max(100_000), burst: z.number().int().min(1).max(100_000) });

/** SIP edge settings shared by every integration. */
export const SipEdgeConfig = z.object({
  /**
   * Proxy addresses (CIDR), e.g. Kamailio in front: when set, only these may signal, and
   * source allowlists and rate limits are left to the proxy.
   */
  trustedProxies: z.array(Cidr).optional(),
  /** Per-source token bucket for out-of-dialog requests, and for INVITEs on top. */
  rateLimit: RateConfig.default({ ratePerS: 120, burst: 240 }),
  inviteRateLimit: RateConfig.default({ ratePerS: 60, burst: 120 }),
  /** TCP/TLS connections overall and per IP; ms to complete a message's header section. */
  maxConnections: z.number().int().min(1).max(100_000).default(1024),
  maxConnectionsPerIp: z.number().int().min(1).max(10_000).default(16),
  headerTimeoutMs: Ms.default(10_000),
});
export type SipEdgeConfig = z.infer<typeof SipEdgeConfig>;

export const IntegrationConfig = z.object({
  /** Name the numbers list uses for this integration; default: its number. */
  name: IntegrationName.optional(),
  /** The integration's primary number; seeds the numbers list (see `numbers` below). */
  number: E164,
  assistant: z.string().min(1),
  speech: z.string().min(1),
  contactCenter: VendorSettings,
  /** Spoken when the conversation fails (assistant or speech down) before the error outcome. */
  failureMessage: z.string().default('Sorry, we are having technical difficulties. Please call back later.'),
  /** post_response_timeout_count default, ms. */
  postResponseTimeoutMs: Ms.default(7000),
  /** final_utterance_timeout_count default, ms. */
  finalUtteranceTimeoutMs: Ms.default(10000),
  /** INVITE headers copied into sip_custom_invite_headers. */
  customInviteHeaders: z.array(z.string().min(1)).default([]),
  bargeIn: z.object({ speech: z.boolean().default(true), dtmf: z.boolean().default(true) }).default({ speech: true, dtmf: true }),
  /** Upper bound of turns per call (a loop guard). */
  maxTurns: z.number().int().min(1).max(1000).default(200),
  /**
   * Auto-hang-up after repeated silence: the integration sends BYE (as end_session with no
   * headers) after this many consecutive vgwPostResponseTimeout turns, 1-20; see
   * `silenceHangup` for which timeouts count.
   */
  maxConsecutiveTimeouts: z.number().int().min(1).max(20).default(3),
  /**
   * What a call still up at the drain deadline (SIGTERM + DRAIN_DEADLINE_MS) gets: 'transfer'
   * to the integration's default agent target (sip_trunk agentUri, the Flex referUri, the
   * Connect / CXone flow's queue) where one exists, else the error outcome; 'error' the
   * error outcome (BYE without attributes: the contact center's error path).
   */
  drainAction: z.enum(['transfer', 'error']).default('transfer'),
  /**
   * Which post-response timeouts count toward maxConsecutiveTimeouts:
   * - `unhandled` (default): only those the assistant answers with nothing (an empty
   *   output.generic). An assistant that handles vgwPostResponseTimeout itself (re-prompts,
   *   counts, hangs up with its own end_session) is never overridden;
   * - `always`: every one, the assistant's re-prompts included (a hard cap on silence);
   * - `never`: no auto-hang-up (maxTurns still bounds the call).
   */
  silenceHangup: z.enum(['unhandled', 'always', 'never']).default('unhandled'),
  /** Who may signal for this number (default: loopback sources only, no digest, any transport). */
  access: AccessConfig.default({ allow: ['127.0.0.0/8', '::1/128'], tlsOnly: false }),
  /** Played (synthesized at start, cached) when a prompt could not be synthesized after one retry; the conversation goes on. */
  ttsFallbackMessage: z.string().min(1).max(500).default('Sorry, part of this message could not be played.'),
  /** Media security policy (./media.ts). */
  media: IntegrationMediaConfig.default(INTEGRATION_MEDIA_DEFAULTS),
});
export type IntegrationConfig = z.infer<typeof IntegrationConfig>;

/** The name the numbers list knows an integration by: `name`, else its number. */
export function integrationName(i: Pick<IntegrationConfig, 'name' | 'number'>): string {
  return i.name ?? i.number;
}

/** Limits of the `audio` response's downloads. */
export const AudioFetchConfig = z.object({
  /** Largest file, bytes. */
  maxBytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
  /** Longest download, ms. */
  timeoutMs: Ms.default(5000),
  /** Fetched audio kept in memory, bytes of 8 kHz samples (least recently used out first). */
  cacheBytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(32 * 1024 * 1024),
  /** DEVELOPMENT ONLY (the local demo and tests): allow 127.0.0.0/8 and ::1. Never in production. */
  allowLoopback: z.boolean().default(false),
  /** DEVELOPMENT ONLY: PEM file of an extra trusted CA (a local self-signed audio server), relative to the config file. */
  caFile: z.string().min(1).optional(),
});
export type AudioFetchConfig = z.infer<typeof AudioFetchConfig>;

export const MediaCoreConfig = z
  .object({
    assistants: z.record(z.string(), AssistantConfig),
    speech: z.record(z.string(), SpeechConfig),
    integrations: z.array(IntegrationConfig).min(1),
    lambda: z
      .object({
        /** Invoke endpoint (serverless-offline's lambda port locally); LAMBDA_ENDPOINT overrides. */
        endpoint: z.string().url().optional(),
        region: z.string().default('us-east-1'),
        /** Wait for an adapter's reply, ms. */
        timeoutMs: Ms.default(10000),
      })
      .default({ region: 'us-east-1', timeoutMs: 10000 }),
    /** The SIP edge: trusted proxies, rate limits, connection caps (media-core/edge/). */
    sip: SipEdgeConfig.default(SipEdgeConfig.parse({})),
    /** Size of the synthesized-prompt LRU cache, entries. */
    ttsCacheEntries: z.number().int().min(0).max(100_000).default(500),
    /** The `audio` response's downloads (media-core/conversation/audio-fetch.ts): https only, public addresses only. */
    audioFetch: AudioFetchConfig.default(AudioFetchConfig.parse({})),
    /**
     * The numbers list (lib/store/numbers.ts). With a state table it lives there (npm run
     * numbers -- import) and this file only seeds it when the table has none; without one,
     * the integrations' numbers plus `seed` are the list.
     */
    numbers: z
      .object({
        /** ISO 3166-1 alpha-2 country for numbers written without "+" (CSV import); absent: such numbers are refused. */
        defaultCountry: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as US').optional(),
        /** How long a media core keeps the list before reading it again, ms. */
        cacheTtlMs: z.number().int().min(100).max(3_600_000).default(5000),
        /** More numbers besides the integrations' own (local demo). */
        seed: z.array(z.object({ phone_number: E164, description: z.string().max(256).default(''), integration: IntegrationName })).default([]),
      })
      .default({ cacheTtlMs: 5000, seed: [] }),
    /** Bounds of the embedded speech helpers, shared by every call (media-core/conversation/speech/bounded-queue.ts). */
    speechQueues: SpeechQueuesConfig.default(SpeechQueuesConfig.parse({})),
    /** RTP settings of the process (./media.ts). */
    media: MediaPlaneConfig.default(MEDIA_PLANE_DEFAULTS),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    const names = new Set<string>();
    c.integrations.forEach((i, n) => {
      if (seen.has(i.number)) ctx.addIssue({ code: 'custom', path: ['integrations', n, 'number'], message: `duplicate number ${i.number}` });
      seen.add(i.number);
      const name = integrationName(i);
      if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['integrations', n, 'name'], message: `duplicate integration name ${name}` });
      names.add(name);
      if (!c.assistants[i.assistant]) ctx.addIssue({ code: 'custom', path: ['integrations', n, 'assistant'], message: `unknown assistant "${i.assistant}"` });
      if (!c.speech[i.speech]) ctx.addIssue({ code: 'custom', path: ['integrations', n, 'speech'], message: `unknown speech settings "${i.speech}"` });
    });
    c.numbers.seed.forEach((s, n) => {
      if (seen.has(s.phone_number)) ctx.addIssue({ code: 'custom', path: ['numbers', 'seed', n, 'phone_number'], message: `duplicate number ${s.phone_number}` });
      seen.add(s.phone_number);
      if (!names.has(s.integration)) ctx.addIssue({ code: 'custom', path: ['numbers', 'seed', n, 'integration'], message: `unknown integration "${s.integration}"` });
    });
  });
export type MediaCoreConfig = z.infer<typeof MediaCoreConfig>;

export { Vendor, VendorSettings };
