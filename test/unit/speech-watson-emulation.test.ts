/**
 * The production speech path locally: our Watson STT and TTS clients against the sandbox's
 * Watson emulation (dev/sandboxes/watson.ts), custom speech models as recognize URL parameters,
 * and the recognizer fed only while the caller speaks (VAD-gated, never during playback
 * without barge-in), which is what Watson bills.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import { startSandboxes, type RunningSandboxes } from '../../dev/sandboxes/server.ts';
import { IamTokenSource } from '../../media-core/conversation/iam.ts';
import { WatsonStt } from '../../media-core/conversation/speech/stt-watson.ts';
import { WatsonTts } from '../../media-core/conversation/speech/tts-watson.ts';
import { parseConfig } from '../../media-core/config/load.ts';
import { createConversationRuntime } from '../../media-core/conversation/runtime.ts';
import { RecordingTts, ScriptedTestAssistant } from '../helpers/conversation-harness.ts';
import { FakeCall, fakeCallInfo, until } from '../helpers/fake-call.ts';
import type { GenericResponse } from '../../media-core/conversation/types.ts';

const apiKey = `test-fake-watson-${randomBytes(8).toString('hex')}`;
const customLanguage = randomUUID();
const customAcoustic = randomUUID();
let sb: RunningSandboxes;
let base = '';

before(async () => {
  sb = await startSandboxes({
    port: 0,
    watson: { apiKey, latencyMs: 150, languageCustomizations: { [customLanguage]: 'what are your branch opening hours' }, acousticCustomizations: [customAcoustic] },
  });
  base = sb.url;
});
after(() => sb.stop());

const iam = () => new IamTokenSource(`${base}/identity/token`, apiKey);
const stt = (onInterim?: (t: string) => void) =>
  new WatsonStt({ url: `${base.replace('http', 'ws')}/speech-to-text`, model: 'en-US_NarrowbandModel', iam: iam(), onInterim: onInterim && ((r) => onInterim(r.results[0]!.alternatives[0]!.transcript)) });

/** Telephone audio of a phrase made at test time (espeak-ng, 8 kHz 16-bit). */
function telephone(text: string): Int16Array {
  const r = spawnSync('sh', ['-c', 'espeak-ng -v en-us --stdout "$0" | sox -t wav - -r 8000 -c 1 -b 16 -e signed-integer -t raw -', text]);
  const b = r.stdout as Buffer;
  return Int16Array.from({ length: b.length >> 1 }, (_, i) => b.readInt16LE(i * 2));
}

async function recognize(settings: Record<string, unknown>, onInterim?: (t: string) => void) {
  const rec = stt(onInterim).open(settings);
  for (let i = 0; i < 50; i++) rec.write(new Int16Array(160).fill(1000 * ((i % 3) - 1)));
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  rec.end();
  const r = await rec.result;
  return { r, ms: performance.now() - t0, session: sb.watson.sessions().at(-1)! };
}

