/**
 * Structured header values (RFC 3261 section 25.1): name-addr / addr-spec with display
 * names and header parameters (To, From, Contact, Route, Record-Route, Refer-To,
 * Referred-By), Via (with RFC 3581 rport), CSeq.
 */
import { parseUri, type SipUri, UriError } from './uri.ts';
import { splitCommaList } from '../../../media-core/sip/message.ts';

/** Thrown for a header value that breaks its grammar; the caller answers 400. */
export class HeaderSyntaxError extends Error {
  override name = 'HeaderSyntaxError';
}

export type Params = Array<[string, string | null]>;

const TOKEN = "[A-Za-z0-9\\-.!%*_+`'~]+";
const TOKEN_RE = new RegExp(`^${TOKEN}$`);

/** `*(token LWS)` display names (RFC 3261 section 25.1): tokens separated by SP/HT. Linear, no nested quantifier. */
const isTokenList = (s: string) => s.split(/[ \t]+/).every((t) => TOKEN_RE.test(t));

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
  let i = 0;
  const s = text;
  const skipWs = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  skipWs();
  while (i < s.length) {
    if (s[i] !== ';') throw new HeaderSyntaxError(`expected ';' in parameters: ${JSON.stringify(s.slice(i, i + 20))}`);
    i++;
    skipWs();
    const nameStart = i;
    while (i < s.length && /[A-Za-z0-9\-.!%*_+`'~]/.test(s[i]!)) i++;
    const name = s.slice(nameStart, i);
    if (!name) throw new HeaderSyntaxError('empty parameter');
    skipWs();
    let value: string | null = null;
    if (s[i] === '=') {
      i++;
      skipWs();
      if (s[i] === '"') {
        const end = quotedEnd(s, i);
        value = s.slice(i, end + 1);
        i = end + 1;
      } else {
        const vStart = i;
        while (i < s.length && /[A-Za-z0-9\-.!%*_+`'~:[\]]/.test(s[i]!)) i++;
        value = s.slice(vStart, i);
        if (!value) throw new HeaderSyntaxError(`empty value for parameter ${name}`);
      }
      skipWs();
    }
    out.push([name, value]);
  }
  return out;
}

/** Index of the closing quote of the quoted-string starting at `start`. @throws HeaderSyntaxError if unterminated. */
function quotedEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  throw new HeaderSyntaxError('unterminated quoted string');
}

/** Unquotes a quoted-string ("a \"b\"" -> a "b"); returns tokens unchanged. */
export function unquote(s: string): string {
  if (!s.startsWith('"')) return s;
  return s.slice(1, -1).replace(/\\(.)/gs, '$1');
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

/** Formats a name-addr: `"Display" <uri>;p=v`. */
export function formatNameAddr(na: { displayName?: string; uriText: string; params?: Params }): string {
  const dn = na.displayName !== undefined ? `"${na.displayName.replace(/(["\\])/g, '\\$1')}" ` : '';
  const params = (na.params ?? []).map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`)).join('');
  return `${dn}<${na.uriText}>${params}`;
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

const isSp = (c: string | undefined) => c === ' ' || c === '\t';
const HOST_CHARS = /^[A-Za-z0-9.-]$/;

/**
 * Parses one via-parm (RFC 3261 section 20.42: sent-protocol LWS sent-by *(SEMI via-params),
 * LWS allowed around "/" and ":"). A hand-written scan: linear in the value's length.
 * @throws HeaderSyntaxError.
 */
export function parseVia(value: string): Via {
  const s = value.trim();
  const bad = () => new HeaderSyntaxError(`bad Via ${JSON.stringify(value.slice(0, 60))}`);
  let i = 0;
  const skipWs = () => {
    const start = i;
    while (isSp(s[i])) i++;
    return i - start;
  };
  const token = () => {
    const start = i;
    while (i < s.length && TOKEN_RE.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const protocol = token();
  skipWs();
  if (!protocol || s[i] !== '/') throw bad();
  i++;
  skipWs();
  const version = token();
  skipWs();
  if (!version || s[i] !== '/') throw bad();
  i++;
  skipWs();
  const transport = token();
  if (!transport || skipWs() === 0) throw bad();
  let host: string;
  if (s[i] === '[') {
    const close = s.indexOf(']', i);
    host = close < 0 ? '' : s.slice(i, close + 1);
    if (!/^\[[0-9A-Fa-f:.]+\]$/.test(host)) throw bad();
    i = close + 1;
  } else {
    const start = i;
    while (i < s.length && HOST_CHARS.test(s[i]!)) i++;
    host = s.slice(start, i);
    if (!host) throw bad();
  }
  let port: number | undefined;
  const afterHost = i;
  skipWs();
  if (s[i] === ':') {
    i++;
    skipWs();
    const start = i;
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
    if (i === start || i - start > 5) throw bad();
    port = Number(s.slice(start, i));
  } else i = afterHost;
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
