/**
 * Twilio settings from environment variables, validated once per cold start with lib/env.ts.
 *
 * | variable                | used by                     | meaning |
 * |-------------------------|-----------------------------|---------|
 * | PUBLIC_BASE_URL         | both webhooks               | base URL Twilio calls (e.g. https://abc.execute-api.us-east-1.amazonaws.com), the signature covers it |
 * | MEDIA_CORE_SIP_HOST     | receive-call                | host[:port] of the media core's SIP URI |
 * | SIP_SECURE              | receive-call                | "true" (default): `;secure=true` (TLS + SRTP); "false": plain SIP |
 * | SIP_TRANSPORT           | receive-call                | tcp (default) or udp, only when SIP_SECURE=false |
 * | TWILIO_REFER_URL        | receive-call                | referUrl; default PUBLIC_BASE_URL + /twilio/refer-handler |
 * | STUDIO_FLOW_WEBHOOK_URL | refer-handler               | the Studio flow's Trigger WEBHOOK URL |
 * | TWILIO_AUTH_TOKEN       | all (local)                 | the auth token; wins over the SSM parameter when set |
 * | TWILIO_AUTH_TOKEN_PARAM | all (AWS)                   | SSM SecureString parameter name holding the auth token |
 * | TWILIO_ACCOUNT_SID      | SMS, test connection        | AC + 32 hex digits |
 * | TWILIO_API_BASE_URL     | SMS, test connection        | default https://api.twilio.com (a sandbox URL in tests) |
 * | STATE_TABLE             | refer-handler               | the state table, where message_to_human_agent is read by key (unset: not read) |
 * | DYNAMODB_ENDPOINT       | refer-handler               | DynamoDB endpoint override (dynalite locally) |
 */
// zod/mini rather than zod: the classic build cannot be tree-shaken and would add 450 KB to
// each webhook bundle (cold start); mini adds about 18 KB.
import * as z from 'zod/mini';
import { ConfigError, loadEnv } from '../../lib/env.ts';

type Env = Record<string, string | undefined>;

const required = { error: (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : 'must be a string') };

const httpUrl = z.pipe(
  z.string(required).check(z.regex(/^https?:\/\/[^\s/?#]+[^\s]*$/i, 'must be an http(s) URL')),
  z.transform((u: string) => u.replace(/\/+$/, '')),
);

/** RFC 3261 hostport: a DNS name, IPv4 or [IPv6], optional :port. */
const sipHostPort = z
  .string(required)
  .check(z.regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/, 'must be a SIP host[:port]'));

const bool = z.pipe(
  z._default(z.enum(['true', 'false'], { error: 'must be true or false' }), 'true'),
  z.transform((v: 'true' | 'false') => v === 'true'),
);

const authTokenVars = {
  TWILIO_AUTH_TOKEN: z.optional(z.string()),
  TWILIO_AUTH_TOKEN_PARAM: z.optional(z.string().check(z.regex(/^\/?[A-Za-z0-9_.\-/]+$/, 'must be an SSM parameter name'))),
};

export const ReceiveCallEnv = z.object({
  PUBLIC_BASE_URL: httpUrl,
  MEDIA_CORE_SIP_HOST: sipHostPort,
  SIP_SECURE: bool,
  SIP_TRANSPORT: z._default(z.enum(['tcp', 'udp'], { error: 'must be tcp or udp' }), 'tcp'),
  TWILIO_REFER_URL: z.optional(httpUrl),
  ...authTokenVars,
});

export const ReferHandlerEnv = z.object({
  PUBLIC_BASE_URL: httpUrl,
  STUDIO_FLOW_WEBHOOK_URL: httpUrl,
  STATE_TABLE: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'))),
  DYNAMODB_ENDPOINT: z.optional(httpUrl),
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'us-east-1'),
  ...authTokenVars,
});

export const TwilioRestEnv = z.object({
  TWILIO_ACCOUNT_SID: z.string(required).check(z.regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits')),
  TWILIO_API_BASE_URL: z._default(httpUrl, 'https://api.twilio.com'),
  ...authTokenVars,
});

/** lib/env.ts's loadEnv (typed for zod/mini and classic zod alike). */
function load<S extends z.ZodMiniObject>(schema: S, env: Env): z.infer<S> {
  return loadEnv(schema, env);
}

/** Where the auth token comes from: the value itself (local) or an SSM parameter name (AWS). */
export type AuthTokenSource = { token: string } | { parameterName: string };

/** Settings of the receive-call webhook. URLs have no trailing slash. */
export interface ReceiveCallConfig {
  publicBaseUrl: string;
  sipHost: string;
  secure: boolean;
  transport: 'tcp' | 'udp';
  referUrl: string;
  authToken: AuthTokenSource;
}

/** Settings of the refer-handler webhook. */
export interface ReferHandlerConfig {
  publicBaseUrl: string;
  studioFlowWebhookUrl: string;
  authToken: AuthTokenSource;
  /** Where message_to_human_agent is read; absent: the flow gets no message. */
  sessionTable?: { table: string; endpoint?: string; region: string };
}

/** Settings of the Twilio REST client (Messages, Accounts). */
export interface TwilioRestConfig {
  accountSid: string;
  apiBaseUrl: string;
  authToken: AuthTokenSource;
}

function tokenSource(v: { TWILIO_AUTH_TOKEN?: string; TWILIO_AUTH_TOKEN_PARAM?: string }): AuthTokenSource {
  // The env value wins so that a local run never needs AWS.
  if (v.TWILIO_AUTH_TOKEN) return { token: v.TWILIO_AUTH_TOKEN };
  if (v.TWILIO_AUTH_TOKEN_PARAM) return { parameterName: v.TWILIO_AUTH_TOKEN_PARAM };
  throw new ConfigError(['TWILIO_AUTH_TOKEN', 'TWILIO_AUTH_TOKEN_PARAM'], 'TWILIO_AUTH_TOKEN or TWILIO_AUTH_TOKEN_PARAM: one is required');
}

/** @throws ConfigError naming each missing or malformed variable. */
export function loadReceiveCallConfig(env: Env = process.env): ReceiveCallConfig {
  const v = load(ReceiveCallEnv, env);
  return {
    publicBaseUrl: v.PUBLIC_BASE_URL,
    sipHost: v.MEDIA_CORE_SIP_HOST,
    secure: v.SIP_SECURE,
    transport: v.SIP_TRANSPORT,
    referUrl: v.TWILIO_REFER_URL ?? `${v.PUBLIC_BASE_URL}/twilio/refer-handler`,
    authToken: tokenSource(v),
  };
}

/** @throws ConfigError naming each missing or malformed variable. */
export function loadReferHandlerConfig(env: Env = process.env): ReferHandlerConfig {
  const v = load(ReferHandlerEnv, env);
  return {
    publicBaseUrl: v.PUBLIC_BASE_URL,
    studioFlowWebhookUrl: v.STUDIO_FLOW_WEBHOOK_URL,
    authToken: tokenSource(v),
    ...(v.STATE_TABLE ? { sessionTable: { table: v.STATE_TABLE, endpoint: v.DYNAMODB_ENDPOINT, region: v.AWS_REGION } } : {}),
  };
}

/** @throws ConfigError naming each missing or malformed variable. */
export function loadTwilioRestConfig(env: Env = process.env): TwilioRestConfig {
  const v = load(TwilioRestEnv, env);
  return { accountSid: v.TWILIO_ACCOUNT_SID, apiBaseUrl: v.TWILIO_API_BASE_URL, authToken: tokenSource(v) };
}
