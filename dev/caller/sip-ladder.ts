/**
 * The SIP ladder of a `npm run call` run, read from SIPp's -trace_msg message log, and what
 * the SIP messages say about where the call ended (REFER target and key, BYE, rejection).
 *
 * SIPp writes each message as a block:
 *   ----------------------------------------------- 2026-11-22 10:00:00.123456
 *   UDP message sent (766 bytes):            | UDP message received [266] bytes :
 *   <blank line>
 *   <the SIP message>
 */
import { isSessionHistoryKey } from '../../adapters/agent-view/key.ts';

export interface TracedMessage {
  direction: 'sent' | 'received';
  /** Epoch ms of the log line (SIPp prints local time). */
  at: number;
  transport: string;
  /** Request line or status line. */
  startLine: string;
  /** Request method, or undefined for a response. */
  method?: string;
  /** Response status code, or undefined for a request. */
  status?: number;
  /** Header values by lower-case full name (compact forms expanded), in order of appearance. */
  headers: Map<string, string[]>;
  /** The spelling each header name had in the message, by lower-case name. */
  names: Map<string, string>;
  body: string;
}

// RFC 3261 section 7.3.3 and RFC 3515 (r = Refer-To), RFC 3265 (o = Event).
const COMPACT: Record<string, string> = {
  i: 'call-id', f: 'from', t: 'to', m: 'contact', v: 'via', l: 'content-length', c: 'content-type',
  k: 'supported', e: 'content-encoding', s: 'subject', r: 'refer-to', o: 'event', b: 'referred-by', u: 'allow-events',
};

const SEPARATOR = /^-{20,}\s+(\d{4}-\d{2}-\d{2})\s+(\d{2}:\d{2}:\d{2})(\.\d+)?\s*$/;
const KIND = /^(\w+) message (sent|received)/;

/** Parses a SIPp message log into messages, in order. Unparsable blocks are skipped. */
export function parseSippTrace(text: string): TracedMessage[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const out: TracedMessage[] = [];
  let i = 0;
  while (i < lines.length) {
    const sep = SEPARATOR.exec(lines[i]!);
    if (!sep) {
      i++;
      continue;
    }
    const at = new Date(`${sep[1]}T${sep[2]}${(sep[3] ?? '').slice(0, 4)}`).getTime();
    const kind = KIND.exec(lines[i + 1] ?? '');
    let j = i + 2;
    const block: string[] = [];
    while (j < lines.length && !SEPARATOR.test(lines[j]!)) block.push(lines[j++]!);
    i = j;
    if (!kind) continue;
    while (block.length && block[0]!.trim() === '') block.shift();
    const blank = block.findIndex((l) => l.trim() === '');
    const head = blank < 0 ? block : block.slice(0, blank);
    const body = blank < 0 ? '' : block.slice(blank + 1).join('\n').trim();
    const startLine = (head[0] ?? '').trim();
    if (!startLine) continue;
    const headers = new Map<string, string[]>();
    const names = new Map<string, string>();
    let last: string | undefined;
    for (const raw of head.slice(1)) {
      if (/^[ \t]/.test(raw) && last) {
        // RFC 3261 7.3.1 line folding: continuation of the previous header.
        const values = headers.get(last)!;
        values[values.length - 1] += ` ${raw.trim()}`;
        continue;
      }
      const colon = raw.indexOf(':');
      if (colon <= 0) continue;
      const spelled = raw.slice(0, colon).trim();
      const name = COMPACT[spelled.toLowerCase()] ?? spelled.toLowerCase();
      if (!names.has(name)) names.set(name, COMPACT[spelled.toLowerCase()] ? displayName(name) : spelled);
      const list = headers.get(name) ?? [];
      list.push(raw.slice(colon + 1).trim());
      headers.set(name, list);
      last = name;
    }
    const status = /^SIP\/2\.0\s+(\d{3})/.exec(startLine);
    out.push({
      direction: kind[2] as 'sent' | 'received',
      at,
      transport: kind[1]!,
      startLine,
      method: status ? undefined : startLine.split(/\s+/)[0],
      status: status ? Number(status[1]) : undefined,
      headers,
      names,
      body,
    });
  }
  return out;
}

const header = (m: TracedMessage, name: string) => m.headers.get(name.toLowerCase())?.[0];
const cseqMethod = (m: TracedMessage) => header(m, 'cseq')?.split(/\s+/)[1];
const shorten = (s: string, max = 90) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** Headers worth showing on the ladder: vendor and transfer headers, not the routing ones. */
function notableHeaders(m: TracedMessage): string[] {
  const out: string[] = [];
  for (const [name, values] of m.headers) {
    if (name === 'user-to-user' || name.startsWith('x-')) {
      for (const v of values) out.push(`${m.names.get(name) ?? displayName(name)}: ${shorten(v, 60)}`);
    }
  }
  return out;
}

function displayName(lower: string): string {
  if (lower === 'user-to-user') return 'User-to-User';
  if (lower === 'refer-to') return 'Refer-To';
  return lower.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());
}

