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
import { INTEGRATION_MEDIA_DEFAULTS, IntegrationMediaConfig, MEDIA_PLANE_DEFAULTS, MediaPlaneConfig } from './media.ts';

/** E.164: "+", then 2-15 digits, no leading 0 (ITU-T E.164). */
export const E164 = z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 number such as +15550100001');

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
  }),
  z.object({
    provider: z.literal('watson'),
    /** wss URL of the instance, e.g. wss://api.us-south.speech-to-text.watson.cloud.ibm.com/instances/<id>. */
    url: z.string().min(1),
    model: z.string().default('en-US_NarrowbandModel'),
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
  /** Silence frames (20 ms) after speech that end it (hangover). */
  hangoverFrames: z.number().int().min(1).default(20),
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

const SipUri = z.string().regex(/^(sip|tel):/, 'must be a sip: or tel: URI');

/** Vendor settings; `vendor` picks the contact center the outcomes go to. */
export const VendorSettings = z.discriminatedUnion('vendor', [
  z.object({
    vendor: z.literal('sip_trunk'),
    /** REFER target when the assistant's service_desk.sip has no uri. */
    agentUri: SipUri.optional(),
  }),
  z.object({
    vendor: z.literal('twilio_flex'),
    /** Flex queue URI the REFER goes to (seed 001). */
    referUri: SipUri.default('sip:queue@flex.twilio.com'),
    /** The Twilio number used as SMS sender when vgwActSendSMS has no tenantPhoneNumber. */
    smsFrom: E164.optional(),
  }),
  z.object({
    vendor: z.literal('amazon_connect'),
    /** Lambda function applying outcomes (functions/amazon-connect/outcome.ts). */
    functionName: z.string().min(1),
  }),
  z.object({
    vendor: z.literal('nice_cxone'),
    functionName: z.string().min(1),
  }),
]);
export type VendorSettings = z.infer<typeof VendorSettings>;

export const IntegrationConfig = z.object({
  /** The called number this integration answers. */
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
  /** Upper bound of turns per call (a loop guard), and of consecutive post-response timeouts before hanging up. */
  maxTurns: z.number().int().min(1).max(1000).default(200),
  maxConsecutiveTimeouts: z.number().int().min(1).max(20).default(3),
  /** Media security policy (./media.ts). */
  media: IntegrationMediaConfig.default(INTEGRATION_MEDIA_DEFAULTS),
});
export type IntegrationConfig = z.infer<typeof IntegrationConfig>;

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
    /** Size of the synthesized-prompt LRU cache, entries. */
    ttsCacheEntries: z.number().int().min(0).max(100_000).default(500),
    /** RTP settings of the process (./media.ts). */
    media: MediaPlaneConfig.default(MEDIA_PLANE_DEFAULTS),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.integrations.forEach((i, n) => {
      if (seen.has(i.number)) ctx.addIssue({ code: 'custom', path: ['integrations', n, 'number'], message: `duplicate number ${i.number}` });
      seen.add(i.number);
      if (!c.assistants[i.assistant]) ctx.addIssue({ code: 'custom', path: ['integrations', n, 'assistant'], message: `unknown assistant "${i.assistant}"` });
      if (!c.speech[i.speech]) ctx.addIssue({ code: 'custom', path: ['integrations', n, 'speech'], message: `unknown speech settings "${i.speech}"` });
    });
  });
export type MediaCoreConfig = z.infer<typeof MediaCoreConfig>;

export { Vendor };
