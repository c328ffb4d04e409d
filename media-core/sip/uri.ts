/**
 * SIP, SIPS and tel URIs (RFC 3261 section 19.1, RFC 3966): parse, format and escape.
 * Other schemes are kept opaque so that a request with an unsupported scheme can be
 * answered 416 (RFC 3261 section 8.2.2.1) instead of 400.
 */

/** A parsed URI. `user` and `password` are unescaped; params and headers keep raw (escaped) values. */
export interface SipUri {
  scheme: string;
  user?: string;
  password?: string;
  host: string;
  port?: number;
  /** URI parameters in order; a value of null means a flag parameter (";lr"). */
  params: Array<[string, string | null]>;
  /** URI headers (`?name=value&...`), values unescaped. */
  headers: Array<[string, string]>;
  /** For schemes other than sip/sips/tel: everything after the colon. */
  opaque?: string;
}

/** Thrown for a URI that breaks the RFC 3261 / RFC 3966 grammar. */
export class UriError extends Error {
  override name = 'UriError';
}

const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):(.+)$/s;
// RFC 3261 section 25.1: unreserved / escaped / user-unreserved.
const USER_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;
const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
const IPV6_RE = /^\[[0-9A-Fa-f:.]+\]$/;
// paramchar = param-unreserved / unreserved / escaped.
const PARAM_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
// hname/hvalue = 1*( hnv-unreserved / unreserved / escaped ); hvalue may be empty.
const HCHAR_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$]|%[0-9A-Fa-f]{2})*$/;
const OPAQUE_RE = /^[^\s<>"]+$/;

/** Decodes %XX escapes (RFC 3261 section 25.1 "escaped"); invalid escapes are kept literally. */
export function unescapeUri(s: string): string {
  if (!s.includes('%')) return s;
  // Text between escapes is copied a run at a time and escaped octets gathered in one array:
  // linear, with a few allocations rather than one per character.
  const parts: Buffer[] = [];
  let octets: number[] = [];
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x25 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      if (i > run) {
        if (octets.length) parts.push(Buffer.from(octets)), (octets = []);
        parts.push(Buffer.from(s.slice(run, i), 'utf8'));
      }
      octets.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
      run = i + 1;
    }
  }
  if (octets.length) parts.push(Buffer.from(octets));
  if (run < s.length) parts.push(Buffer.from(s.slice(run), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** Escapes a string for a URI component, keeping the characters `allowed` lets through. */
function escapeWith(s: string, allowed: RegExp): string {
  let out = '';
  for (const ch of s) {
    if (allowed.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Escapes a user part (RFC 3261 user: unreserved / user-unreserved). */
export const escapeUser = (s: string) => escapeWith(s, /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/);
/**
 * Escapes a URI header name or value (RFC 3261 hname/hvalue: hnv-unreserved / unreserved).
 * Used for Refer-To URI headers (RFC 3515 section 2.1: "sip:x@y?Replaces=..."): `<`, `>`,
 * `;`, `@`, `=`, `&`, `,` and spaces are escaped.
 */
export const escapeHeaderComponent = (s: string) => escapeWith(s, /[A-Za-z0-9\-_.!~*'()[\]/?:+$]/);

/**
 * Parses a URI. sip/sips follow RFC 3261 section 19.1.1; tel keeps the number in `user`
 * and parameters; other schemes are returned with `opaque`.
 * @throws UriError when the text is not a URI of that grammar.
 */
export function parseUri(text: string): SipUri {
  const m = SCHEME_RE.exec(text);
  if (!m) throw new UriError(`not a URI: ${JSON.stringify(text.slice(0, 80))}`);
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  if (scheme === 'tel') return parseTel(rest);
  if (scheme !== 'sip' && scheme !== 'sips') {
    if (!OPAQUE_RE.test(rest)) throw new UriError('bad absolute URI');
    return { scheme, host: '', params: [], headers: [], opaque: rest };
  }
  let hostPart = rest;
  const uri: SipUri = { scheme, host: '', params: [], headers: [] };
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    hostPart = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (!USER_RE.test(user)) throw new UriError('bad user part');
    uri.user = unescapeUri(user);
    if (colon >= 0) {
      const pw = userinfo.slice(colon + 1);
      if (!PASSWORD_RE.test(pw)) throw new UriError('bad password');
      uri.password = unescapeUri(pw);
    }
  }
  const q = hostPart.indexOf('?');
  if (q >= 0) {
    for (const kv of hostPart.slice(q + 1).split('&')) {
      const eq = kv.indexOf('=');
      const name = eq >= 0 ? kv.slice(0, eq) : kv;
      const value = eq >= 0 ? kv.slice(eq + 1) : '';
      if (!name || !HCHAR_RE.test(name) || !HCHAR_RE.test(value)) throw new UriError('bad URI header');
      uri.headers.push([unescapeUri(name), unescapeUri(value)]);
    }
    hostPart = hostPart.slice(0, q);
  }
  const parts = hostPart.split(';');
  const hostport = parts[0]!;
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    const name = eq >= 0 ? p.slice(0, eq) : p;
    const value = eq >= 0 ? p.slice(eq + 1) : null;
    if (!PARAM_RE.test(name) || (value !== null && !PARAM_RE.test(value))) throw new UriError('bad URI parameter');
    uri.params.push([name, value]);
  }
  let host = hostport;
  const portMatch = /^(.*?):(\d{1,5})$/.exec(hostport);
  if (portMatch && !hostport.endsWith(']')) {
    host = portMatch[1]!;
    uri.port = Number(portMatch[2]);
    if (uri.port > 65535) throw new UriError('bad port');
  } else if (hostport.includes(':') && !IPV6_RE.test(hostport)) {
    const v6 = /^(\[[^\]]+\]):(\d{1,5})$/.exec(hostport);
    if (!v6) throw new UriError('bad host:port');
    host = v6[1]!;
    uri.port = Number(v6[2]);
  }
  if (!HOSTNAME_RE.test(host) && !IPV6_RE.test(host)) throw new UriError('bad host');
  uri.host = host;
  return uri;
}

function parseTel(rest: string): SipUri {
  const parts = rest.split(';');
  const number = parts[0]!;
  if (!/^\+?[0-9A-Fa-f*#.()\-pPwW]+$/.test(number)) throw new UriError('bad tel number');
  const params: Array<[string, string | null]> = [];
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    params.push(eq >= 0 ? [p.slice(0, eq), p.slice(eq + 1)] : [p, null]);
  }
  return { scheme: 'tel', user: number, host: '', params, headers: [] };
}

/** Value of URI parameter `name` (case-insensitive): string, null for a flag, undefined when absent. */
export function uriParam(uri: SipUri, name: string): string | null | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of uri.params) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Formats a URI back to text, escaping the user part and URI headers. */
export function formatUri(uri: SipUri): string {
  if (uri.opaque !== undefined) return `${uri.scheme}:${uri.opaque}`;
  if (uri.scheme === 'tel') return `tel:${uri.user}${uri.params.map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`)).join('')}`;
  let s = `${uri.scheme}:`;
  if (uri.user !== undefined) s += escapeUser(uri.user) + (uri.password !== undefined ? ':' + escapeUser(uri.password) : '') + '@';
  s += uri.host;
  if (uri.port !== undefined) s += `:${uri.port}`;
  for (const [k, v] of uri.params) s += v === null ? `;${k}` : `;${k}=${v}`;
  if (uri.headers.length) s += '?' + uri.headers.map(([k, v]) => `${escapeHeaderComponent(k)}=${escapeHeaderComponent(v)}`).join('&');
  return s;
}
