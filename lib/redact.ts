/**
 * Redaction of personal data before it reaches a log line.
 * Caller numbers are personal data (IBM counts users by an MD5 hash for that reason:
 * https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone).
 */

const PHONE_RE = /\+?\d[\d\s().-]{5,}\d/g;

/**
 * Redacts a phone number or SIP user part, keeping the last 2 digits so support can still
 * correlate: "+15550100001" -> "+*********01". Non-strings and short values pass through.
 */
export function redactNumber(value: string | undefined): string | undefined {
  if (!value) return value;
  return value.replace(PHONE_RE, (m) => {
    const digits = m.replace(/\D/g, '');
    return (m.startsWith('+') ? '+' : '') + '*'.repeat(Math.max(0, digits.length - 2)) + digits.slice(-2);
  });
}

/**
 * Shortens a secret-ish identifier (a session history key) to its first 6 characters so it
 * can be correlated in logs without being usable: "a1b2c3d4..." -> "a1b2c3…".
 */
export function redactKey(value: string | undefined): string | undefined {
  if (!value) return value;
  return value.length <= 6 ? '…' : `${value.slice(0, 6)}…`;
}
