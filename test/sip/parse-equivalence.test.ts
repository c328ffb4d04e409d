/**
 * The parse-speed rewrite (offsets instead of per-line strings, char-code scans instead of
 * per-token regular expressions and splits) must accept and refuse exactly what the former
 * parser did and read the same values: each function is compared with its copy in
 * test/sip/reference/ on random and adversarial inputs (fast-check).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseMessage, type ParseLimits } from '../../media-core/sip/parse.ts';
import { contentLength } from '../../media-core/sip/stream-framer.ts';
import { parseNameAddr, parseParams, parseVia, unquote } from '../../media-core/sip/header-values.ts';
import { parseUri, unescapeUri } from '../../media-core/sip/uri.ts';
import { parseDtmfRelay } from '../../media-core/engine/info-dtmf.ts';
import { parseMessage as refParseMessage } from './reference/parse.ts';
import { contentLength as refContentLength } from './reference/stream-framer.ts';
import { parseNameAddr as refParseNameAddr, parseParams as refParseParams, parseVia as refParseVia, unquote as refUnquote } from './reference/header-values.ts';
import { parseUri as refParseUri, unescapeUri as refUnescapeUri } from './reference/uri.ts';
import { parseDtmfRelay as refParseDtmfRelay } from './reference/info-dtmf.ts';
import { PATHOLOGICAL_SHAPES } from '../../bench/sip-parse-shapes.ts';

const DIR = fileURLToPath(new URL('../fixtures/rfc4475/', import.meta.url));
const CORPUS = readdirSync(DIR).filter((f) => f.endsWith('.dat')).sort().map((f) => readFileSync(DIR + f));
const SHAPES = PATHOLOGICAL_SHAPES.map((s) => s.build(s.smallBytes / 8));
const SEEDS = [...CORPUS, ...SHAPES];

/** Result or thrown error (class name and message), for comparing two implementations. */
function outcome<T>(fn: () => T): { value: T } | { error: string } {
  try {
    return { value: fn() };
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

// Units chosen where the rewritten scans decide: blanks and folds, quotes and escapes, "%"
// escapes, token and non-token octets, control octets, non-ASCII (NBSP, U+2028, a surrogate
// pair, a lone surrogate, invalid UTF-8), "=" and line ends of dtmf-relay bodies.
const UNITS = [' ', '\t', '\r\n ', '\r\n\t', '\r\n', '\r', '\n', '"', '\\', '\\"', '%', '%41', '%e2%82%ac', '%4', '%zz', ';', ':', '=', ',', '<', '>', '@', '[', ']', '?', '&', 'a', 'Z', '9', '!', '~', '\x00', '\x7f', '\u00a0', '\u2028', '\ufeff', '\u{1f600}', '\ud800', '\xff'];
const unit = fc.constantFrom(...UNITS);
const text = fc.array(fc.oneof(unit, fc.string({ maxLength: 4 })), { maxLength: 40 }).map((a) => a.join(''));
const edit = fc.record({ at: fc.nat(), unit, times: fc.integer({ min: 1, max: 300 }), del: fc.integer({ min: 0, max: 8 }) });
const message = fc
  .tuple(fc.nat({ max: SEEDS.length - 1 }), fc.array(edit, { maxLength: 4 }), fc.boolean())
  .map(([i, edits, raw]) => {
    let buf = SEEDS[i]!;
    for (const e of edits) {
      const at = e.at % (buf.length + 1);
      const ins = raw && e.unit === '\xff' ? Buffer.from([0xff, 0xc3]) : Buffer.from(e.unit.repeat(e.times), 'utf8');
      buf = Buffer.concat([buf.subarray(0, at), ins, buf.subarray(Math.min(buf.length, at + e.del))]);
    }
    return buf;
  });

const LIMITS: ParseLimits[] = [
  { maxMessageBytes: 65535, maxHeaders: 256, datagram: true },
  { maxMessageBytes: 65535, maxHeaders: 256, datagram: false },
  { maxMessageBytes: 65535, maxHeaders: 8, datagram: true, lenient: true },
];

describe('parse-speed rewrite: same results as the former parser', () => {
  test('parseMessage and the framer Content-Length on the corpus, the shapes and mutations of them', () => {
    for (const buf of SEEDS) for (const l of LIMITS) assert.deepEqual(parseMessage(buf, l), refParseMessage(buf, l));
    fc.assert(
      fc.property(message, fc.nat({ max: LIMITS.length - 1 }), (buf, li) => {
        assert.deepEqual(parseMessage(buf, LIMITS[li]), refParseMessage(buf, LIMITS[li]));
        const end = buf.indexOf('\r\n\r\n');
        if (end >= 0) assert.deepEqual(contentLength(buf, 0, end + 4), refContentLength(buf, 0, end + 4));
      }),
      { numRuns: 3000, seed: 5 },
    );
  });

  test('name-addr, Via, parameters, quoted strings', () => {
    const nameAddr = fc.tuple(text, fc.constantFrom('', '"', '<', '<sip:'), text, fc.constantFrom('', '>', '@h>', '>;'), text).map((p) => p.join(''));
    fc.assert(
      fc.property(nameAddr, (s) => {
        assert.deepEqual(outcome(() => parseNameAddr(s)), outcome(() => refParseNameAddr(s)));
        assert.deepEqual(outcome(() => parseParams(s)), outcome(() => refParseParams(s)));
        assert.deepEqual(unquote(s), refUnquote(s));
        const q = `"${s}"`;
        assert.deepEqual(unquote(q), refUnquote(q));
      }),
      { numRuns: 4000, seed: 7 },
    );
    const via = fc.tuple(fc.constantFrom('SIP', 'SIP ', ''), text, fc.constantFrom('/2.0', ' / 2.0'), text, fc.constantFrom('/UDP ', '/tcp\t', '/'), text, fc.constantFrom('', ':5060', ' : 1', ':123456'), text, fc.constantFrom('', ';branch=z9', ';b="x\\"y"', ';r;=')).map((p) => p.join(''));
    fc.assert(
      fc.property(via, (s) => assert.deepEqual(outcome(() => parseVia(s)), outcome(() => refParseVia(s)))),
      { numRuns: 4000, seed: 8 },
    );
  });

  test('URIs and escapes', () => {
    const uri = fc.tuple(fc.constantFrom('sip:', 'sips:', 'tel:', 'x:', ''), text, fc.constantFrom('', '@', ':pw@'), text, fc.constantFrom('', ':5060', ';lr', '?a=b'), text).map((p) => p.join(''));
    fc.assert(
      fc.property(uri, (s) => {
        assert.deepEqual(outcome(() => parseUri(s)), outcome(() => refParseUri(s)));
        assert.equal(unescapeUri(s), refUnescapeUri(s));
      }),
      { numRuns: 4000, seed: 9 },
    );
  });

  test('dtmf-relay bodies', () => {
    const body = fc.array(fc.oneof(unit, fc.constantFrom('Signal', 'signal ', 'Duration', '=', '5', '11', '160', '\n', '\r\n', ' = ')), { maxLength: 30 }).map((a) => a.join(''));
    fc.assert(
      fc.property(body, (s) => assert.deepEqual(parseDtmfRelay(s), refParseDtmfRelay(s))),
      { numRuns: 4000, seed: 10 },
    );
  });
});