/**
 * One arrow line per message, e.g.
 *   "+0.012s  caller -> media core  INVITE sip:+15550100003@127.0.0.1:5060 (X-ContactID: 1234)"
 *   "+4.210s  caller <- media core  REFER (Refer-To: <sip:queue@flex.twilio.com?...>)"
 */
export function renderLadder(messages: TracedMessage[]): string[] {
  const t0 = messages[0]?.at ?? 0;
  return messages.map((m) => {
    const arrow = m.direction === 'sent' ? 'caller -> media core' : 'caller <- media core';
    const offset = Number.isFinite(m.at - t0) ? `+${((m.at - t0) / 1000).toFixed(3)}s` : '';
    let what: string;
    const details: string[] = [];
    if (m.status !== undefined) {
      what = `${m.startLine.replace(/^SIP\/2\.0\s+/, '')}`;
      const method = cseqMethod(m);
      if (method) details.push(method);
    } else {
      const [method, uri] = m.startLine.split(/\s+/);
      what = method === 'INVITE' ? `INVITE ${uri}` : method!;
      if (method === 'REFER') {
        const referTo = header(m, 'refer-to');
        if (referTo) details.push(`Refer-To: ${shorten(referTo, 260)}`);
      }
      if (method === 'NOTIFY' && m.body) details.push(`sipfrag: ${m.body.split('\n')[0]!.trim()}`);
      details.push(...notableHeaders(m));
    }
    return `${offset.padStart(9)}  ${arrow}  ${what}${details.length ? ` (${details.join(', ')})` : ''}`;
  });
}

/** Where the call ended, as far as SIP shows it. */
export type SipEnding =
  | { kind: 'transferred'; target: string; sessionHistoryKey?: string; headers: Record<string, string> }
  | { kind: 'hung-up'; by: 'media core' | 'caller'; headers: Record<string, string> }
  | { kind: 'rejected'; status: number; reason: string }
  | { kind: 'no-answer' };

/** Decodes an RFC 7433 User-to-User value ("data;encoding=hex" or plain) to text. */
export function decodeUserToUser(value: string): string {
  const [data = '', ...params] = value.split(';').map((s) => s.trim());
  const hex = params.some((p) => /^encoding=hex$/i.test(p));
  if (hex && /^([0-9a-f]{2})*$/i.test(data)) return Buffer.from(data, 'hex').toString('utf8');
  return data.replace(/^"|"$/g, '');
}

/** Splits a Refer-To value `<sip:u@h;p?A=1&B=2>` into the URI and its decoded URI headers. */
export function parseReferTo(value: string): { uri: string; headers: Record<string, string> } {
  const inner = /<([^>]*)>/.exec(value)?.[1] ?? value.trim();
  const q = inner.indexOf('?');
  const uri = q < 0 ? inner : inner.slice(0, q);
  const headers: Record<string, string> = {};
  if (q >= 0) {
    for (const pair of inner.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      try {
        headers[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1));
      } catch {
        headers[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
  }
  return { uri, headers };
}

function findKey(candidates: (string | undefined)[]): string | undefined {
  for (const c of candidates) {
    if (!c) continue;
    const v = c.includes(';') || /^[0-9a-f]+$/i.test(c) ? decodeUserToUser(c) : c.trim();
    if (isSessionHistoryKey(v)) return v;
    if (isSessionHistoryKey(c.trim())) return c.trim();
  }
  return undefined;
}

/** Reads the call's end from the ladder: REFER received, BYE (either side), or a failed INVITE. */
export function sipEnding(messages: TracedMessage[]): SipEnding {
  const inviteFinal = messages.find((m) => m.direction === 'received' && m.status !== undefined && m.status >= 200 && cseqMethod(m) === 'INVITE');
  if (!inviteFinal) return { kind: 'no-answer' };
  if (inviteFinal.status! >= 300) return { kind: 'rejected', status: inviteFinal.status!, reason: inviteFinal.startLine.replace(/^SIP\/2\.0\s+\d{3}\s*/, '') };
  const refer = messages.find((m) => m.direction === 'received' && m.method === 'REFER');
  if (refer) {
    const { uri, headers } = parseReferTo(header(refer, 'refer-to') ?? '');
    const all: Record<string, string> = { ...headers };
    for (const [name, values] of refer.headers) if (name.startsWith('x-') || name === 'user-to-user') all[refer.names.get(name) ?? name] = values[0]!;
    const lowered = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), v]));
    const sessionHistoryKey = findKey([lowered['x-watson-assistant-session-history-key'], lowered['user-to-user']]);
    return { kind: 'transferred', target: uri, sessionHistoryKey, headers: all };
  }
  const bye = messages.find((m) => m.method === 'BYE');
  if (bye) {
    const headers: Record<string, string> = {};
    for (const [name, values] of bye.headers) if (name.startsWith('x-') || name === 'user-to-user') headers[bye.names.get(name) ?? name] = values[0]!;
    return { kind: 'hung-up', by: bye.direction === 'received' ? 'media core' : 'caller', headers };
  }
  return { kind: 'hung-up', by: 'caller', headers: {} };
}
