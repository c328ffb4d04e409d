/**
 * The contact token: proof that a call arriving at the media core belongs to a contact the
 * contact center's own flow or script handed over, so that a contact id in an INVITE header
 * cannot be forged. One format and one verifier for every vendor:
 *
 *     ct1.<contact id>.<expiry, epoch s>.<MAC>
 *
 * MAC = the first 128 bits of HMAC-SHA256(secret, "ct1|<vendor>|<contact id>|<expiry>"),
 * base64url (RFC 2104; section 5 allows truncating to half the hash output). The vendor is in
 * the MAC, not in the token, so a token minted for one vendor never verifies for another.
 * Contact ids are checked against the vendor's format on both sides (the caller's
 * {@link TokenVendor}, adapters/<vendor>/contact-id.ts) and contain no ".", so the token splits
 * unambiguously. A Connect token is 73 characters, a CXone
 * token at most 57: small enough for User-to-User (146 hex digits) or an X- header.
 *
 * Who mints: the Amazon Connect flow's Lambda (functions/amazon-connect/contact-flow.ts) and
 * the CXone mint endpoint (functions/nice-cxone/contact-token.ts). Who verifies: the media core
 * when the INVITE arrives (media-core/conversation/contact.ts), which then binds the contact to
 * the call, so a conversation may outlive the token.
 *
 * The secret is 32 bytes or more (SSM SecureString in AWS, CONTACT_TOKEN_SECRET locally).
 * Verification accepts a list of secrets, so a new secret can be rolled out before the old one
 * is retired.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A vendor whose contacts carry tokens: its id (bound into the MAC) and its contact id format. */
export interface TokenVendor {
  /** The vendor id, e.g. 'amazon_connect'; a token minted for one id never verifies for another. */
  id: string;
  /** Whether `id` is one of the vendor's contact ids (bounded, no "."). */
  isContactId(id: unknown): id is string;
}

/** Version tag, first field of every token. */
export const CONTACT_TOKEN_VERSION = 'ct1';
/** Shortest secret accepted, in bytes (UTF-8). */
export const MIN_SECRET_BYTES = 32;
/** Longest lifetime a token may have, in s (mint refuses more, verify refuses a later expiry). */
export const MAX_TOKEN_TTL_SECONDS = 900;
/** Default lifetime, in s: the INVITE follows the flow block or Placecall within seconds. */
export const DEFAULT_TOKEN_TTL_SECONDS = 120;
/** Longest token accepted by the verifier, in characters (bounds the work on hostile input). */
export const MAX_TOKEN_LENGTH = 128;

const MAC_BYTES = 16;

/** Thrown by {@link mintContactToken} for a bad secret, contact id or lifetime. */
export class ContactTokenError extends Error {
  override name = 'ContactTokenError';
}

function mac(secret: string, vendor: string, contactId: string, exp: number): Buffer {
  return createHmac('sha256', secret).update(`${CONTACT_TOKEN_VERSION}|${vendor}|${contactId}|${exp}`).digest().subarray(0, MAC_BYTES);
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new ContactTokenError(`the contact token secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
}

export interface MintOptions {
  vendor: TokenVendor;
  contactId: string;
  secret: string;
  /** Lifetime in s, 1..MAX_TOKEN_TTL_SECONDS (default 120). */
  ttlSeconds?: number;
  /** Epoch ms (default now). */
  now?: number;
}

/**
 * Mints a token for `contactId`.
 * @returns the token and its expiry (epoch s).
 * @throws ContactTokenError when the secret is short, the id is not the vendor's format or the lifetime is out of range.
 */
export function mintContactToken(o: MintOptions): { token: string; expiresAt: number } {
  checkSecret(o.secret);
  if (!o.vendor.isContactId(o.contactId) || o.contactId.includes('.')) throw new ContactTokenError(`not a ${o.vendor.id} contact id`);
  const ttl = o.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) throw new ContactTokenError(`token lifetime must be 1-${MAX_TOKEN_TTL_SECONDS} s`);
  const exp = Math.floor((o.now ?? Date.now()) / 1000) + ttl;
  const token = `${CONTACT_TOKEN_VERSION}.${o.contactId}.${exp}.${mac(o.secret, o.vendor.id, o.contactId, exp).toString('base64url')}`;
  return { token, expiresAt: exp };
}

/** Why a token was refused (safe to log; never contains the token). */
export type ContactTokenRefusal = 'missing' | 'malformed' | 'bad_contact_id' | 'bad_mac' | 'expired' | 'too_far_ahead';

export type VerifyResult =
  | { ok: true; contactId: string; /** epoch s */ expiresAt: number }
  | { ok: false; reason: ContactTokenRefusal };

export interface VerifyOptions {
  vendor: TokenVendor;
  /** Current secret first; older ones while rotating. */
  secrets: readonly string[];
  /** Epoch ms (default now). */
  now?: number;
  /** Clock skew tolerated past the expiry, s (default 5). */
  leewaySeconds?: number;
}

/**
 * Verifies a token in constant time per secret (crypto.timingSafeEqual over the MAC).
 * Linear in the token's length, which is capped at {@link MAX_TOKEN_LENGTH}.
 */
export function verifyContactToken(token: string | undefined, o: VerifyOptions): VerifyResult {
  if (!token) return { ok: false, reason: 'missing' };
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== CONTACT_TOKEN_VERSION) return { ok: false, reason: 'malformed' };
  const [, contactId, expRaw, macRaw] = parts as [string, string, string, string];
  if (!/^\d{1,12}$/.test(expRaw) || !/^[A-Za-z0-9_-]{22}$/.test(macRaw)) return { ok: false, reason: 'malformed' };
  if (!o.vendor.isContactId(contactId)) return { ok: false, reason: 'bad_contact_id' };
  const exp = Number(expRaw);
  const given = Buffer.from(macRaw, 'base64url');
  if (given.length !== MAC_BYTES) return { ok: false, reason: 'malformed' };
  let match = false;
  for (const secret of o.secrets) {
    if (!secret || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) continue;
    // No early exit: every configured secret is tried, so timing does not tell which matched.
    if (timingSafeEqual(mac(secret, o.vendor.id, contactId, exp), given)) match = true;
  }
  if (!match) return { ok: false, reason: 'bad_mac' };
  const nowS = Math.floor((o.now ?? Date.now()) / 1000);
  if (nowS > exp + (o.leewaySeconds ?? 5)) return { ok: false, reason: 'expired' };
  // An authentic token expiring further out than any mint allows means a misconfigured minter.
  if (exp - nowS > MAX_TOKEN_TTL_SECONDS + (o.leewaySeconds ?? 5)) return { ok: false, reason: 'too_far_ahead' };
  return { ok: true, contactId, expiresAt: exp };
}
