/**
 * The screen pop's signed view link, separate from the session history key: the key travels
 * through SIP headers, contact attributes and vendor APIs, so knowing it must not be enough
 * to read the transcript. The link carries a view token
 *
 *   view = <key> "." <expires, Unix seconds> "." <base64url HMAC-SHA256(secret, "screen-pop-view:v1:" key ":" expires)>
 *
 * (RFC 2104 HMAC, RFC 4648 section 5 base64url), minted when the call is transferred and
 * valid for a configured time after it (default 1 hour: it must outlive the queue wait). The
 * secret lives in SSM (SCREEN_POP_SECRET_PARAM) or, locally, in SCREEN_POP_SECRET.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isSessionHistoryKey } from './key.ts';

/** Query parameter of the view token. */
export const VIEW_PARAM = 'view';
/** Default validity after the transfer, seconds. */
export const DEFAULT_LINK_TTL_SECONDS = 3600;
/** Shortest secret accepted, bytes (HMAC-SHA256 keys shorter than the hash weaken it; RFC 2104 section 3). */
export const MIN_SECRET_BYTES = 32;

const TOKEN_RE = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

function mac(secret: string, key: string, expires: number): Buffer {
  return createHmac('sha256', secret).update(`screen-pop-view:v1:${key}:${expires}`).digest();
}

/**
 * The view token for `key`, valid until `nowMs + ttlSeconds`.
 * @throws RangeError for a malformed key or a secret under {@link MIN_SECRET_BYTES} bytes.
 */
export function mintViewToken(key: string, secret: string, opts: { nowMs?: number; ttlSeconds?: number } = {}): string {
  if (!isSessionHistoryKey(key)) throw new RangeError('not a session history key');
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) throw new RangeError(`screen pop secret must be at least ${MIN_SECRET_BYTES} bytes`);
  const expires = Math.floor((opts.nowMs ?? Date.now()) / 1000) + (opts.ttlSeconds ?? DEFAULT_LINK_TTL_SECONDS);
  return `${key}.${expires}.${mac(secret, key, expires).toString('base64url')}`;
}

/**
 * The signed link: `pageUrl` (the GET /agent URL) with `?view=<token>`.
 * @throws RangeError as {@link mintViewToken}.
 */
export function screenPopLink(pageUrl: string, key: string, secret: string, opts: { nowMs?: number; ttlSeconds?: number } = {}): string {
  return `${pageUrl}${pageUrl.includes('?') ? '&' : '?'}${VIEW_PARAM}=${mintViewToken(key, secret, opts)}`;
}

/**
 * The GET /agent page URL from a configured base URL. Deployments set the API's base URL
 * (AGENT_SCREEN_POP_BASE_URL or PUBLIC_BASE_URL, e.g. https://abc.execute-api.us-east-1.amazonaws.com),
 * while the local stack sets the page URL itself (http://127.0.0.1:3000/agent); both name the
 * same page, so `/agent` is appended only when it is not already the last path segment.
 * Trailing slashes are dropped.
 */
export function agentPageUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return /\/agent$/.test(base) ? base : `${base}/agent`;
}

export type ViewCheck = { ok: true; key: string; expiresAt: number } | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

/** Checks a view token (constant-time signature comparison). Never throws. */
export function verifyViewToken(token: string | undefined, secret: string, nowMs = Date.now()): ViewCheck {
  const m = TOKEN_RE.exec(token ?? '');
  if (!m) return { ok: false, reason: 'malformed' };
  const [, key, exp, sig] = m as unknown as [string, string, string, string];
  const expires = Number(exp);
  const given = Buffer.from(sig, 'base64url');
  const want = mac(secret, key, expires);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, reason: 'signature' };
  if (nowMs >= expires * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, key, expiresAt: expires };
}
