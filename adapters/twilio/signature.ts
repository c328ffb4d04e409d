/**
 * X-Twilio-Signature validation for webhooks behind API Gateway, with twilio-node's own
 * functions (deep import of twilio/lib/webhooks/webhooks, not the whole SDK).
 *
 * Twilio signs the URL exactly as it called it (our PUBLIC_BASE_URL + path + query), not the
 * URL API Gateway hands the Lambda, and API Gateway may base64-encode the body.
 * Spec: https://www.twilio.com/docs/usage/webhooks/webhooks-security
 */
import { validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js';

/** Form parameters as Twilio signs them: repeated names (MediaUrl) become arrays. */
export type FormParams = Record<string, string | string[]>;

/** The request as signed by Twilio. */
export interface SignedWebhookRequest {
  /** Full public URL with query string, as Twilio requested it. */
  url: string;
  /** X-Twilio-Signature header value; undefined when absent. */
  signature: string | undefined;
  /** Decoded request body (UTF-8 text). */
  rawBody: string;
  /** Content-Type header value. */
  contentType: string | undefined;
}

/**
 * The URL Twilio called: `publicBaseUrl` (scheme, host and any base path, no trailing slash)
 * + the request path + `?query` when there is one.
 */
export function publicWebhookUrl(publicBaseUrl: string, rawPath: string, rawQueryString?: string): string {
  const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  return `${publicBaseUrl.replace(/\/+$/, '')}${path}${rawQueryString ? `?${rawQueryString}` : ''}`;
}

/** The body as text, decoding API Gateway's base64 when `isBase64Encoded`. */
export function decodeBody(body: string | undefined | null, isBase64Encoded: boolean | undefined): string {
  if (!body) return '';
  return isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/** Parses application/x-www-form-urlencoded text; repeated names become arrays in order. */
export function parseForm(raw: string): FormParams {
  const out: FormParams = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

/**
 * true when `req.signature` is Twilio's signature of the request under `authToken`.
 * A URL carrying `bodySHA256` is a JSON-body webhook: the signature covers the URL and the
 * body must hash to that value (validateRequestWithBody); otherwise the form parameters are
 * signed (validateRequest). A missing signature or an unparseable URL is invalid.
 */
export function isValidTwilioSignature(authToken: string, req: SignedWebhookRequest): boolean {
  if (!req.signature) return false;
  try {
    if (/[?&]bodySHA256=/.test(req.url)) return validateRequestWithBody(authToken, req.signature, req.url, req.rawBody);
    const isForm = !req.contentType || /^application\/x-www-form-urlencoded/i.test(req.contentType);
    return validateRequest(authToken, req.signature, req.url, isForm ? parseForm(req.rawBody) : {});
  } catch {
    return false;
  }
}
