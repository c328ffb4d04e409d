/**
 * Parsing of Twilio's `ReferTransferTarget` (the Refer-To of the REFER the media core sent)
 * and extraction of the session history key.
 *
 * Shapes seen: `sip:queue@flex.twilio.com?X-A=1&X-B=2`, the same inside `<...>` (optionally
 * with a display name or parameters after `>`), `tel:+1555...`, header values percent-encoded
 * (RFC 3261 §19.1.1 URI headers), User-to-User carrying the key (RFC 7433 `;encoding=hex`,
 * the default, or `;encoding=ascii`), itself possibly percent-encoded once more.
 * Spec: twilio.com/docs/voice/twiml/dial#referurl; refer-handler in https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-flex.
 */
import { TwilioInputError } from './errors.ts';
import type { SipHeader } from '../../events/sip-header.ts';

/** Header the phone integration puts the key in when User-to-User is taken by the assistant. */
export const SESSION_HISTORY_KEY_HEADER = 'X-Watson-Assistant-Session-History-Key';

/** A parsed ReferTransferTarget. */
export interface ReferTransferTarget {
  /** The URI without its `?headers` part, e.g. `sip:queue@flex.twilio.com`. */
  uri: string;
  scheme: 'sip' | 'sips' | 'tel' | 'other';
  /** URI headers in order, names and values percent-decoded. */
  headers: SipHeader[];
  /** The session history key, when one was found. */
  sessionHistoryKey?: string;
  /** Where the key came from. */
  keySource?: 'header' | 'user-to-user';
}

/** decodeURIComponent that leaves a malformed escape as it is instead of throwing. */
function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The addr-spec inside `<...>` when the value is a name-addr, else the value itself. */
function addrSpec(value: string): string {
  const open = value.indexOf('<');
  if (open === -1) return value;
  const close = value.indexOf('>', open + 1);
  return value.slice(open + 1, close === -1 ? undefined : close);
}

/**
 * Decodes a User-to-User value (RFC 7433): `data;encoding=hex` (the default when no
 * encoding is given) or `data;encoding=ascii`. @returns the text, or undefined when the
 * data is empty or not valid hex.
 */
export function decodeUserToUser(value: string): string | undefined {
  let v = value.trim();
  // Some senders escape the whole value once more inside the URI headers.
  if (!v.includes(';') && /%3b/i.test(v)) v = decode(v);
  const [data = '', ...params] = v.split(';').map((p) => p.trim());
  const encoding = params
    .map((p) => p.split('='))
    .find(([name]) => name?.toLowerCase() === 'encoding')?.[1]
    ?.toLowerCase();
  if (!data) return undefined;
  if (encoding === 'ascii') return data;
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(data)) return undefined;
  const text = Buffer.from(data, 'hex').toString('utf8');
  return text || undefined;
}

/** A key must be printable text; anything else is ignored rather than forwarded to Studio. */
function usableKey(k: string | undefined): string | undefined {
  if (!k) return undefined;
  const t = k.trim();
  return t && t.length <= 1024 && !/[\u0000-\u001f\u007f]/.test(t) ? t : undefined;
}

/**
 * Parses a ReferTransferTarget value.
 * @throws TwilioInputError (400) when the value is missing or empty.
 */
export function parseReferTransferTarget(value: unknown): ReferTransferTarget {
  if (typeof value !== 'string' || value.trim() === '') throw new TwilioInputError('ReferTransferTarget is required');
  let spec = addrSpec(value.trim()).trim();
  // A target that arrives percent-encoded as a whole (`sip%3Aqueue%40...`) is decoded once.
  if (/^(sips?|tel)%3a/i.test(spec)) spec = decode(spec);
  const q = spec.indexOf('?');
  const uri = q === -1 ? spec : spec.slice(0, q);
  const scheme = (/^(sips?|tel):/i.exec(uri)?.[1]?.toLowerCase() ?? 'other') as ReferTransferTarget['scheme'];
  const headers: SipHeader[] = [];
  if (q !== -1) {
    for (const part of spec.slice(q + 1).split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const name = decode(eq === -1 ? part : part.slice(0, eq)).trim();
      if (!name) continue;
      headers.push({ name, value: eq === -1 ? '' : decode(part.slice(eq + 1)) });
    }
  }
  const find = (n: string) => headers.find((h) => h.name.toLowerCase() === n.toLowerCase())?.value;
  const fromHeader = usableKey(find(SESSION_HISTORY_KEY_HEADER));
  if (fromHeader) return { uri, scheme, headers, sessionHistoryKey: fromHeader, keySource: 'header' };
  const uui = find('User-to-User');
  const fromUui = usableKey(uui === undefined ? undefined : decodeUserToUser(uui));
  if (fromUui) return { uri, scheme, headers, sessionHistoryKey: fromUui, keySource: 'user-to-user' };
  return { uri, scheme, headers };
}
