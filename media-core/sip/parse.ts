/**
 * SIP message parser (RFC 3261 sections 7 and 25) with the strictness RFC 4475 asks for:
 * a malformed request becomes a {@link SipParseFailure} carrying what was readable, so the
 * caller can answer 400 when the top Via can route a response, and drop it otherwise.
 */
import { COMPACT_FORMS, getHeader, getHeaders, type SipHeader, type SipMessage } from './message.ts';
import { HeaderSyntaxError, isToken, parseCSeq, parseNameAddr, parseVias } from './header-values.ts';
import { parseUri, UriError } from './uri.ts';

/** Parser limits. Defaults suit a UDP datagram (64 KB); streams pass their own. */
export interface ParseLimits {
  /** Largest whole message, bytes. */
  maxMessageBytes: number;
  /** Most header lines (after unfolding). */
  maxHeaders: number;
  /** Largest header section (start line and headers, up to and including the empty line), bytes. Default {@link MAX_HEADER_BYTES}. */
  maxHeaderBytes?: number;
  /** true for a UDP datagram (the datagram's end may end a header-only message). */
  datagram?: boolean;
  /** Skip the header value checks (tools and tests reading what a peer echoed back). */
  lenient?: boolean;
}

/**
 * Largest header section accepted, bytes (16 KB). RFC 3261 sets no limit; real requests
 * stay under 4 KB (RFC 4475's longreq.dat, 34 Vias, is 3.4 KB), and a cap bounds the work
 * any one message can cause before it is refused.
 */
export const MAX_HEADER_BYTES = 16_384;

/** Most Via values in one request, and longest Via header line, bytes: beyond them the request is answered 400. */
export const MAX_VIAS = 70;
export const MAX_VIA_LINE_BYTES = 2048;
/** Most Contact, Route or Record-Route values in one request (each is parsed as a URI). */
export const MAX_LIST_VALUES = 64;

export const DEFAULT_LIMITS: ParseLimits = { maxMessageBytes: 65535, maxHeaders: 256, maxHeaderBytes: MAX_HEADER_BYTES, datagram: true };

/** Why a message was refused and what could still be read from it. */
export interface SipParseFailure {
  ok: false;
  /** 400 Bad Request, 505 Version Not Supported, 413 Request Entity Too Large. */
  status: number;
  reason: string;
  /** The request line's method when readable (responses are never answered). */
  method?: string;
  /** Headers read before the failure (enough to route a 400 if Via parsed); never a header line with a bare CR, LF or control octet. */
  headers: SipHeader[];
  isResponse: boolean;
}

export type ParseResult = { ok: true; message: SipMessage } | SipParseFailure;

// Each regular expression below runs on one line already cut to at most MAX_HEADER_BYTES, and
// none has nested or overlapping quantifiers: matching is linear in the line's length.
const METHOD_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const REQUEST_LINE_RE = /^([^ ]+) ([^ ]+) ([^ ]+)$/;
const STATUS_LINE_RE = /^SIP\/(\d+\.\d+) (\d{3}) (.*)$/is;
/** Headers that may appear at most once (RFC 3261 section 20 and RFC 4475 section 3.3.8). */
const SINGLE_HEADERS = ['to', 'from', 'call-id', 'cseq', 'max-forwards', 'content-length', 'content-type'];

/**
 * Index just after the CRLFCRLF that ends the header section, or -1. Searches from `from`
 * (a caller resuming a search passes where it stopped, minus 3). Linear in the octets searched.
 */
export function headerEnd(buf: Buffer, from = 0): number {
  const i = buf.indexOf('\r\n\r\n', from, 'latin1');
  return i < 0 ? -1 : i + 4;
}

/**
 * The header section's lines as offsets into its decoded text: line k is
 * text[bounds[3k], bounds[3k + 1]) (CRLF removed), bounds[3k + 2] is the offset of its
 * first colon (-1 if none; not kept for the start line and continuation lines) and
 * bads?.[k] says why it may not be used. Offsets in one typed array, not one string and one object per line: a section of
 * thousands of short (folded) lines would otherwise allocate for each.
 */
interface Lines {
  text: string;
  bounds: Int32Array;
  count: number;
  /** Sparse: only bad lines have an entry. */
  bads?: Array<string | undefined>;
}

/**
 * Line offsets of the last header section cut, reused by the next: parsing is synchronous
 * and splitLines's result is read before the next call, so one array serves every parse and
 * a message costs no allocation here (a fresh array sized for 16 KB would cost more than a
 * small message's whole parse). Sized once for a default header section (MAX_HEADER_BYTES,
 * at most one line per 2 octets): grown only under larger limits, so the growth path, and
 * the deoptimization its first use would cause, stays off the common path.
 */
