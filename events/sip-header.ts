/**
 * The one rule set for SIP headers and URIs that the media core sends on behalf of someone
 * else: the assistant (a remote webhook or a language model, so untrusted) or a vendor.
 * Every vendor path (adapters/sip-trunk, adapters/twilio, the Amazon Connect and NICE CXone
 * hang-up BYE) checks with it before a message is built, and the SIP serializer
 * (media-core/sip/serialize.ts) checks every message with it again as a last guard.
 *
 * Grammar, RFC 3261 section 25.1 (https://www.rfc-editor.org/rfc/rfc3261#section-25.1):
 * - `header-name = token`, `token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")`.
 * - A header value ends at CRLF; a CR or LF inside a value would end the header and start a
 *   new one (header injection; with `\r\n\r\n` a whole second request on a TCP/TLS
 *   connection: request smuggling).
 * - Values from outside input (`origin: 'external'`) may also not contain NUL or any other
 *   control character but HTAB (RFC 3261 `TEXT-UTF8char` and `LWS` allow nothing else).
 *   Headers copied from a parsed request (`origin: 'parsed'`) keep whatever the parser
 *   accepted, CR and LF excepted.
 */

/** A SIP header as received or to be sent (RFC 3261 section 7.3). Names keep their case. */
export interface SipHeader {
  name: string;
  value: string;
}

/** Case-insensitive lookup of the first header named `name` in a header list. */
export function findHeader(headers: readonly SipHeader[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const h of headers) if (h.name.toLowerCase() === lower) return h.value;
  return undefined;
}

/** Where a header value came from: outside input (strict) or a request the parser accepted. */
export type HeaderOrigin = 'external' | 'parsed';

/** RFC 3261 section 25.1 `token`. */
export const SIP_TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
/** Longest header name accepted from outside input, in characters (no real header is longer). */
export const MAX_HEADER_NAME_LENGTH = 128;

const LINE_BREAK_RE = /[\r\n]/;
// Every C0 control but HTAB, and DEL.
const CONTROL_RE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Thrown when a header or URI is unsafe to put in a SIP message. `reason` is safe to log. */
export class UnsafeSipHeaderError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnsafeSipHeaderError';
  }
}

/** A short, loggable rendering of untrusted text (escapes control characters, truncates). */
function shown(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/** True when `name` is an RFC 3261 token (a legal header name). */
export function isSipToken(name: string): boolean {
  return SIP_TOKEN_RE.test(name);
}

/**
 * What is wrong with one header, or undefined when it is safe to send.
 * @param origin 'external' (default): name a token of at most 128 characters, value without
 *   control characters but HTAB; 'parsed': name a token, value without CR or LF.
 */
export function headerProblem(h: SipHeader, origin: HeaderOrigin = 'external'): string | undefined {
  if (typeof h?.name !== 'string' || typeof h.value !== 'string') return 'header name and value must be strings';
  if (!isSipToken(h.name)) return `header name ${shown(h.name)} is not an RFC 3261 token`;
  if (origin === 'external' && h.name.length > MAX_HEADER_NAME_LENGTH) return `header name ${shown(h.name)} is over ${MAX_HEADER_NAME_LENGTH} characters`;
  if (LINE_BREAK_RE.test(h.value)) return `header ${h.name} value contains CR or LF`;
  if (origin === 'external' && CONTROL_RE.test(h.value)) return `header ${h.name} value contains a control character`;
  return undefined;
}

/**
 * Checks every header.
 * @returns the same array, for chaining.
 * @throws UnsafeSipHeaderError naming the first unsafe header.
 */
export function assertSafeHeaders<T extends SipHeader>(headers: readonly T[], origin: HeaderOrigin = 'external'): T[] {
  for (const h of headers) {
    const p = headerProblem(h, origin);
    if (p) throw new UnsafeSipHeaderError(p);
  }
  return headers as T[];
}

/**
 * What is wrong with a URI from outside input that goes into a start line or a header
 * (Refer-To, a transfer-target header), or undefined: no whitespace, control characters,
 * `<`, `>` or `"` (which would close a name-addr and open a new field).
 */
export function uriProblem(uri: string): string | undefined {
  if (typeof uri !== 'string' || uri.length === 0) return 'URI must be a non-empty string';
  if (LINE_BREAK_RE.test(uri) || CONTROL_RE.test(uri)) return `URI ${shown(uri)} contains a control character`;
  if (/[\s<>"]/.test(uri)) return `URI ${shown(uri)} contains whitespace, <, > or "`;
  return undefined;
}

/** @throws UnsafeSipHeaderError when {@link uriProblem} finds a problem. */
export function assertSafeUri(uri: string): string {
  const p = uriProblem(uri);
  if (p) throw new UnsafeSipHeaderError(p);
  return uri;
}

/**
 * Escapes a URI header name or value (RFC 3261 section 19.1.1 and 25.1, `hname` / `hvalue`:
 * hnv-unreserved / unreserved / escaped): everything else, `<`, `>`, `;`, `@`, `=`, `&`, `,`
 * and spaces among them, is %-encoded as UTF-8 bytes.
 */
export function escapeUriHeader(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/[A-Za-z0-9\-_.!~*'()[\]/?:+$]/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * `uri` with `headers` appended as URI headers, exactly as the media core sends it in a
 * Refer-To (RFC 3515 section 2.1; RFC 3261 section 19.1.1 `?name=value&...`, escaped with
 * {@link escapeUriHeader}). A vendor's length limit is measured on this string.
 */
export function withUriHeaders(uri: string, headers: readonly SipHeader[] | undefined): string {
  if (!headers?.length) return uri;
  const query = headers.map((h) => `${escapeUriHeader(h.name)}=${escapeUriHeader(h.value)}`).join('&');
  return uri + (uri.includes('?') ? '&' : '?') + query;
}
