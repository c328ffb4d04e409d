/**
 * message/sipfrag bodies of REFER NOTIFYs (RFC 3420, RFC 3515 section 2.4.5): the status
 * line of the transferred call, e.g. "SIP/2.0 180 Ringing".
 */

/** Status code and reason of a sipfrag's status line, or undefined when it is not a response fragment. */
export function parseSipfragStatus(body: string): { code: number; reason: string } | undefined {
  const m = /^\s*SIP\/2\.0[ \t]+(\d{3})(?:[ \t]+([^\r\n]*))?/i.exec(body);
  if (!m) return undefined;
  return { code: Number(m[1]), reason: (m[2] ?? '').trim() };
}

/** Subscription-State header (RFC 6665 section 8.2.3): the state token, e.g. "active", "terminated". */
export function subscriptionState(value: string | undefined): string | undefined {
  return value?.split(';')[0]?.trim().toLowerCase();
}