let lineBounds: Int32Array = new Int32Array(3 * (MAX_HEADER_BYTES / 2 + 2));

/** A copy of `bounds` twice as long, kept for the next parses. */
function growBounds(bounds: Int32Array): Int32Array {
  const next = new Int32Array(bounds.length * 2);
  next.set(bounds);
  lineBounds = next;
  return next;
}

/**
 * Cuts the header section `buf[start, end)` into lines at CRLF, in one pass. RFC 3261
 * section 7 ends every line with CRLF and section 25.1 allows other control octets only
 * as the escaped octet of a quoted-pair inside a quoted-string (RFC 4475 3.1.1.2 sends NUL
 * and BEL that way). A line with a bare CR, a bare LF or an unescaped control octet is
 * marked bad: such octets would let a header we echo (From, To, Via) split into new header
 * lines at a peer that ends lines at CR or LF.
 */
function splitLines(buf: Buffer, start: number, end: number): Lines {
  // One UTF-8 decode of the whole section, then slices: decoding line by line costs a call per line.
  const s = buf.toString('utf8', start, end);
  const n = s.length;
  let bounds = lineBounds;
  let count = 0;
  let colon = -1;
  let bads: Array<string | undefined> | undefined;
  let lineStart = 0;
  let bad: string | undefined;
  let inValue = false; // past the first colon of a header line (or in a continuation line)
  let inQuote = false;
  let escaped = false;
  let first = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f && !escaped) {
      if (first) continue;
      if (inValue) {
        if (c === 0x22) inQuote = !inQuote;
        else if (c === 0x5c && inQuote) escaped = true;
      } else if (c === 0x3a) {
        inValue = true;
        colon = i;
      }
      continue;
    }
    if (c === 0x0d) {
      if (s.charCodeAt(i + 1) === 0x0a) {
        if (3 * count + 3 > bounds.length) bounds = growBounds(bounds);
        bounds[3 * count] = lineStart;
        bounds[3 * count + 1] = i;
        bounds[3 * count + 2] = colon;
        if (bad !== undefined) (bads ??= [])[count] = bad;
        count++;
        colon = -1;
        bad = undefined;
        escaped = false;
        first = false;
        i++;
        lineStart = i + 1;
        const next = s.charCodeAt(lineStart);
        if (next !== 0x20 && next !== 0x09) {
          inValue = false;
          inQuote = false;
        }
        continue;
      }
      bad ??= 'bare CR';
    } else if (c === 0x0a) bad ??= 'bare LF';
    else if (escaped) escaped = false;
    else if (c !== 0x09) bad ??= 'control character';
  }
  if (lineStart < n) {
    if (3 * count + 3 > bounds.length) bounds = growBounds(bounds);
    bounds[3 * count] = lineStart;
    bounds[3 * count + 1] = n;
    bounds[3 * count + 2] = colon;
    if (bad !== undefined) (bads ??= [])[count] = bad;
    count++;
  }
  return { text: s, bounds, count, bads };
}

const isBlank = (c: number) => c === 0x20 || c === 0x09;

/**
 * s.slice(a, b).trim(), slicing once: SP/HT are skipped by char code and the ends checked,
 * falling back to trim() when an end is not printable ASCII (trim also removes Unicode
 * spaces). A one-character result then comes from V8's single-character string cache.
 */
function trimmedSlice(s: string, a: number, b: number): string {
  let i = a;
  let j = b;
  while (i < j && isBlank(s.charCodeAt(i))) i++;
  while (j > i && isBlank(s.charCodeAt(j - 1))) j--;
  if (i === j) return '';
  const first = s.charCodeAt(i);
  const last = s.charCodeAt(j - 1);
  if (first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f) return s.slice(i, j);
  return s.slice(a, b).trim();
}

/**
 * Parses one message from `buf`. For a datagram the body is the rest of the buffer cut to
 * Content-Length (extra octets ignored, RFC 3261 section 18.3); a Content-Length larger
 * than what arrived is an error. Stream transports frame first (see stream-framer.ts) and
 * pass exactly one message. Runs in time linear in the message's size.
 */
