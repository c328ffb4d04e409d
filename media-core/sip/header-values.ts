/**
 * Structured header values (RFC 3261 section 25.1): name-addr / addr-spec with display
 * names and header parameters (To, From, Contact, Route, Record-Route, Refer-To,
 * Referred-By), Via (with RFC 3581 rport), CSeq.
 */
import { parseUri, type SipUri, UriError } from './uri.ts';
import { splitCommaList } from './message.ts';

/** Thrown for a header value that breaks its grammar; the caller answers 400. */
export class HeaderSyntaxError extends Error {
  override name = 'HeaderSyntaxError';
}

export type Params = Array<[string, string | null]>;

const TOKEN = "[A-Za-z0-9\\-.!%*_+`'~]+";
const TOKEN_RE = new RegExp(`^${TOKEN}$`);

/** Token characters by char code (RFC 3261 section 25.1), for per-character scans that must not allocate. */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of "-.!%*_+`'~") TOKEN_CHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN_CHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN_CHAR[c] = TOKEN_CHAR[c + 0x20] = 1;

const isTokenChar = (c: number) => c < 128 && TOKEN_CHAR[c] === 1;
/** Token characters, ":", "[" and "]" (a generic-param value that is a token or a host). */
const isParamValueChar = (c: number) => isTokenChar(c) || c === 0x3a || c === 0x5b || c === 0x5d;

/**
 * `*(token LWS)` display names (RFC 3261 section 25.1): tokens separated by SP/HT. One scan
 * with no split: a name of thousands of words would otherwise cost a string and a regular
 * expression run per word. Same answer as splitting at SP/HT runs and testing each part as
 * a token: no empty part (so no leading or trailing blank, not empty), every other octet a
 * token character.
 */
function isTokenList(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      if (i === 0 || i === n - 1) return false;
    } else if (c >= 128 || TOKEN_CHAR[c] === 0) return false;
  }
  return true;
}

/** True when `s` is an RFC 3261 token. */
export const isToken = (s: string) => TOKEN_RE.test(s);

/** Value of parameter `name` (case-insensitive): string, null for a flag, undefined if absent. */
export function param(params: Params, name: string): string | null | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of params) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * Parses `;name[=value]` parameters (generic-param: value is token, host or quoted-string).
 * @throws HeaderSyntaxError on an empty or malformed parameter.
 */
export function parseParams(text: string): Params {
  const out: Params = [];
  const s = text;
  let i = skipBlanks(s, 0);
  while (i < s.length) {
    if (s[i] !== ';') throw new HeaderSyntaxError(`expected ';' in parameters: ${JSON.stringify(s.slice(i, i + 20))}`);
    const nameStart = skipBlanks(s, i + 1);
    i = tokenEnd(s, nameStart);
    const name = s.slice(nameStart, i);
    if (!name) throw new HeaderSyntaxError('empty parameter');
    i = skipBlanks(s, i);
    let value: string | null = null;
    if (s[i] === '=') {
      i = skipBlanks(s, i + 1);
      if (s[i] === '"') {
        const end = quotedEnd(s, i);
        value = s.slice(i, end + 1);
        i = end + 1;
      } else {
        const vStart = i;
        while (i < s.length && isParamValueChar(s.charCodeAt(i))) i++;
        value = s.slice(vStart, i);
        if (!value) throw new HeaderSyntaxError(`empty value for parameter ${name}`);
      }
      i = skipBlanks(s, i);
    }
    out.push([name, value]);
  }
  return out;
}

// Scanners as module functions taking and returning an index: closures created per call
// cost an allocation each (and, under tsx's keepNames, a defineProperty each).

