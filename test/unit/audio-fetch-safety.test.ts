/**
 * The `audio` response's fetch (issue 12 item 7): https only, special-use addresses refused in
 * the agent's own DNS lookup, loopback only with the development option, no redirects, a
 * cache bounded by bytes.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeWav } from '../../media-core/conversation/speech/pcm.ts';
import { fetchWav8k, audioUrlProblem, type AudioLimits } from '../../media-core/conversation/audio-fetch.ts';
import { ByteBudgetAudioCache } from '../../media-core/conversation/audio-cache.ts';
import { addressProblem, guardedLookup } from '../../media-core/conversation/fetch-address-policy.ts';
import { makeRuntime, startCall, ScriptedTestAssistant } from '../helpers/conversation-harness.ts';
import { startHttpsFileServer, type HttpsFileServer } from '../helpers/https-files.ts';

let srv: HttpsFileServer;
let good = '';
const wav = writeWav(new Int16Array(800).fill(1234), 8000);

before(async () => {
  srv = await startHttpsFileServer();
  good = srv.file('good.wav', wav);
});
after(() => srv.close());

const dev = (): AudioLimits => ({ maxBytes: 1_000_000, timeoutMs: 3000, allowLoopback: true, ca: srv.ca });
const prod = (): AudioLimits => ({ maxBytes: 1_000_000, timeoutMs: 3000, ca: srv.ca });

describe('fetch-address-policy', () => {
  test('special-use addresses are refused, public ones pass', () => {
    for (const a of ['0.1.2.3', '10.0.0.1', '100.64.0.1', '127.0.0.1', '169.254.169.254', '172.16.5.5', '192.168.1.1', '224.0.0.1', '255.255.255.255', '::1', '::', 'fc00::1', 'fd12::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '::ffff:8.8.8.8', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', 'ff02::1']) {
      assert.ok(addressProblem(a), `${a} refused`);
    }
    for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111']) assert.equal(addressProblem(a), undefined, `${a} allowed`);
    assert.equal(addressProblem('127.0.0.1', true), undefined, 'loopback with the development option');
    assert.equal(addressProblem('::1', true), undefined);
    assert.ok(addressProblem('10.0.0.1', true), 'the development option allows loopback only');
    assert.ok(addressProblem('169.254.169.254', true));
  });
  test('the guarded lookup refuses a name that resolves to loopback (what a rebinding answer looks like)', async () => {
    const lookup = guardedLookup(false);
    const err = await new Promise<NodeJS.ErrnoException | null>((r) => lookup('localhost', { all: true }, (e) => r(e)));
    assert.equal(err?.code, 'ERR_ADDRESS_REFUSED');
    const ok = await new Promise<unknown>((r) => guardedLookup(true)('localhost', {}, (e, a) => r(e ?? a)));
    assert.match(String(ok), /^(127\.0\.0\.1|::1)$/);
  });
  test('URL checks before any connection', () => {
    assert.match(audioUrlProblem('http://example.com/a.wav')!, /only https/);
    assert.match(audioUrlProblem('https://user:pw@example.com/a.wav')!, /credentials/);
    assert.match(audioUrlProblem('https://169.254.169.254/latest/meta-data/')!, /refused/);
    assert.match(audioUrlProblem('https://[::ffff:a9fe:a9fe]/x')!, /refused/);
    assert.equal(audioUrlProblem('https://example.com/a.wav'), undefined);
  });
});

describe('fetchWav8k', () => {
  test('https on 127.0.0.1 with the development option plays', async () => {
    const pcm = await fetchWav8k(good, new ByteBudgetAudioCache(1_000_000), dev());
    assert.equal(pcm.length, 800);
  });
  test('loopback is refused without the development option, by IP literal and by name', async () => {
    const seen = srv.requests.length;
    await assert.rejects(fetchWav8k(good, new ByteBudgetAudioCache(1_000_000), prod()), /refused/);
    await assert.rejects(fetchWav8k(`https://localhost:${srv.port}/good.wav`, new ByteBudgetAudioCache(1_000_000), prod()), /refused/);
    assert.equal(srv.requests.length, seen, 'no request reached the server');
  });
  test('http is refused; redirects are not followed', async () => {
    await assert.rejects(fetchWav8k(good.replace('https:', 'http:'), new ByteBudgetAudioCache(1_000_000), dev()), /only https/);
    const seen = srv.requests.length;
    await assert.rejects(fetchWav8k(`${srv.baseUrl}/redirect/good.wav`, new ByteBudgetAudioCache(1_000_000), dev()), /HTTP 302 \(redirects are not followed\)/);
    assert.deepEqual(srv.requests.slice(seen), ['redirect/good.wav']);
  });
  test('files over maxBytes fail', async () => {
    const big = srv.file('big.wav', writeWav(new Int16Array(100_000), 8000));
    await assert.rejects(fetchWav8k(big, new ByteBudgetAudioCache(1_000_000), { ...dev(), maxBytes: 10_000 }), /audio fetch failed/);
  });
});

describe('ByteBudgetAudioCache', () => {
  test('bounded by bytes, least recently used out first; an entry over the budget is not kept', () => {
    const c = new ByteBudgetAudioCache(5000);
    c.set('a', new Int16Array(1000));
    c.set('b', new Int16Array(1000));
    assert.equal(c.bytes, 4000);
    c.get('a');
    c.set('c', new Int16Array(1000));
    assert.equal(c.get('b'), undefined, 'b was least recently used');
    assert.ok(c.get('a') && c.get('c'));
    assert.equal(c.bytes, 4000);
    c.set('huge', new Int16Array(3000));
    assert.equal(c.get('huge'), undefined);
    assert.ok(c.bytes <= 5000);
    c.set('a', new Int16Array(2000));
    assert.equal(c.get('c'), undefined, 'replacing a with a bigger entry evicted c');
    assert.equal(c.bytes, 4000);
  });
});

describe('runtime configuration', () => {
  test('default configuration: the audio response from 127.0.0.1 is refused and the next response runs', async () => {
    const a = new ScriptedTestAssistant(() => [{ response_type: 'audio', source: good }, { response_type: 'text', text: 'after' }, { response_type: 'end_session' }]);
    const { runtime, tts } = makeRuntime(a, { config: { audioFetch: { caFile: srv.caFile } } });
    const call = startCall(runtime);
    await runtime.idle();
    assert.equal(call.plays.length, 1, 'only the text played');
    assert.deepEqual(tts.texts(), ['after']);
  });
  test('audioFetch.allowLoopback (development) with caFile: the file plays', async () => {
    const a = new ScriptedTestAssistant(() => [{ response_type: 'audio', source: good }, { response_type: 'end_session' }]);
    const { runtime } = makeRuntime(a, { config: { audioFetch: { allowLoopback: true, caFile: srv.caFile } } });
    const call = startCall(runtime);
    await runtime.idle();
    assert.equal(call.plays.length, 1);
    assert.equal(call.plays[0]!.samples, 800);
  });
});