export function parseMessage(buf: Buffer, limits: ParseLimits = DEFAULT_LIMITS): ParseResult {
  let start = 0;
  // RFC 3261 section 7.5: empty lines before the start line are ignored.
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  const fail = (status: number, reason: string, headers: SipHeader[] = [], method?: string, isResponse = false): SipParseFailure => ({
    ok: false,
    status,
    reason,
    headers,
    method,
    isResponse,
  });
  if (buf.length - start > limits.maxMessageBytes) return fail(413, 'message too large');
  const maxHeaderBytes = limits.maxHeaderBytes ?? MAX_HEADER_BYTES;
  let end = headerEnd(buf, start);
  // A datagram is a whole message: its end also ends the headers when the blank line is missing.
  if (end < 0 && limits.datagram && buf[buf.length - 1] === 0x0a) end = buf.length;
  if (end < 0) return fail(400, buf.length - start > maxHeaderBytes ? 'header section too large' : 'no end of headers');
  // Nothing of an oversized header section is read, so nothing of it is echoed.
  if (end - start > maxHeaderBytes) return fail(400, 'header section too large');
  const { text, bounds, bads, count: lineCount } = splitLines(buf, start, end);
  let count = lineCount;
  while (count && bounds[3 * count - 3] === bounds[3 * count - 2] && !bads?.[count - 1]) count--;
  const startLine = count ? text.slice(bounds[0], bounds[1]) : '';
  const firstBad = count ? bads?.[0] : undefined;
  const isResponse = startLine.slice(0, 4).toUpperCase() === 'SIP/';
  const { headers, headerError: readError, tooMany } = readHeaders(text, bounds, count, bads, limits.maxHeaders);
  const headerError: string | undefined = firstBad ? `${firstBad} in the start line` : readError;
  if (tooMany) return fail(400, 'too many headers', headers, undefined, isResponse);
  let method: string | undefined;
  let uri = '';
  let status = 0;
  let reason = '';
  if (isResponse) {
    const m = STATUS_LINE_RE.exec(startLine);
    if (!m) return fail(400, 'bad status line', headers, undefined, true);
    if (m[1] !== '2.0') return fail(505, 'version not supported', headers, undefined, true);
    status = Number(m[2]);
    reason = m[3]!;
    if (status < 100 || status > 699) return fail(400, 'bad status code', headers, undefined, true);
  } else {
    const m = REQUEST_LINE_RE.exec(startLine);
    const maybeMethod = startLine.split(' ')[0];
    const knownMethod = maybeMethod && METHOD_RE.test(maybeMethod) ? maybeMethod : undefined;
    if (!m || !METHOD_RE.test(m[1]!)) return fail(400, 'bad request line', headers, knownMethod);
    method = m[1]!;
    uri = m[2]!;
    if (!/^SIP\/\d+\.\d+$/i.test(m[3]!)) return fail(400, 'bad SIP version', headers, method);
    if (m[3]!.slice(4) !== '2.0') return fail(505, 'version not supported', headers, method);
    try {
      const parsed = parseUri(uri);
      // RFC 3261 section 19.1.5: headers are not allowed in a Request-URI (RFC 4475 3.1.2.11).
      if (parsed.headers.length) return fail(400, 'headers in Request-URI', headers, method);
    } catch (e) {
      return fail(400, e instanceof UriError ? `bad Request-URI: ${e.message}` : 'bad Request-URI', headers, method);
    }
  }
  if (headerError) return fail(400, headerError, headers, method, isResponse);

  const lengths = getHeaders({ headers }, 'content-length');
  let contentLength: number | undefined;
  if (lengths.length) {
    if (!lengths.every((v) => v === lengths[0]) || !/^\d{1,10}$/.test(lengths[0]!))
      return fail(400, 'bad Content-Length', headers, method, isResponse);
    contentLength = Number(lengths[0]);
  }
  const available = buf.length - end;
  if (contentLength !== undefined && contentLength > available) return fail(400, 'Content-Length larger than message', headers, method, isResponse);
  const body = Buffer.from(buf.subarray(end, end + (contentLength ?? available)));

  const invalid = limits.lenient ? undefined : validateHeaders(headers, method);
  if (invalid) return fail(400, invalid, headers, method, isResponse);
  const message: SipMessage = isResponse
    ? { kind: 'response', status, reason, headers, body }
    : { kind: 'request', method: method!, uri, headers, body };
  return { ok: true, message };
}

/**
 * The header lines (line 0, the start line, excluded) as headers, unfolded, with the first
 * reason the section is refused and whether it has more than `maxHeaders`. Kept apart from
 * parseMessage so that this hot loop is a small function: V8 re-optimizes it quickly when
 * a new kind of input deoptimizes it.
 */