describe('Watson emulation against our clients', () => {
  test('IAM: the configured key gets a bearer token; another key is refused', async () => {
    assert.match(await iam().token(), /^fake-iam-/);
    await assert.rejects(new IamTokenSource(`${base}/identity/token`, 'wrong-key').token(), /IAM token request failed: 400/);
  });

  test('STT: start, listening, interim results, the canned final result after the configured latency', async () => {
    const interim: string[] = [];
    const { r, ms, session } = await recognize({ model: 'en-US_NarrowbandModel', narrowband_recognize: { smart_formatting: true } }, (t) => interim.push(t));
    assert.equal(r.results[0]!.final, true);
    assert.equal(r.results[0]!.alternatives[0]!.transcript, 'what are your opening hours ');
    assert.ok(ms >= 140, `final result after the emulated latency (${ms.toFixed(0)} ms)`);
    assert.ok(interim.length >= 1 && interim[0]!.startsWith('what'), `interim results: ${JSON.stringify(interim)}`);
    assert.equal(session.start!['content-type'], 'audio/l16;rate=8000;endianness=little-endian');
    assert.equal(session.start!.smart_formatting, true);
    assert.deepEqual(session.warnings, []);
    assert.equal(session.audioBytes, 50 * 320);
    assert.equal(session.query.model, 'en-US_NarrowbandModel');
  });

  test('STT: an unknown model is refused at the handshake', async () => {
    const rec = stt().open({ model: 'xx-XX_NoSuchModel' });
    rec.end();
    await assert.rejects(rec.result, /Watson STT connection failed: Unexpected server response: 400/);
  });

  test('custom models: language and acoustic customization ids go in the recognize URL, and the custom model takes effect', async () => {
    const { r, session } = await recognize({ narrowband_recognize: { language_customization_id: customLanguage, acoustic_customization_id: customAcoustic, customization_weight: 0.4 } });
    assert.equal(session.query.language_customization_id, customLanguage);
    assert.equal(session.query.acoustic_customization_id, customAcoustic);
    assert.deepEqual(session.applied, { language: customLanguage, acoustic: customAcoustic });
    assert.equal(session.start!.customization_weight, 0.4, 'customization_weight is a start-message parameter');
    assert.equal('language_customization_id' in session.start!, false);
    assert.deepEqual(session.warnings, [], 'no "Unknown arguments" warning');
    assert.equal(r.results[0]!.alternatives[0]!.transcript, 'what are your branch opening hours ');
  });

  test('hostile clients: audio before start, an oversized frame, no token -> that session ends, the emulation goes on', async () => {
    const token = await iam().token();
    const url = `${base.replace('http', 'ws')}/speech-to-text/v1/recognize?model=en-US_NarrowbandModel`;
    const open = (headers: Record<string, string>) => new WebSocket(url, { headers });
    const early = open({ authorization: `Bearer ${token}` });
    const got = await new Promise<string>((resolve, reject) => {
      early.on('open', () => early.send(Buffer.alloc(320)));
      early.on('message', (d) => resolve(d.toString()));
      early.on('error', reject);
    });
    assert.match(got, /"error":"Audio received before a start message"/);
    const big = open({ authorization: `Bearer ${token}` });
    const closed = await new Promise<number>((resolve) => {
      big.on('open', () => big.send(Buffer.alloc(2 * 1024 * 1024)));
      big.on('close', (code) => resolve(code));
      big.on('error', () => {});
    });
    assert.equal(closed, 1009, 'message too big');
    const anon = open({});
    const status = await new Promise<number>((resolve) => anon.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 401);
    const { r } = await recognize({});
    assert.equal(r.results[0]!.final, true, 'the emulation still serves');
  });

  test('TTS: synthesize streams mu-law audio of the text; an unknown voice is an error', async () => {
    const tts = new WatsonTts({ url: `${base}/text-to-speech`, voice: 'en-US_AllisonV3Voice', timeoutMs: 5000, iam: iam() });
    const src = await tts.synthesize('Hello there', { voice: 'en-US_MichaelV3Voice', rate_percentage: -10 });
    let samples = 0;
    let peak = 0;
    for await (const c of src as AsyncIterable<Int16Array>) {
      samples += c.length;
      for (const x of c) peak = Math.max(peak, Math.abs(x));
    }
    assert.equal(samples, 'Hello there'.length * 480);
    assert.ok(peak > 3000, 'audible');
    await assert.rejects(tts.synthesize('x', { voice: 'en-US_NoSuchVoice' }), /HTTP 404/);
  });
});

