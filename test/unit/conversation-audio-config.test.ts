import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHttpsFileServer, type HttpsFileServer } from '../helpers/https-files.ts';
import { writeWav } from '../../media-core/conversation/speech/pcm.ts';
import { makeRuntime, startCall, ScriptedTestAssistant } from '../helpers/conversation-harness.ts';
import { until } from '../helpers/fake-call.ts';
import { loadConfigFile, parseConfig } from '../../media-core/config/load.ts';
import { createRouter, toE164 } from '../../media-core/conversation/routing.ts';
import { ConfigError } from '../../lib/env.ts';

let server: HttpsFileServer;
let base = '';
const good = writeWav(new Int16Array(800).fill(1234), 8000);
const wrongRate = writeWav(new Int16Array(800), 16000);
/** The audio fetch is https-only and refuses loopback unless the development option allows it. */
let devAudio: Record<string, unknown> = {};

before(async () => {
  server = await startHttpsFileServer();
  server.file('good.wav', good);
  server.file('16k.wav', wrongRate);
  server.file('big.wav', Buffer.alloc(2_000_000));
  base = server.baseUrl;
  devAudio = { audioFetch: { allowLoopback: true, caFile: server.caFile } };
});
after(() => server.close());

describe('audio response and configuration', () => {
  test('audio plays an 8 kHz WAV; a wrong format or a 404 is skipped and the next response runs', async () => {
    const audio = (p: string) => ({ response_type: 'audio', source: `${base}${p}` });
    const a = new ScriptedTestAssistant(() => [audio('/good.wav'), audio('/16k.wav'), audio('/missing.wav'), { response_type: 'text', text: 'after' }, { response_type: 'end_session' }]);
    const { runtime, tts } = makeRuntime(a, { config: devAudio });
    const call = startCall(runtime);
    await runtime.idle();
    assert.equal(call.plays.length, 2, 'the good file and the text');
    assert.equal(call.plays[0]!.samples, 800);
    assert.deepEqual(tts.texts(), ['after']);
  });

  test('looped audio plays until the caller interrupts it', async () => {
    const a = new ScriptedTestAssistant((t) => (t === '' ? [{ response_type: 'audio', source: `${base}/good.wav`, channel_options: { voice_telephony: { loop: 'true' } } }] : [{ response_type: 'end_session' }]));
    const { runtime } = makeRuntime(a, { config: devAudio });
    const call = startCall(runtime, {}, 5);
    await until(() => call.plays.length >= 3, 'three loops');
    call.press('1');
    await runtime.idle();
    assert.ok(call.plays.length >= 3);
    assert.equal(call.plays.at(-1)!.result?.completed, false);
  });

  test('demo.json validates and routes its four numbers; unknown and malformed numbers do not route', () => {
    const { config } = loadConfigFile('media-core/config/demo.json');
    const route = createRouter(config.integrations);
    assert.deepEqual(['+15550100001', '15550100002', '+1 (555) 010-0003', '%2B15550100004'].map((n) => route(n)?.contactCenter.vendor), ['sip_trunk', 'twilio_flex', 'amazon_connect', 'nice_cxone']);
    assert.equal(route('+15550100009'), undefined);
    assert.equal(route('alice'), undefined);
    assert.equal(toE164('0123'), undefined);
  });

  test('a config with a bad number or an unknown assistant is a ConfigError naming the path', () => {
    const raw = JSON.parse(JSON.stringify({ assistants: { a: { type: 'local', file: 'x.json' } }, speech: {}, integrations: [{ number: '5550100', assistant: 'b', speech: 's', contactCenter: { vendor: 'sip_trunk' } }] }));
    assert.throws(() => parseConfig(raw, '/tmp'), (e: unknown) => e instanceof ConfigError && /integrations\.0\.number: must be an E\.164/.test(e.message));
    raw.integrations[0].number = '+15550100001';
    assert.throws(() => parseConfig(raw, '/tmp'), /unknown assistant "b"/);
  });
});
