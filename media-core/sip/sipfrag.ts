/**
 * message/sipfrag bodies of REFER NOTIFYs (RFC 3420, RFC 3515 section 2.4.5): the status
 * line of the transferred call, e.g. "SIP/2.0 180 Ringing".
 */

/** Status code and reason of a sipfrag's status line, or undefined when it is not a response fragment. */
export function parseSipfragStatus(body: string): { code: number; reason: string } | undefined {
  // A scan of the first line rather than a regular expression: the body comes from the peer.
  const text = body.trimStart();
  if (text.slice(0, 7).toUpperCase() !== 'SIP/2.0') return undefined;
  let i = 7;
  if (text[i] !== ' ' && text[i] !== '\t') return undefined;
  while (text[i] === ' ' || text[i] === '\t') i++;
  const code = text.slice(i, i + 3);
  if (!/^\d{3}$/.test(code)) return undefined;
  i += 3;
  let eol = text.length;
  for (const c of ['\r', '\n']) {
    const at = text.indexOf(c, i);
    if (at >= 0 && at < eol) eol = at;
  }
  const rest = text.slice(i, eol);
  // As the former pattern: three digits, then the end of the line or blanks and a reason.
  if (rest && rest[0] !== ' ' && rest[0] !== '\t') return { code: Number(code), reason: '' };
  return { code: Number(code), reason: rest.trim() };
}

/** Subscription-State header (RFC 6665 section 8.2.3): the state token, e.g. "active", "terminated". */
export function subscriptionState(value: string | undefined): string | undefined {
  return value?.split(';')[0]?.trim().toLowerCase();
}