describe('Watson speech through the runtime', () => {
  const say = (t: string): GenericResponse => ({ response_type: 'text', text: t });

  function runtimeWith(stt: Record<string, unknown>, answer: (t: string) => GenericResponse[], integration: Record<string, unknown> = {}) {
    const loaded = parseConfig(
      {
        assistants: { a: { type: 'webhook', url: 'http://127.0.0.1:9/unused' } },
        speech: {
          w: {
            tts: { provider: 'watson', url: `${base}/text-to-speech`, iamUrl: `${base}/identity/token`, apiKeyEnv: 'TEST_WATSON_KEY' },
            stt: { provider: 'watson', url: `${base.replace('http', 'ws')}/speech-to-text`, iamUrl: `${base}/identity/token`, apiKeyEnv: 'TEST_WATSON_KEY', ...stt },
            vad: { startFrames: 2, hangoverFrames: 10, prerollFrames: 2 },
          },
        },
        integrations: [{ number: '+15550100001', assistant: 'a', speech: 'w', contactCenter: { vendor: 'sip_trunk', agentUri: 'sip:agent@127.0.0.1:5090' }, postResponseTimeoutMs: 60_000, ...integration }],
      },
      '/tmp',
    );
    const assistant = new ScriptedTestAssistant(answer);
    const tts = new RecordingTts();
    const runtime = createConversationRuntime(loaded, { env: { TEST_WATSON_KEY: apiKey }, makeAssistant: () => assistant, makeTts: () => tts });
    return { runtime, assistant, tts };
  }

  /** Feeds 20 ms frames to the call, paced at `speed` x real time. */
  async function speak(call: FakeCall, pcm: Int16Array, speed = 4) {
    for (let i = 0; i + 160 <= pcm.length; i += 160) {
      call.emit('audio', pcm.subarray(i, i + 160));
      if (i % 1600 === 0) await new Promise((r) => setTimeout(r, 20 / speed));
    }
  }

  test('configured custom models and a speech_to_text configure (narrowband_recognize) reach the recognize URL', async () => {
    const configure: GenericResponse = { response_type: 'speech_to_text', command_info: { type: 'configure', parameters: { narrowband_recognize: { acoustic_customization_id: customAcoustic, smart_formatting: true } } } } as GenericResponse;
    const { runtime, assistant } = runtimeWith({ languageCustomizationId: customLanguage }, (t) => (t === '' ? [configure, say('Hi')] : [say(`heard ${t}`)]));
    const sessionsBefore = sb.watson.sessions().length;
    const call = new FakeCall(fakeCallInfo(), 50);
    runtime.onCall(call);
    await until(() => call.plays.length === 1 && call.plays[0]!.result !== undefined, 'welcome played');
    await speak(call, new Int16Array(160 * 5));
    await speak(call, telephone('what are your opening hours'));
    await speak(call, new Int16Array(160 * 20));
    await until(() => assistant.texts().length === 2, 'the recognized turn', 5000);
    const s = sb.watson.sessions().slice(sessionsBefore);
    assert.equal(s.length, 1);
    assert.deepEqual(s[0]!.applied, { language: customLanguage, acoustic: customAcoustic });
    assert.equal(s[0]!.start!.smart_formatting, true);
    assert.deepEqual(s[0]!.warnings, []);
    assert.equal(assistant.texts()[1], 'what are your branch opening hours');
    const r = assistant.requests[1]!.context.speech_to_text_result as { results: { alternatives: { transcript: string }[] }[] };
    assert.equal(r.results[0]!.alternatives[0]!.transcript, 'what are your branch opening hours ');
    call.remoteHangup();
    await runtime.idle();
    runtime.close();
  });

  test('only the caller\'s speech is streamed (VAD-gated), and nothing during playback when barge-in is off', async () => {
    const long = 'x'.repeat(150); // 1.5 s of prompt at speed 1
    const { runtime, assistant } = runtimeWith({}, (t) => (t === '' ? [say(long)] : [say(`heard ${t}`)]), { bargeIn: { speech: false, dtmf: false } });
    const sessionsBefore = sb.watson.sessions().length;
    const call = new FakeCall(fakeCallInfo(), 1);
    runtime.onCall(call);
    await until(() => call.plays.length === 1, 'prompt playing');
    // The caller talks over the prompt: barge-in is off, so nothing is sent to Watson.
    const phrase = telephone('what are your opening hours');
    await speak(call, phrase);
    await speak(call, new Int16Array(160 * 20));
    assert.equal(sb.watson.sessions().length, sessionsBefore, 'no recognize session during playback');
    await until(() => call.plays[0]!.result !== undefined, 'prompt done', 5000);
    // 3 s of silence, then the phrase, then silence: only the phrase (with preroll and hangover) is sent.
    await speak(call, new Int16Array(160 * 150), 20);
    await speak(call, phrase);
    await speak(call, new Int16Array(160 * 100), 20);
    await until(() => assistant.texts().length === 2, 'the recognized turn', 5000);
    const s = sb.watson.sessions().slice(sessionsBefore);
    assert.equal(s.length, 1);
    const sentMs = s[0]!.audioBytes / 16;
    const phraseMs = phrase.length / 8;
    assert.ok(sentMs <= phraseMs + 12 * 20 + 100 && sentMs >= phraseMs * 0.5, `sent ${sentMs} ms of audio for a ${phraseMs} ms phrase (silence around it: 5 s)`);
    call.remoteHangup();
    await runtime.idle();
    runtime.close();
  });
});
