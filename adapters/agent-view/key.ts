/**
 * Shape check of a session history key before any storage lookup: lib/store/session-history.ts
 * makes keys of 128 random bits encoded as 22 base64url characters (RFC 4648 section 5, no padding).
 */
const KEY_RE = /^[A-Za-z0-9_-]{22}$/;

/** true when `value` has the shape of a session history key. */
export function isSessionHistoryKey(value: unknown): value is string {
  return typeof value === 'string' && KEY_RE.test(value);
}
