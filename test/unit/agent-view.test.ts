import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { escapeHtml, isSessionHistoryKey, renderTranscriptPage, renderDtmf, screenPopResponse, CONTENT_SECURITY_POLICY, formatOffset, mintViewToken, screenPopLink } from '../../adapters/agent-view/index.ts';
import { PAGE_CSS } from '../../adapters/agent-view/styles.ts';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { appendTurn, createSession, newSessionHistoryKey, type SessionMeta, type TranscriptEntry } from '../../lib/store/session-history.ts';
import { getStore } from '../../lib/store/client.ts';

const meta: SessionMeta = { startedAt: '2026-11-22T10:00:00.000Z', calledNumber: '+15550100003', callerRedacted: '+*********42', vendor: 'amazon_connect', vendorLabel: 'Amazon Connect' };
const turns: TranscriptEntry[] = [
  { seq: 2, at: '2026-11-22T10:00:07.000Z', who: 'caller', text: 'I want <b>an</b> "agent" & \'now\' — ünïcödé 你好 👋' },
  { seq: 1, at: '2026-11-22T10:00:01.000Z', who: 'assistant', text: 'Hello, how can I help?', responseType: 'text' },
  { seq: 3, at: '2026-11-22T10:00:09.500Z', who: 'caller', text: '12#', isDtmf: true },
  { seq: 4, at: '2026-11-22T10:01:10.000Z', who: 'system', text: 'transferred to an agent', responseType: 'connect_to_agent' },
];

/** A silent logger that records what would have been logged, to check the key never appears in full. */
function recordingLog() {
  const lines: string[] = [];
  const rec = (obj: unknown, msg?: string) => void lines.push(JSON.stringify(obj) + ' ' + (msg ?? ''));
  return { lines, log: { info: rec, warn: rec, error: rec } };
}

