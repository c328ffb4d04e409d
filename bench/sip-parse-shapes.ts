/**
 * Pathological SIP message shapes, shared by the linear-time fuzz test
 * (test/sip/fuzz.test.ts) and `npm run bench -- sip-parse`: each builds a message of about
 * a given size whose growth sits where a backtracking regular expression or a re-scan
 * would turn quadratic (whitespace runs, long tokens, folds, escapes, parameter and list
 * lengths, bodies of INFO).
 */
import { performance } from 'node:perf_hooks';
import { parseMessage } from '../media-core/sip/parse.ts';
import { StreamFramer } from '../media-core/sip/stream-framer.ts';
import { parseDtmfRelay } from '../media-core/engine/info-dtmf.ts';

/** One shape: `build(bytes)` returns a message whose variable part is about `bytes` long. */
export interface Shape {
  name: string;
  /** Size of the small input in the linearity test; the large one is 8x. */
  smallBytes: number;
  build(bytes: number): Buffer;
}

const CRLF = '\r\n';
const fill = (unit: string, bytes: number) => unit.repeat(Math.max(1, Math.floor(bytes / unit.length)));

function request(method: string, lines: { via?: string; from?: string; to?: string; uri?: string; extra?: string[] }, body = ''): Buffer {
  return Buffer.from(
    [
      `${method} ${lines.uri ?? 'sip:+15550100001@127.0.0.1'} SIP/2.0`,
      `Via: ${lines.via ?? 'SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKshape'}`,
      'Max-Forwards: 70',
      `From: ${lines.from ?? '<sip:a@127.0.0.1>;tag=1'}`,
      `To: ${lines.to ?? '<sip:+15550100001@127.0.0.1>'}`,
      'Call-ID: shape@127.0.0.1',
      `CSeq: 1 ${method}`,
      ...(lines.extra ?? []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join(CRLF),
  );
}

// Header-section shapes grow up to the 16 KB cap (2 KB -> 15.2 KB); body shapes 8 KB -> 64 KB.
const H = 1900;
const B = 7900;

const SHAPES: Array<{ name: string; smallBytes: number; build: (n: number) => Buffer | string }> = [
  { name: 'Content-Length padded with SP/HT around digits', smallBytes: H, build: (n) => request('OPTIONS', { extra: [`Content-Length:${fill(' \t', n / 2)}1${fill(' \t', n / 2)}1`] }) },
  { name: 'header name followed by blanks, then a letter', smallBytes: H, build: (n) => request('OPTIONS', { extra: [`X-A${fill(' \t', n)}x: 1`] }) },
  { name: 'many folded continuation lines', smallBytes: H, build: (n) => request('OPTIONS', { extra: [`Subject: s${CRLF}${fill(` a${CRLF}`, n).slice(0, -2)}`] }) },
  { name: 'long Via host label ending in a bad octet', smallBytes: H, build: (n) => request('OPTIONS', { via: `SIP/2.0/UDP ${fill('a-', n)}!;branch=z9hG4bK1` }) },
  { name: 'long Via host of many labels', smallBytes: H, build: (n) => request('OPTIONS', { via: `SIP/2.0/UDP ${fill('a.', n)}a;branch=z9hG4bK1` }) },
  { name: 'Via with many parameters', smallBytes: H, build: (n) => request('OPTIONS', { via: `SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1${fill(';p=v', n)}` }) },
  { name: 'quoted display name of escapes', smallBytes: H, build: (n) => request('OPTIONS', { from: `"${fill('\\"', n)}" <sip:a@127.0.0.1>;tag=1` }) },
  { name: 'unterminated quoted display name of blanks', smallBytes: H, build: (n) => request('OPTIONS', { from: `"${fill(' \t', n)}<sip:a@127.0.0.1>;tag=1` }) },
  { name: 'token display name of many words', smallBytes: H, build: (n) => request('OPTIONS', { from: `${fill('a ', n)}! <sip:a@127.0.0.1>;tag=1` }) },
  { name: 'URI user of escapes', smallBytes: H, build: (n) => request('OPTIONS', { to: `<sip:${fill('%41', n)}@127.0.0.1>` }) },
  { name: 'Request-URI host label ending in a bad octet', smallBytes: H, build: (n) => request('OPTIONS', { uri: `sip:a@${fill('a-', n)}!` }) },
  { name: 'Request-URI of colons', smallBytes: H, build: (n) => request('OPTIONS', { uri: `sip:a@${fill('a:', n)}1x` }) },
  { name: 'Contact list of many entries', smallBytes: H, build: (n) => request('OPTIONS', { extra: [`Contact: ${fill('<sip:a@b>,', n)}<sip:a@b>`] }) },
  { name: 'runs of bare CR in a header', smallBytes: H, build: (n) => request('OPTIONS', { extra: [`Subject: ${fill('\r', n)}x`] }) },
  { name: 'CSeq number of digits', smallBytes: H, build: (n) => request('OPTIONS', {}).toString('latin1').replace('CSeq: 1', `CSeq: ${fill('1', n)}`) },
  { name: 'INFO dtmf-relay body of blanks', smallBytes: B, build: (n) => request('INFO', { extra: ['Content-Type: application/dtmf-relay'] }, `Signal=${fill(' ', n)}x`) },
  { name: 'INFO dtmf-relay body of empty lines', smallBytes: B, build: (n) => request('INFO', { extra: ['Content-Type: application/dtmf-relay'] }, `${fill('\n', n)}Signal`) },
  { name: 'body after many keepalive CRLFs', smallBytes: B, build: (n) => Buffer.concat([Buffer.from(fill('\r\n', n)), request('OPTIONS', {})]) },
];

export const PATHOLOGICAL_SHAPES: Shape[] = SHAPES.map((s) => ({ ...s, build: (n: number) => Buffer.from(s.build(n)) }));

/** Frames `buf` as a stream (one chunk, then octet by octet for its first 2 KB), parses it as a datagram and, for INFO, reads its dtmf-relay body. */
export function frameAndParse(buf: Buffer): void {
  const framer = new StreamFramer();
  for (const f of framer.push(buf)) if ('message' in f) parseMessage(f.message, { maxMessageBytes: 65535, maxHeaders: 256, datagram: false });
  const r = parseMessage(buf);
  if (r.ok && r.message.kind === 'request' && r.message.method === 'INFO') parseDtmfRelay(r.message.body.toString('utf8'));
}

/** Median wall time of `runs` calls of `fn`, ms. */
export function medianMs(fn: () => void, runs: number): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}
