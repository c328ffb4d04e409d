/**
 * Builds API Gateway HTTP API (payload 2.0) events as Twilio webhooks arrive: form-encoded
 * POST, signed with X-Twilio-Signature over the public URL, body optionally base64-encoded
 * (as API Gateway does for some content types). Used by tests, the bench and
 * generate.ts (the JSON samples for `serverless invoke local`).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';

export interface WebhookEventOptions {
  /** Path as API Gateway passes it, e.g. /twilio/receive-call. */
  path: string;
  /** Form parameters, Twilio's names. */
  params: Record<string, string>;
  /** Token to sign with; no signature header when undefined. */
  authToken?: string;
  /** URL the signature covers; default `publicBaseUrl + path`. */
  signedUrl?: string;
  /** Base URL Twilio called (default https://example.execute-api.us-east-1.amazonaws.com). */
  publicBaseUrl?: string;
  /** Query string without `?`. */
  rawQueryString?: string;
  /** Body as base64 with isBase64Encoded: true. */
  base64?: boolean;
  /** Host header API Gateway saw (internal). */
  host?: string;
  /** Replace the computed signature (forgery tests). */
  signature?: string;
}

export const SAMPLE_PUBLIC_BASE_URL = 'https://example.execute-api.us-east-1.amazonaws.com';

/** Twilio's usual voice webhook parameters for an inbound PSTN call (fake numbers, 555-01xx). */
export function voiceParams(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: 'AC00000000000000000000000000000000',
    ApiVersion: '2010-04-01',
    CallSid: 'CA11111111111111111111111111111111',
    CallStatus: 'ringing',
    Called: '+15550100002',
    Caller: '+15550100001',
    Direction: 'inbound',
    From: '+15550100001',
    To: '+15550100002',
    ...extra,
  };
}

export function twilioWebhookEvent(o: WebhookEventOptions): APIGatewayProxyEventV2 {
  const base = o.publicBaseUrl ?? SAMPLE_PUBLIC_BASE_URL;
  const qs = o.rawQueryString ?? '';
  const url = o.signedUrl ?? `${base}${o.path}${qs ? `?${qs}` : ''}`;
  const body = new URLSearchParams(o.params).toString();
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
    Host: o.host ?? new URL(base).host,
    'I-Twilio-Idempotency-Token': 'b6c0a5f6-0000-4000-8000-000000000000',
    'User-Agent': 'TwilioProxy/1.1',
  };
  const signature = o.signature ?? (o.authToken ? getExpectedTwilioSignature(o.authToken, url, o.params) : undefined);
  if (signature) headers['X-Twilio-Signature'] = signature;
  return {
    version: '2.0',
    routeKey: `POST ${o.path}`,
    rawPath: o.path,
    rawQueryString: qs,
    headers,
    queryStringParameters: qs ? Object.fromEntries(new URLSearchParams(qs)) : undefined,
    requestContext: {
      accountId: '123456789012',
      apiId: 'example',
      domainName: headers.Host!,
      domainPrefix: 'example',
      http: { method: 'POST', path: o.path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: 'TwilioProxy/1.1' },
      requestId: 'req-1',
      routeKey: `POST ${o.path}`,
      stage: '$default',
      time: '22/Nov/2026:00:00:00 +0000',
      timeEpoch: 1795305600000,
    },
    body: o.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: Boolean(o.base64),
  };
}