describe('agent view rendering', () => {
  test('escapeHtml replaces the five HTML-significant characters and keeps unicode', () => {
    assert.equal(escapeHtml(`<script>alert("x")</script> & 'q' é👋`), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; é👋');
    assert.equal(escapeHtml(undefined), '');
    assert.equal(escapeHtml(12), '12');
  });

  test('session history key shape: 22 base64url characters only', () => {
    assert.equal(isSessionHistoryKey(newSessionHistoryKey()), true);
    assert.equal(isSessionHistoryKey('A'.repeat(22)), true);
    assert.equal(isSessionHistoryKey('abc-_'.padEnd(22, 'x')), true);
    for (const bad of ['', 'A'.repeat(21), 'A'.repeat(23), 'A'.repeat(21) + '=', 'A'.repeat(21) + '/', '<script>'.padEnd(22, 'x'), undefined, 42]) {
      assert.equal(isSessionHistoryKey(bad), false, String(bad));
    }
  });

  test('transcript page: turns in seq order, who and time shown, text escaped, DTMF as digits when unmasked', () => {
    const html = renderTranscriptPage({ meta, turns }, { maskDtmf: false });
    const order = ['Hello, how can I help?', 'I want &lt;b&gt;an&lt;/b&gt;', '<kbd>1</kbd><kbd>2</kbd><kbd>#</kbd>', 'transferred to an agent'].map((s) => html.indexOf(s));
    assert.ok(order.every((i) => i > 0), `all turns present: ${order}`);
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'turns in seq order');
    assert.match(html, /&quot;agent&quot; &amp; &#39;now&#39; — ünïcödé 你好 👋/);
    assert.doesNotMatch(html, /<b>an<\/b>/);
    assert.match(html, /<li class="turn assistant" data-seq="1"><header><span class="who">Assistant<\/span><time datetime="2026-11-22T10:00:01.000Z">10:00:01 UTC<\/time><span class="offset">\+0:01<\/span><span class="rtype">text<\/span>/);
    assert.match(html, /class="turn caller" data-seq="3"/);
    assert.match(html, /class="turn system" data-seq="4".*\+1:10.*connect_to_agent/);
    assert.match(html, /<dt>Called number<\/dt><dd>\+15550100003<\/dd>/);
    assert.match(html, /<dt>Caller<\/dt><dd>\+\*{9}42<\/dd>/);
    assert.match(html, /<dt>Turns<\/dt><dd>4<\/dd>/);
    assert.match(html, /<dt>Contact center<\/dt><dd>Amazon Connect<\/dd>/);
    assert.match(html, /<dt>Call started<\/dt><dd>2026-11-22 10:00:00 UTC<\/dd>/);
    // self-contained: no external resource, no script element
    assert.doesNotMatch(html, /<script|<link|<img|src=|href=|url\(/i);
  });

  test('a caller number stored unredacted by mistake is redacted on the page', () => {
    const html = renderTranscriptPage({ meta: { ...meta, callerRedacted: '+15551234567' }, turns: [] });
    assert.doesNotMatch(html, /5551234567/);
    assert.match(html, /\+\*{9}67/);
    assert.match(html, /did not say anything/);
  });

  test('script in the transcript text never becomes markup', () => {
    const evil: TranscriptEntry = { seq: 1, at: meta.startedAt, who: 'caller', text: '<script>window.__pwned=1</script><img src=x onerror=alert(1)>' };
    const html = renderTranscriptPage({ meta: { ...meta, vendorLabel: '"><script>1</script>' }, turns: [evil, { ...evil, seq: 2, isDtmf: true, text: '1<script>' }] });
    assert.doesNotMatch(html, /<script|<img/);
    assert.match(html, /&lt;script&gt;window.__pwned=1&lt;\/script&gt;&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.equal(renderDtmf('1<s'), '<kbd>1</kbd>&lt;s');
  });

  test('offsets are relative to the call start', () => {
    assert.equal(formatOffset('2026-11-22T10:02:05.900Z', meta.startedAt), '+2:05');
    assert.equal(formatOffset('garbage', meta.startedAt), '');
  });

  test('CSP forbids scripts and allows exactly the inline stylesheet by hash', () => {
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'none'/);
    const hash = createHash('sha256').update(PAGE_CSS).digest('base64');
    assert.ok(CONTENT_SECURITY_POLICY.includes(`style-src 'sha256-${hash}'`));
    assert.ok(renderTranscriptPage({ meta, turns }).includes(`<style>${PAGE_CSS}</style>`), 'the hashed text is exactly the style element content');
  });
});

/** A fake secret generated per test run. */
const secret = randomBytes(32).toString('base64url');
const opts = { secret, maskDtmf: true };
const view = (k: string, extra: { nowMs?: number; ttlSeconds?: number } = {}) => ({ view: mintViewToken(k, secret, extra) });

describe('screenPopResponse', () => {
  const key = 'Abcdefghijklmnopqrstu_';
  test('400 for a malformed token, 404 unknown, 503 store failure, 200 found; security headers on all', async () => {
    const { lines, log } = recordingLog();
    let reads = 0;
    const read = async (k: string) => {
      reads++;
      if (k === key) return { meta, turns };
      if (k.startsWith('FAIL')) throw Object.assign(new Error('boom'), { name: 'ResourceNotFoundException' });
      return undefined;
    };
    const bad = await screenPopResponse({ view: 'not-a-token' }, read, log, opts);
    const missing = await screenPopResponse(undefined, read, log, opts);
    assert.equal(bad.statusCode, 400);
    assert.equal(missing.statusCode, 403);
    assert.equal(reads, 0, 'malformed tokens never reach the store');
    const unknown = await screenPopResponse(view('Z'.repeat(22)), read, log, opts);
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /Conversation not found/);
    const failing = await screenPopResponse(view('FAIL' + 'x'.repeat(18)), read, log, opts);
    assert.equal(failing.statusCode, 503);
    const ok = await screenPopResponse(view(key), read, log, opts);
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /Hello, how can I help\?/);
    for (const r of [bad, missing, unknown, failing, ok]) {
      assert.equal(r.headers['Content-Type'], 'text/html; charset=utf-8');
      assert.equal(r.headers['X-Content-Type-Options'], 'nosniff');
      assert.equal(r.headers['Cache-Control'], 'no-store');
      assert.equal(r.headers['Referrer-Policy'], 'no-referrer');
      assert.match(r.headers['Content-Security-Policy']!, /default-src 'none'/);
    }
    assert.ok(lines.length >= 5);
    for (const l of lines) {
      assert.ok(!l.includes(key) && !l.includes('Z'.repeat(22)) && !l.includes('FAIL' + 'x'.repeat(18)), `key leaked in log: ${l}`);
    }
  });
});

