/**
 * The CXone contact-token mint (the script's REST action, before Sipputheader and Placecall):
 * POST /nice-cxone/contact-token with header `x-api-key: <key>` and JSON body
 * `{"contactId": "<the script's ContactID>"}` answers 200
 * `{"contactToken": "ct1....", "expiresAt": <epoch s>}`; the script puts the token in the
 * X-Contact-Token header next to X-ContactID.
 *
 * The API key is compared in constant time (SHA-256 of both sides, then
 * crypto.timingSafeEqual, so neither the content nor the length leaks through timing): a
 * missing or wrong key answers 403 and nothing else happens. A body that is not JSON, or a
 * contactId that is not a CXone contact id (digits), answers 400.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { mintContactToken } from '../../lib/contact-token.ts';
import { cxoneTokenVendor, isCxoneContactId } from './contact-id.ts';

/** Largest request body read, bytes. */
export const MAX_MINT_BODY_BYTES = 1024;

/** true when `given` equals `expected`, in time independent of both values. */
export function apiKeyMatches(given: string | undefined, expected: string): boolean {
  const a = createHash('sha256').update(given ?? '').digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given !== undefined && expected.length > 0;
}

export interface MintRequest {
  /** The x-api-key header value. */
  apiKey: string | undefined;
  /** Raw body, base64 undone. */
  body: string | undefined;
}

export interface MintSettings {
  apiKey: string;
  secret: string;
  ttlSeconds: number;
  /** Epoch ms (tests). */
  now?: number;
}

export type MintResponse = { status: 200; body: { contactToken: string; expiresAt: number }; contactId: string } | { status: 400 | 403; body: { error: string } };

/** Answers one mint request. Never throws for bad input. */
export function mintForRequest(req: MintRequest, s: MintSettings): MintResponse {
  if (!apiKeyMatches(req.apiKey, s.apiKey)) return { status: 403, body: { error: 'Forbidden' } };
  if (!req.body || Buffer.byteLength(req.body, 'utf8') > MAX_MINT_BODY_BYTES) return { status: 400, body: { error: `body must be JSON {"contactId": "<digits>"} of at most ${MAX_MINT_BODY_BYTES} bytes` } };
  let contactId: unknown;
  try {
    contactId = (JSON.parse(req.body) as { contactId?: unknown })?.contactId;
  } catch {
    return { status: 400, body: { error: 'body is not JSON' } };
  }
  // Studio variables are text, but a script may send the number as a JSON number.
  if (typeof contactId === 'number' && Number.isSafeInteger(contactId)) contactId = String(contactId);
  if (!isCxoneContactId(contactId)) return { status: 400, body: { error: 'contactId must be a CXone contact id (digits)' } };
  const { token, expiresAt } = mintContactToken({ vendor: cxoneTokenVendor, contactId, secret: s.secret, ttlSeconds: s.ttlSeconds, now: s.now });
  return { status: 200, body: { contactToken: token, expiresAt }, contactId };
}
