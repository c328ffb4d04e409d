/**
 * Rejects any request whose X-Twilio-Signature does not match (403, nothing else runs) and
 * leaves the decoded body (base64 undone) in `event.body` for the body parser that follows.
 * The URL checked is the public one Twilio called (publicBaseUrl + rawPath + rawQueryString),
 * never the Host API Gateway saw. Needs lower-cased headers (@middy/http-header-normalizer).
 * Spec: twilio.com/docs/usage/webhooks/webhooks-security
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { decodeBody, isValidTwilioSignature, publicWebhookUrl } from '../../adapters/twilio/signature.ts';
import { respondEarly } from './metrics.ts';

export interface TwilioSignatureOptions<TContext extends Context> {
  /** The auth token (from the loaded config). */
  authToken: (request: Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, TContext>) => string;
  /** Public base URL, no trailing slash. */
  publicBaseUrl: (request: Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, TContext>) => string;
  /** Told about each rejection (no secrets passed). */
  onReject?: (reason: 'missing' | 'invalid', url: string) => void;
}

/** The 403 answered to unsigned or forged requests. */
export const FORBIDDEN: APIGatewayProxyStructuredResultV2 = {
  statusCode: 403,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'Forbidden',
};

export function twilioSignature<TContext extends Context>(
  opts: TwilioSignatureOptions<TContext>,
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, TContext> {
  return {
    name: 'twilioSignature',
    before: async (request) => {
      const { event } = request;
      const rawBody = decodeBody(event.body, event.isBase64Encoded);
      const url = publicWebhookUrl(opts.publicBaseUrl(request), event.rawPath, event.rawQueryString);
      const signature = event.headers?.['x-twilio-signature'];
      const ok = isValidTwilioSignature(opts.authToken(request), { url, signature, rawBody, contentType: event.headers?.['content-type'] });
      if (!ok) {
        opts.onReject?.(signature ? 'invalid' : 'missing', url);
        return respondEarly(request, { ...FORBIDDEN, headers: { ...FORBIDDEN.headers } });
      }
      event.body = rawBody;
      event.isBase64Encoded = false;
      return undefined;
    },
  };
}