/** Index of the first octet at or after `i` that is not SP or HT. */
function skipBlanks(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index of the first octet at or after `i` that is not a token character. */
function tokenEnd(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/** Index of the closing quote of the quoted-string starting at `start`. @throws HeaderSyntaxError if unterminated. */
function quotedEnd(s: string, start: number): number {
  const end = closingQuote(s, start);
  if (end < 0) throw new HeaderSyntaxError('unterminated quoted string');
  return end;
}

/**
 * Index of the closing quote, or -1. The throw stays out of this loop: V8 reuses the loop's
 * on-stack-replacement code across calls, and a throw site in it without type feedback
 * deoptimized it on every call for unterminated strings.
 */
function closingQuote(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return -1;
}

/**
 * unquote's char codes, reused by the next call (unquote is synchronous and copies them out
 * before returning): a fresh typed array per quoted string costs more than the decoding.
 */
let unquoteCodes = new Uint16Array(1024);

/** Unquotes a quoted-string ("a \"b\"" -> a "b"); returns tokens unchanged. */
export function unquote(s: string): string {
  if (!s.startsWith('"')) return s;
  const inner = s.slice(1, -1);
  if (!inner.includes('\\')) return inner;
  // As inner.replace(/\\(.)/gs, '$1'), by char code into one array turned into a string a
  // chunk at a time: no string or regular expression match per escape (a display name may
  // hold thousands).
  const n = inner.length;
  if (unquoteCodes.length < n) unquoteCodes = new Uint16Array(Math.max(n, 2 * unquoteCodes.length));
  const codes = unquoteCodes;
  let k = 0;
  for (let i = 0; i < n; i++) {
    let c = inner.charCodeAt(i);
    if (c === 0x5c && i < n - 1) c = inner.charCodeAt(++i);
    codes[k++] = c;
  }
  const chunks: string[] = [];
  // Chunks bound the argument count of fromCharCode.apply.
  for (let i = 0; i < k; i += 4096) chunks.push(String.fromCharCode.apply(null, codes.subarray(i, Math.min(k, i + 4096)) as unknown as number[]));
  return chunks.join('');
}

/** A name-addr or addr-spec with its header parameters (RFC 3261 section 20.10, 20.20, 20.39). */
export interface NameAddr {
  displayName?: string;
  /** URI text as written (without < >). */
  uriText: string;
  uri: SipUri;
  params: Params;
}

/**
 * Parses `[display-name] <uri> *(;param)` or `addr-spec *(;param)`.
 * @throws HeaderSyntaxError on unbalanced quotes, bad display names, spaces inside <>,
 * an addr-spec containing "?" or "," (must then be enclosed in <>), or a bad URI.
 */
export function parseNameAddr(value: string): NameAddr {
  const s = value.trim();
  let displayName: string | undefined;
  let uriText: string;
  let rest: string;
  let i = 0;
  if (s.startsWith('"')) {
    const end = quotedEnd(s, 0);
    displayName = unquote(s.slice(0, end + 1));
    i = end + 1;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '<') throw new HeaderSyntaxError('quoted display name without <URI>');
  }
  const lt = s.indexOf('<', i);
  if (s[i] === '<' || (lt >= 0 && displayName === undefined && !s.slice(0, lt).includes(';'))) {
    const open = s[i] === '<' ? i : lt;
    if (displayName === undefined) {
      const dn = s.slice(0, open).trim();
      if (dn) {
        if (!isTokenList(dn)) throw new HeaderSyntaxError(`bad display name ${JSON.stringify(dn)}`);
        displayName = dn;
      }
    }
    const close = s.indexOf('>', open);
    if (close < 0) throw new HeaderSyntaxError('missing >');
    uriText = s.slice(open + 1, close);
    if (uriText !== uriText.trim() || !uriText) throw new HeaderSyntaxError('whitespace inside <URI>');
    rest = s.slice(close + 1);
  } else {
    const semi = s.indexOf(';');
    uriText = (semi >= 0 ? s.slice(0, semi) : s).trim();
    rest = semi >= 0 ? s.slice(semi) : '';
    if (/[\s?,]/.test(uriText)) throw new HeaderSyntaxError('addr-spec with "?", "," or space must be in <>');
  }
  let uri: SipUri;
  try {
    uri = parseUri(uriText);
  } catch (e) {
    throw new HeaderSyntaxError(e instanceof UriError ? e.message : String(e));
  }
  return { displayName, uriText, uri, params: parseParams(rest) };
}

/** One Via value (RFC 3261 section 20.42, RFC 3581). */
export interface Via {
  protocol: string;
  version: string;
  /** Transport token upper-cased (UDP, TCP, TLS, SCTP or an extension). */
  transport: string;
  host: string;
  port?: number;
  params: Params;
  branch?: string;
}

/** [A-Za-z0-9.-] by char code. */
const isHostChar = (c: number) => c === 0x2e || c === 0x2d || (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

/**
 * Parses one via-parm (RFC 3261 section 20.42: sent-protocol LWS sent-by *(SEMI via-params),
 * LWS allowed around "/" and ":"). A hand-written scan: linear in the value's length.
 * @throws HeaderSyntaxError.
 */
export function parseVia(value: string): Via {
  const s = value.trim();
  let i = tokenEnd(s, 0);
  const protocol = s.slice(0, i);
  i = skipBlanks(s, i);
  if (!protocol || s[i] !== '/') throw badVia(value);
  let start = skipBlanks(s, i + 1);
  i = tokenEnd(s, start);
  const version = s.slice(start, i);
  i = skipBlanks(s, i);
  if (!version || s[i] !== '/') throw badVia(value);
  start = skipBlanks(s, i + 1);
  i = tokenEnd(s, start);
  const transport = s.slice(start, i);
  start = i;
  i = skipBlanks(s, i);
  if (!transport || i === start) throw badVia(value);
  let host: string;
  if (s[i] === '[') {
    const close = s.indexOf(']', i);
    host = close < 0 ? '' : s.slice(i, close + 1);
    if (!/^\[[0-9A-Fa-f:.]+\]$/.test(host)) throw badVia(value);
    i = close + 1;
  } else {
    start = i;
    while (i < s.length && isHostChar(s.charCodeAt(i))) i++;
    host = s.slice(start, i);
    if (!host) throw badVia(value);
  }
  let port: number | undefined;
  const colon = skipBlanks(s, i);
  if (s[colon] === ':') {
    start = skipBlanks(s, colon + 1);
    i = start;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    if (i === start || i - start > 5) throw badVia(value);
    port = Number(s.slice(start, i));
  }
  const params = parseParams(s.slice(i));
  const branch = param(params, 'branch');
  return {
    protocol,
    version,
    transport: transport.toUpperCase(),
    host,
    port,
    params,
    branch: typeof branch === 'string' ? branch : undefined,
  };
}

const badVia = (value: string) => new HeaderSyntaxError(`bad Via ${JSON.stringify(value.slice(0, 60))}`);

/** Parses every Via value in a header list (comma-separated values included). */
export function parseVias(values: string[]): Via[] {
  const out: Via[] = [];
  for (const v of values) for (const part of splitCommaList(v)) out.push(parseVia(part));
  return out;
}

/** Formats a Via value. */
export function formatVia(v: Via): string {
  const params = v.params.map(([k, val]) => (val === null ? `;${k}` : `;${k}=${val}`)).join('');
  return `${v.protocol}/${v.version}/${v.transport} ${v.host}${v.port !== undefined ? ':' + v.port : ''}${params}`;
}

/** CSeq (RFC 3261 section 20.16): sequence number below 2**31 and method. */
export interface CSeq {
  seq: number;
  method: string;
}

/** Parses a CSeq value. @throws HeaderSyntaxError. */
export function parseCSeq(value: string): CSeq {
  const m = new RegExp(`^(\\d{1,10})[ \\t]+(${TOKEN})$`).exec(value.trim());
  if (!m) throw new HeaderSyntaxError('bad CSeq');
  const seq = Number(m[1]);
  if (seq >= 2 ** 31) throw new HeaderSyntaxError('CSeq number too large');
  return { seq, method: m[2]! };
}
