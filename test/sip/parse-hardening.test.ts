/**
 * Parser and stream framer hardening (issue 11, item 1): linear time on hostile input,
 * a 16 KB header-section cap, bare CR / bare LF / NUL refused outside where RFC 3261 and
 * RFC 4475 allow them, Content-Length digits only, incremental stream framing.
 * Time bounds here are loose (a loaded machine must not fail them); they only separate
 * linear from quadratic behaviour. Absolute figures are in `npm run bench -- sip-parse`.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { parseMessage } from '../../media-core/sip/parse.ts';
import { StreamFramer } from '../../media-core/sip/stream-framer.ts';
import { parseDtmfRelay } from '../../media-core/engine/info-dtmf.ts';
import { getHeader } from '../../media-core/sip/message.ts';
import { parseUri } from '../../media-core/sip/uri.ts';
import { parseVia } from '../../media-core/sip/header-values.ts';

const CRLF = '\r\n';
/** A valid OPTIONS with optional extra header lines and body. */
export function options(extra: string[] = [], body = ''): string {
  return [
    'OPTIONS sip:+15550100001@127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKhard1',
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@127.0.0.1>;tag=a1',
    'To: <sip:+15550100001@127.0.0.1>',
    'Call-ID: hard-1@127.0.0.1',
    'CSeq: 1 OPTIONS',
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join(CRLF);
}

const timed = (fn: () => unknown) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

describe('stream framer', () => {
  test('a ~60 KB Content-Length padded with spaces and tabs frames in linear time', () => {
    const pad = ' \t'.repeat(15_000);
    const msg = Buffer.from(`OPTIONS sip:x@127.0.0.1 SIP/2.0${CRLF}Content-Length:${pad}1${pad}1${CRLF}${CRLF}`);
    const framer = new StreamFramer();
    let frames: ReturnType<StreamFramer['push']> = [];
    const ms = timed(() => (frames = framer.push(msg)));
    assert.ok(ms < 200, `framing took ${ms.toFixed(1)} ms`);
    assert.equal(frames.length, 1);
    assert.ok('error' in frames[0]!, 'refused');
  });

  test('a message delivered one octet at a time is framed without re-scanning from byte 0', () => {
    const msg = Buffer.from(options(Array.from({ length: 150 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(80)}`), 'b'.repeat(47_000)));
    assert.ok(msg.length > 60_000 && msg.length < 65_535);
    const framer = new StreamFramer();
    const frames: ReturnType<StreamFramer['push']> = [];
    const ms = timed(() => {
      for (let i = 0; i < msg.length; i++) frames.push(...framer.push(msg.subarray(i, i + 1)));
    });
    assert.equal(frames.length, 1);
    assert.ok('message' in frames[0]! && frames[0].message.equals(msg));
    assert.ok(ms < 1000, `byte-wise framing took ${ms.toFixed(1)} ms`);
  });

  test('Content-Length must be digits only', () => {
    for (const v of ['+5', '-1', '5 5', '0x10', '5\u00a0', '１']) {
      const framer = new StreamFramer();
      const [f] = framer.push(Buffer.from(options([]).replace('Content-Length: 0', `Content-Length: ${v}`)));
      assert.ok(f && 'error' in f, `Content-Length ${JSON.stringify(v)} refused`);
    }
    const ok = new StreamFramer().push(Buffer.from(options([], 'abc').replace('Content-Length: 3', 'l :  3 ')));
    assert.ok(ok[0] && 'message' in ok[0] && ok[0].message.toString().endsWith('abc'), 'compact form, SP around the colon');
  });

  test('a header section over 16 KB is refused before its end arrives', () => {
    const framer = new StreamFramer();
    const frames = framer.push(Buffer.from(`OPTIONS sip:x@127.0.0.1 SIP/2.0${CRLF}X-Big: ${'a'.repeat(17_000)}`));
    assert.equal(frames.length, 1);
    assert.ok('error' in frames[0]!);
    assert.match((frames[0] as { error: string }).error, /header section exceeds 16384 bytes/);
  });

  test('messages back to back and CRLF keepalives between them', () => {
    const a = options([], 'xy');
    const framer = new StreamFramer();
    const frames = framer.push(Buffer.from(`${CRLF}${CRLF}${a}${CRLF}${a}`.slice(0, 50)));
    frames.push(...framer.push(Buffer.from(`${CRLF}${CRLF}${a}${CRLF}${a}`.slice(50))));
    assert.equal(frames.length, 2);
    assert.ok(frames.every((f) => 'message' in f && f.message.toString() === a));
    assert.equal(framer.pending, 0);
  });
});

describe('parser', () => {
  test('a header name followed by 30,000 blanks and no colon parses in linear time', () => {
    const msg = Buffer.from(options([`X-A${' \t'.repeat(15_000)}x: 1`]));
    const ms = timed(() => parseMessage(msg));
    assert.ok(ms < 200, `parse took ${ms.toFixed(1)} ms`);
    assert.equal(parseMessage(msg).ok, false);
  });

  test('a bare CR inside a From display name is refused and never echoed', () => {
    const msg = options([]).replace('From: "Alice"', 'From: "Alice\rEvil-Header: 1"');
    const r = parseMessage(Buffer.from(msg));
    assert.equal(r.ok, false);
    if (!r.ok) assert.ok(!r.headers.some((h) => /[\r\n]/.test(h.name + h.value)), 'no header kept with CR/LF in it');
  });

  test('a bare LF inside a header line is refused', () => {
    const r = parseMessage(Buffer.from(options(['Subject: a\nEvil-Header: 1'])));
    assert.equal(r.ok, false);
  });

  test('NUL and other controls only as an escaped quoted-pair (RFC 4475 3.1.1.2)', () => {
    assert.equal(parseMessage(Buffer.from(options(['Subject: a\u0000b']))).ok, false, 'raw NUL');
    assert.equal(parseMessage(Buffer.from(options(['Subject: a\u0007b']))).ok, false, 'raw BEL');
    assert.equal(parseMessage(Buffer.from(options([]).replace('"Alice"', '"Al\u0000ice"'))).ok, false, 'unescaped NUL in quotes');
    const escaped = parseMessage(Buffer.from(options([]).replace('"Alice"', '"Al\\\u0000ice"')));
    assert.ok(escaped.ok, 'escaped NUL in a quoted string is a valid quoted-pair');
    assert.equal(getHeader(escaped.message, 'call-id'), 'hard-1@127.0.0.1');
  });

  test('a header section over 16 KB is refused in a datagram too', () => {
    const r = parseMessage(Buffer.from(options([`X-Big: ${'a'.repeat(17_000)}`])));
    assert.equal(r.ok, false);
  });

  test('many folded continuation lines parse in linear time', () => {
    const folds = Array.from({ length: 3000 }, () => ' a').join(CRLF);
    const msg = Buffer.from(options([`Subject: x${CRLF}${folds}`]));
    const ms = timed(() => parseMessage(msg));
    assert.ok(ms < 200, `${ms.toFixed(1)} ms`);
  });
});

describe('INFO dtmf-relay body', () => {
  test('a 60 KB body of whitespace parses in linear time', () => {
    for (const body of [' '.repeat(60_000), `Signal=${' '.repeat(60_000)}x`, '\n'.repeat(60_000) + 'Signal']) {
      const ms = timed(() => parseDtmfRelay(body));
      assert.ok(ms < 200, `${ms.toFixed(1)} ms`);
    }
  });

  test('Signal and Duration as trunks send them', () => {
    assert.deepEqual(parseDtmfRelay('Signal=5\r\nDuration=160\r\n'), { digit: '5', durationMs: 160, source: 'info' });
    assert.deepEqual(parseDtmfRelay(' signal = 11 \nduration= 250'), { digit: '#', durationMs: 250, source: 'info' });
    assert.deepEqual(parseDtmfRelay('Signal=10'), { digit: '*', durationMs: undefined, source: 'info' });
    assert.equal(parseDtmfRelay('Signal=55'), undefined);
    assert.equal(parseDtmfRelay('Duration=100'), undefined);
  });
});

describe('URI and Via scans (no backtracking patterns)', () => {
  test('ports beyond 65535 are refused, for IPv6 hosts too', () => {
    assert.throws(() => parseUri('sip:a@[::1]:85060'), /bad port/);
    assert.throws(() => parseUri('sip:a@example.com:65536'), /bad port/);
    assert.equal(parseUri('sip:a@[::1]:5061').port, 5061);
  });

  test('Via with LWS around "/" and ":" and an IPv6 sent-by', () => {
    const v = parseVia('SIP / 2.0 / tcp [2001:db8::1] : 5061 ;branch=z9hG4bKx;rport');
    assert.deepEqual([v.transport, v.host, v.port, v.branch], ['TCP', '[2001:db8::1]', 5061, 'z9hG4bKx']);
    assert.throws(() => parseVia('SIP/2.0/UDP host:123456'));
    assert.throws(() => parseVia('SIP/2.0/UDP'));
  });

  test('long hostnames and escapes are checked in linear time', () => {
    const label = 'a-'.repeat(20_000) + '!';
    const t0 = performance.now();
    assert.throws(() => parseUri(`sip:u@${label}`));
    assert.throws(() => parseUri(`sip:${'%4'.repeat(20_000)}@h`));
    assert.ok(performance.now() - t0 < 200);
  });
});
