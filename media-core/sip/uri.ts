/**
 * SIP, SIPS and tel URIs (RFC 3261 section 19.1, RFC 3966): parse, format and escape.
 * Other schemes are kept opaque so that a request with an unsupported scheme can be
 * answered 416 (RFC 3261 section 8.2.2.1) instead of 400.
 */
import { escapeUriHeader } from '../../events/sip-header.ts';

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

// Every check below is a single character class or a hand-written scan: no nested or
// overlapping quantifiers on peer input, so each runs in time linear in the text.
const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// RFC 3261 section 25.1: unreserved / escaped / user-unreserved (escapes checked by escapesValid).
const USER_CHARS = /^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$/;
const PASSWORD_CHARS = /^[A-Za-z0-9\-_.!~*'()&=+$,%]*$/;
const IPV6_RE = /^\[[0-9A-Fa-f:.]+\]$/;
// paramchar = param-unreserved / unreserved / escaped.
const PARAM_CHARS = /^[A-Za-z0-9\-_.!~*'()[\]/:&+$%]+$/;
// hname/hvalue = 1*( hnv-unreserved / unreserved / escaped ); hvalue may be empty.
const HCHARS = /^[A-Za-z0-9\-_.!~*'()[\]/?:+$%]*$/;
const OPAQUE_RE = /^[^\s<>"]+$/;

/** Every "%" in `s` starts an escape of two hex digits (RFC 3261 section 25.1 "escaped"). */
function escapesValid(s: string): boolean {
  // A char-code loop, not indexOf per "%": a text of thousands of escapes is one pass.
  const n = s.length;
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) === 0x25) {
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
    }
  }
  return true;
}

/** `s` matches `chars` (one character class) and its escapes are well formed. */
const escapedText = (s: string, chars: RegExp) => chars.test(s) && escapesValid(s);

/** RFC 3261 hostname: dot-separated labels of letters, digits and inner hyphens, an optional final dot. */
function isHostname(h: string): boolean {
  const labels = (h.endsWith('.') ? h.slice(0, -1) : h).split('.');
  for (const l of labels) {
    if (!l || !/^[A-Za-z0-9-]+$/.test(l) || l.startsWith('-') || l.endsWith('-')) return false;
  }
  return true;
}

/** Decodes %XX escapes (RFC 3261 section 25.1 "escaped"); invalid escapes are kept literally. */
export function unescapeUri(s: string): string {
  if (!s.includes('%')) return s;
  // One output buffer (an escape is 3 chars for 1 octet, any other UTF-16 unit at most 3
  // octets), filled by char code: a string of thousands of escapes costs no allocation per
  // escape. ASCII is copied octet by octet and each run of other characters is UTF-8
  // encoded whole (surrogate pairs stay together), the same octets as encoding all text
  // between escapes at once.
  const n = s.length;
  const out = Buffer.allocUnsafe(n * 3);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const h = s.charCodeAt(i + 1);
      const l = s.charCodeAt(i + 2);
      if (isHex(h) && isHex(l)) {
        out[pos++] = (hexValue(h) << 4) | hexValue(l);
        i += 2;
      } else out[pos++] = c;
    } else if (c < 0x80) out[pos++] = c;
    else {
      let j = i + 1;
      while (j < n && s.charCodeAt(j) >= 0x80) j++;
      pos += out.write(s.slice(i, j), pos, 'utf8');
      i = j - 1;
    }
  }
  return out.toString('utf8', 0, pos);
}

const hexValue = (c: number) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
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
 * Parses a URI. sip/sips follow RFC 3261 section 19.1.1; tel keeps the number in `user`
 * and parameters; other schemes are returned with `opaque`.
 * @throws UriError when the text is not a URI of that grammar.
 */
export function parseUri(text: string): SipUri {
  const m = SCHEME_RE.exec(text);
  if (!m || m[0].length === text.length) throw new UriError(`not a URI: ${JSON.stringify(text.slice(0, 80))}`);
  const scheme = m[1]!.toLowerCase();
  const rest = text.slice(m[0].length);
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
    if (!escapedText(user, USER_CHARS)) throw new UriError('bad user part');
    uri.user = unescapeUri(user);
    if (colon >= 0) {
      const pw = userinfo.slice(colon + 1);
      if (!escapedText(pw, PASSWORD_CHARS)) throw new UriError('bad password');
      uri.password = unescapeUri(pw);
    }
  }
  const q = hostPart.indexOf('?');
  if (q >= 0) {
    for (const kv of hostPart.slice(q + 1).split('&')) {
      const eq = kv.indexOf('=');
      const name = eq >= 0 ? kv.slice(0, eq) : kv;
      const value = eq >= 0 ? kv.slice(eq + 1) : '';
      if (!name || !escapedText(name, HCHARS) || !escapedText(value, HCHARS)) throw new UriError('bad URI header');
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
    if (!escapedText(name, PARAM_CHARS) || (value !== null && !escapedText(value, PARAM_CHARS))) throw new UriError('bad URI parameter');
    uri.params.push([name, value]);
  }
  let host = hostport;
  // host ":" port, the port being the digits after the first colon (a hostname or IPv4 has no colon).
  const colon = hostport.indexOf(':');
  const portText = colon >= 0 ? hostport.slice(colon + 1) : '';
  if (colon >= 0 && !hostport.startsWith('[') && /^\d{1,5}$/.test(portText)) {
    host = hostport.slice(0, colon);
    uri.port = Number(portText);
    if (uri.port > 65535) throw new UriError('bad port');
  } else if (hostport.includes(':') && !IPV6_RE.test(hostport)) {
    const v6 = /^(\[[^\]]+\]):(\d{1,5})$/.exec(hostport);
    if (!v6) throw new UriError('bad host:port');
    host = v6[1]!;
    uri.port = Number(v6[2]);
    if (uri.port > 65535) throw new UriError('bad port');
    if (uri.port > 65535) throw new UriError('bad port');
  }
  if (!isHostname(host) && !IPV6_RE.test(host)) throw new UriError('bad host');
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
  if (uri.headers.length) s += '?' + uri.headers.map(([k, v]) => `${escapeUriHeader(k)}=${escapeUriHeader(v)}`).join('&');
  return s;
}