function readHeaders(
  text: string,
  bounds: Int32Array,
  count: number,
  bads: Array<string | undefined> | undefined,
  maxHeaders: number,
): { headers: SipHeader[]; headerError: string | undefined; tooMany: boolean } {
  const headers: SipHeader[] = [];
  // Folded values are gathered as parts and joined once: re-trimming a growing string per fold would be quadratic.
  const parts: string[][] = [];
  let headerError: string | undefined;
  let lastBad = false;
  let tooMany = false;
  for (let k = 1; k < count; k++) {
    const ls = bounds[3 * k]!;
    const le = bounds[3 * k + 1]!;
    const bad = bads?.[k];
    const folded = ls < le && isBlank(text.charCodeAt(ls));
    if (bad) {
      headerError ??= bad;
      // A header whose continuation is bad is dropped whole: it is never echoed.
      if (folded && headers.length && !lastBad) {
        headers.pop();
        parts.pop();
      }
      lastBad = true;
      continue;
    }
    if (folded) {
      // Folded line (LWS, RFC 3261 section 7.3.1): continuation of the previous header.
      if (lastBad) continue;
      const prev = parts[parts.length - 1];
      if (!prev) {
        headerError ??= 'continuation line before any header';
        continue;
      }
      // Empty parts are dropped when the parts are joined below: not kept at all here.
      const part = trimmedSlice(text, ls, le);
      if (part !== '') prev.push(part);
      continue;
    }
    lastBad = false;
    // Found by splitLines's scan: an indexOf here would rescan later lines for each line without a colon.
    const colon = bounds[3 * k + 2]!;
    let nameEnd = colon;
    while (nameEnd > ls && isBlank(text.charCodeAt(nameEnd - 1))) nameEnd--;
    const rawName = colon >= 0 ? text.slice(ls, nameEnd) : '';
    if (colon < 0 || !isToken(rawName)) {
      headerError ??= `malformed header line ${JSON.stringify(text.slice(ls, Math.min(le, ls + 40)))}`;
      lastBad = true;
      continue;
    }
    const name = rawName.length === 1 ? (COMPACT_FORMS[rawName.toLowerCase()] ?? rawName) : rawName;
    headers.push({ name, value: '' });
    parts.push([trimmedSlice(text, colon + 1, le)]);
    if (headers.length > maxHeaders) {
      tooMany = true;
      break;
    }
  }
  for (let i = 0; i < headers.length; i++) headers[i]!.value = joinParts(parts[i]!);
  return { headers, headerError, tooMany };
}

/** A header's value from its parts (the line's, then its continuations'). */
function joinParts(p: string[]): string {
  // Only the first part can be empty (continuations are kept only when not): this equals
  // filtering the empty parts out and joining with SP, without a callback per part.
  return p.length === 1 ? p[0]! : (p[0] === '' ? p.slice(1) : p).join(' ').trim();
}

/** Mandatory and single-valued header checks (RFC 3261 section 8.1.1, RFC 4475 3.3.1, 3.3.8). Returns an error text or undefined. */
function validateHeaders(headers: SipHeader[], method: string | undefined): string | undefined {
  const msg = { headers };
  for (const name of SINGLE_HEADERS) if (getHeaders(msg, name).length > 1) return `more than one ${name}`;
  for (const name of ['via', 'from', 'to', 'call-id', 'cseq']) if (!getHeader(msg, name)) return `missing ${name}`;
  try {
    const viaLines = getHeaders(msg, 'via');
    if (viaLines.some((v) => v.length > MAX_VIA_LINE_BYTES)) return 'Via too large';
    const vias = parseVias(viaLines);
    if (!vias.length) return 'missing via';
    if (vias.length > MAX_VIAS) return 'Via too large';
    parseNameAddr(getHeader(msg, 'from')!);
    parseNameAddr(getHeader(msg, 'to')!);
    const cseq = parseCSeq(getHeader(msg, 'cseq')!);
    if (method !== undefined && cseq.method !== method) return 'CSeq method does not match the request method';
    if (!/^\S+$/.test(getHeader(msg, 'call-id')!)) return 'bad Call-ID';
    const mf = getHeader(msg, 'max-forwards');
    if (mf !== undefined && (!/^\d{1,10}$/.test(mf) || Number(mf) > 255)) return 'bad Max-Forwards';
    if (method !== undefined) {
      for (const name of ['contact', 'route', 'record-route']) {
        let count = 0;
        for (const v of getHeaders(msg, name)) {
          if (name === 'contact' && v.trim() === '*') continue;
          const parts = splitTop(v);
          count += parts.length;
          // Each value is a full URI parse: bound how many one request may ask for.
          if (count > MAX_LIST_VALUES) return `too many ${name} values`;
          for (const part of parts) parseNameAddr(part);
        }
      }
    }
  } catch (e) {
    if (e instanceof HeaderSyntaxError) return e.message;
    throw e;
  }
  return undefined;
}

function splitTop(v: string): string[] {
  const parts: string[] = [];
  let q = false;
  let a = 0;
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === '"') q = false;
    } else if (c === '"') q = true;
    else if (c === '<') a++;
    else if (c === '>') a--;
    else if (c === ',' && a === 0) {
      parts.push(v.slice(s, i));
      s = i + 1;
    }
  }
  parts.push(v.slice(s));
  if (parts.some((p) => !p.trim())) throw new HeaderSyntaxError('empty list element');
  return parts;
}
