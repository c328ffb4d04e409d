/**
 * The SIP message model (RFC 3261 section 7): a request or a response, an ordered header
 * list and a body. Header names keep the case they were received with, except compact
 * forms, which the parser expands (RFC 3261 section 7.3.3); lookups are case-insensitive.
 */
import type { SipHeader } from '../../events/sip-header.ts';

export type { SipHeader };

/** Fields shared by requests and responses. `body` is raw octets (Content-Length of them). */
interface SipMessageBase {
  /** Every header in received order; repeated headers are separate entries. */
  headers: SipHeader[];
  body: Buffer;
}

/** A SIP request (RFC 3261 section 7.1). */
export interface SipRequest extends SipMessageBase {
  kind: 'request';
  /** Method token, case-sensitive (RFC 3261 section 7.1). */
  method: string;
  /** Request-URI as received. */
  uri: string;
}

/** A SIP response (RFC 3261 section 7.2). */
export interface SipResponse extends SipMessageBase {
  kind: 'response';
  /** Status code 100-699. */
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** Compact header forms (RFC 3261 section 7.3.3 and the IANA SIP header registry). */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

/** Value of the first header named `name` (case-insensitive), or undefined. */
export function getHeader(msg: { headers: readonly SipHeader[] }, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const h of msg.headers) if (h.name.toLowerCase() === lower) return h.value;
  return undefined;
}

/** Every header line named `name`, in order (values not split at commas). */
export function getHeaders(msg: { headers: readonly SipHeader[] }, name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const h of msg.headers) if (h.name.toLowerCase() === lower) out.push(h.value);
  return out;
}

/**
 * Every value of a list header (Via, Route, Record-Route, Contact, Allow, Supported...), in
 * order: repeated header lines and comma-separated values are the same thing
 * (RFC 3261 section 7.3.1). Commas inside quotes or angle brackets do not split.
 */
export function getHeaderValues(msg: { headers: readonly SipHeader[] }, name: string): string[] {
  const out: string[] = [];
  for (const v of getHeaders(msg, name)) out.push(...splitCommaList(v));
  return out;
}

/** Splits a header value at top-level commas (outside "quotes" and <angle brackets>); trims parts; drops empty parts. */
export function splitCommaList(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === '<') depthAngle++;
    else if (ch === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (ch === ',' && depthAngle === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((s) => s.length > 0);
}