describe('agentScreenPop handler with dynalite', () => {
  let db: LocalDynamo;
  let handler: (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  const key = newSessionHistoryKey();
  before(async () => {
    db = await startDynalite('screen-pop-unit');
    process.env.STATE_TABLE = db.table;
    process.env.DYNAMODB_ENDPOINT = db.endpoint;
    const store = getStore({ table: db.table, endpoint: db.endpoint });
    await createSession(store, key, meta);
    for (const t of turns) await appendTurn(store, key, t);
    await createSession(store, 'expiredexpiredexpired_', meta, -1);
    process.env.SCREEN_POP_SECRET = secret;
    ({ handler } = (await import('../../functions/agent/screen-pop.ts')) as unknown as { handler: typeof handler });
  });
  after(async () => {
    await db.stop();
  });
  const event = (qs?: Record<string, string>) =>
    ({ version: '2.0', routeKey: 'GET /agent', rawPath: '/agent', rawQueryString: '', headers: {}, queryStringParameters: qs, requestContext: { http: { method: 'GET' } } }) as unknown as APIGatewayProxyEventV2;
  const ctx = { callbackWaitsForEmptyEventLoop: false, functionName: 'agentScreenPop', getRemainingTimeInMillis: () => 5000 } as unknown as Context;

  test('serves the stored transcript by signed link, DTMF masked by default', async () => {
    const r = await handler(event(view(key)), ctx);
    assert.equal(r.statusCode, 200);
    const body = String(r.body);
    assert.ok(body.indexOf('Hello, how can I help?') < body.indexOf('I want &lt;b&gt;'));
    assert.match(body, /<kbd>\u2022<\/kbd><kbd>\u2022<\/kbd><kbd>\u2022<\/kbd>/);
    assert.doesNotMatch(body, /<kbd>1<\/kbd>/);
  });
  test('SCREEN_POP_MASK_DTMF=false shows the digits', async () => {
    process.env.SCREEN_POP_MASK_DTMF = 'false';
    try {
      const r = await handler(event(view(key)), ctx);
      assert.match(String(r.body), /<kbd>1<\/kbd><kbd>2<\/kbd><kbd>#<\/kbd>/);
    } finally {
      delete process.env.SCREEN_POP_MASK_DTMF;
    }
  });
  test('404 for an unknown key and for an expired session; 400 for a malformed token', async () => {
    assert.equal((await handler(event(view(newSessionHistoryKey())), ctx)).statusCode, 404);
    assert.equal((await handler(event(view('expiredexpiredexpired_')), ctx)).statusCode, 404);
    assert.equal((await handler(event({ view: '../../etc/passwd' }), ctx)).statusCode, 400);
  });
  test('403 for the old unsigned link, a forged signature, another secret, and an expired link', async () => {
    assert.equal((await handler(event({ session_history_key: key }), ctx)).statusCode, 403);
    assert.equal((await handler(event(), ctx)).statusCode, 403);
    const token = mintViewToken(key, secret);
    const forged = token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
    assert.equal((await handler(event({ view: forged }), ctx)).statusCode, 403);
    assert.equal((await handler(event({ view: mintViewToken(key, randomBytes(32).toString('hex')) }), ctx)).statusCode, 403);
    const longer = token.replace(/\.(\d+)\./, (_m, e: string) => `.${Number(e) + 86_400}.`);
    assert.equal((await handler(event({ view: longer }), ctx)).statusCode, 403, 'the expiry is signed');
    const expired = await handler(event(view(key, { nowMs: Date.now() - 3601_000 })), ctx);
    assert.equal(expired.statusCode, 403);
    assert.match(String(expired.body), /Link expired/);
  });
  test('the link is valid for the configured time after the transfer (default 1 hour)', async () => {
    const t0 = Date.now() - 3590_000;
    assert.equal((await handler(event(view(key, { nowMs: t0 })), ctx)).statusCode, 200, 'still valid 59 min 50 s after the transfer');
    const link = screenPopLink('https://agent.example.test/agent', key, secret, { ttlSeconds: 7200 });
    assert.match(link, /^https:\/\/agent\.example\.test\/agent\?view=[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    assert.ok(!link.includes('session_history_key'));
  });
});

describe('npm run call: the printed screen pop line (dev/caller/screen-pop-line.ts)', () => {
  test('is the signed link, which verifies with the stack secret; without a secret, no link', async () => {
    const { screenPopLine } = await import('../../dev/caller/screen-pop-line.ts');
    const { verifyViewToken } = await import('../../adapters/agent-view/link.ts');
    const key = newSessionHistoryKey();
    const line = screenPopLine('http://127.0.0.1:3000/agent', key, secret);
    const url = /(http:\/\/\S+)$/.exec(line)?.[1];
    assert.ok(url, line);
    assert.doesNotMatch(line, /session_history_key/);
    const check = verifyViewToken(new URL(url).searchParams.get('view') ?? '', secret);
    assert.ok(check.ok && check.key === key);
    assert.match(screenPopLine('http://127.0.0.1:3000/agent', key, undefined), /no signed link/);
  });
});
