/**
 * SIP message parser (RFC 3261 sections 7 and 25) with the strictness RFC 4475 asks for:
 * a malformed request becomes a {@link SipParseFailure} carrying what was readable, so the
 * caller can answer 400 when the top Via can route a response, and drop it otherwise.
 */
import { COMPACT_FORMS, getHeader, getHeaders, type SipHeader, type SipMessage, type SipRequest } from './message.ts';
import { HeaderSyntaxError, isToken, parseCSeq, parseNameAddr, parseVias } from './header-values.ts';
import { parseUri, UriError } from './uri.ts';

/** Parser limits. Defaults suit a UDP datagram (64 KB); streams pass their own. */
export interface ParseLimits {
  /** Largest whole message, bytes. */
  maxMessageBytes: number;
  /** Most header lines (after unfolding). */
  maxHeaders: number;
  /** true for a UDP datagram (the datagram's end may end a header-only message). */
  datagram?: boolean;
  /** Skip the header value checks (tools and tests reading what a peer echoed back). */
  lenient?: boolean;
}

export const DEFAULT_LIMITS: ParseLimits = { maxMessageBytes: 65535, maxHeaders: 256, datagram: true };

/** Why a message was refused and what could still be read from it. */
export interface SipParseFailure {
  ok: false;
  /** 400 Bad Request, 505 Version Not Supported, 413 Request Entity Too Large. */
  status: number;
  reason: string;
  /** The request line's method when readable (responses are never answered). */
  method?: string;
  /** Headers read before the failure (enough to route a 400 if Via parsed). */
  headers: SipHeader[];
  isResponse: boolean;
}

export type ParseResult = { ok: true; message: SipMessage } | SipParseFailure;

const METHOD_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const REQUEST_LINE_RE = /^([^ ]+) ([^ ]+) ([^ ]+)$/;
const STATUS_LINE_RE = /^SIP\/(\d+\.\d+) (\d{3}) (.*)$/is;
/** Headers that may appear at most once (RFC 3261 section 20 and RFC 4475 section 3.3.8). */
const SINGLE_HEADERS = ['to', 'from', 'call-id', 'cseq', 'max-forwards', 'content-length', 'content-type'];

/** Index just after the CRLFCRLF (or LFLF) that ends the header section, or -1. */
export function headerEnd(buf: Buffer, from = 0): number {
  for (let i = from; i < buf.length - 1; i++) {
    if (buf[i] === 0x0a) {
      if (buf[i + 1] === 0x0a) return i + 2;
      if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
    }
  }
  return -1;
}

/**
 * Parses one message from `buf`. For a datagram the body is the rest of the buffer cut to
 * Content-Length (extra octets ignored, RFC 3261 section 18.3); a Content-Length larger
 * than what arrived is an error. Stream transports frame first (see stream-framer.ts) and
 * pass exactly one message.
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
  let end = headerEnd(buf, start);
  // A datagram is a whole message: its end also ends the headers when the blank line is missing.
  if (end < 0 && limits.datagram && (buf[buf.length - 1] === 0x0a)) end = buf.length;
  if (end < 0) return fail(400, 'no end of headers');
  const head = buf.subarray(start, end).toString('utf8');
  const lines = head.replace(/\r?\n$/, '').replace(/\r?\n$/, '').split(/\r?\n/);
  const startLine = lines.shift() ?? '';
  const isResponse = /^SIP\//i.test(startLine);
  const headers: SipHeader[] = [];
  let headerError: string | undefined;
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // Folded line (LWS, RFC 3261 section 7.3.1): continuation of the previous header.
      const prev = headers[headers.length - 1];
      if (!prev) {
        headerError ??= 'continuation line before any header';
        continue;
      }
      prev.value = (prev.value + ' ' + line.trim()).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const rawName = colon >= 0 ? line.slice(0, colon).replace(/[ \t]+$/, '') : '';
    if (colon < 0 || !isToken(rawName)) {
      headerError ??= `malformed header line ${JSON.stringify(line.slice(0, 40))}`;
      continue;
    }
    const name = rawName.length === 1 ? (COMPACT_FORMS[rawName.toLowerCase()] ?? rawName) : rawName;
    headers.push({ name, value: line.slice(colon + 1).trim() });
    if (headers.length > limits.maxHeaders) return fail(400, 'too many headers', headers, undefined, isResponse);
  }
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

/** Mandatory and single-valued header checks (RFC 3261 section 8.1.1, RFC 4475 3.3.1, 3.3.8). Returns an error text or undefined. */
function validateHeaders(headers: SipHeader[], method: string | undefined): string | undefined {
  const msg = { headers };
  for (const name of SINGLE_HEADERS) if (getHeaders(msg, name).length > 1) return `more than one ${name}`;
  for (const name of ['via', 'from', 'to', 'call-id', 'cseq']) if (!getHeader(msg, name)) return `missing ${name}`;
  try {
    const vias = parseVias(getHeaders(msg, 'via'));
    if (!vias.length) return 'missing via';
    parseNameAddr(getHeader(msg, 'from')!);
    parseNameAddr(getHeader(msg, 'to')!);
    const cseq = parseCSeq(getHeader(msg, 'cseq')!);
    if (method !== undefined && cseq.method !== method) return 'CSeq method does not match the request method';
    if (!/^\S+$/.test(getHeader(msg, 'call-id')!)) return 'bad Call-ID';
    const mf = getHeader(msg, 'max-forwards');
    if (mf !== undefined && (!/^\d{1,10}$/.test(mf) || Number(mf) > 255)) return 'bad Max-Forwards';
    if (method !== undefined) {
      for (const c of getHeaders(msg, 'contact')) if (c.trim() !== '*') for (const part of splitTop(c)) parseNameAddr(part);
      for (const name of ['route', 'record-route']) for (const v of getHeaders(msg, name)) for (const part of splitTop(v)) parseNameAddr(part);
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

/** Whether a request needs a response at all (ACK never gets one, RFC 3261 section 17.2.1). */
export const isAnswerable = (r: SipRequest | { method?: string }) => r.method !== 'ACK';
