import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { makeRuntime, startCall, ScriptedTestAssistant } from '../helpers/conversation-harness.ts';
import { until, type FakeCall } from '../helpers/fake-call.ts';
import type { Recognition, SttProvider } from '../../media-core/conversation/speech/stt.ts';
import type { GenericResponse, SttResult } from '../../media-core/conversation/types.ts';

/** A recognizer that answers `transcript` on end(), or never when `hang` is set. */
class FakeStt implements SttProvider {
  readonly name = 'fake';
  frames = 0;
  opened = 0;
  constructor(
    private readonly transcript: string,
    private readonly hang = false,
  ) {}
  open(): Recognition {
    this.opened++;
    let resolve!: (r: SttResult) => void;
    let reject!: (e: Error) => void;
    const result = new Promise<SttResult>((a, b) => ((resolve = a), (reject = b)));
    result.catch(() => {});
    return {
      write: () => void this.frames++,
      end: () => {
        if (!this.hang) resolve({ result_index: 0, results: [{ final: true, alternatives: [{ transcript: this.transcript, confidence: 0.9 }] }] });
      },
      abort: () => reject(new Error('aborted')),
      result,
    };
  }
}

const tone = () => Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
const quiet = () => new Int16Array(160);

/** Speaks: `n` loud frames then 10 quiet frames, one frame per ms. */
async function speak(call: FakeCall, n = 20): Promise<void> {
  for (let i = 0; i < n; i++) call.emit('audio', tone());
  for (let i = 0; i < 10; i++) call.emit('audio', quiet());
  await new Promise((r) => setTimeout(r, 5));
}

const text = (t: string): GenericResponse => ({ response_type: 'text', text: t });

describe('speech input, barge-in and utterance timeouts', () => {
  test('an utterance becomes the turn input with speech_to_text_result (Watson format)', async () => {
    const stt = new FakeStt('i want to speak to an agent');
    const a = new ScriptedTestAssistant((t) => (t === '' ? [text('Hi')] : [{ response_type: 'end_session' }]));
    const { runtime } = makeRuntime(a, { stt });
    const call = startCall(runtime);
    await until(() => call.plays[0]?.result !== undefined, 'welcome played');
    for (let i = 0; i < 5; i++) call.emit('audio', quiet());
    await speak(call);
    await runtime.idle();
    const req = a.requests[1]!;
    assert.equal(req.input.text, 'i want to speak to an agent');
    assert.equal(req.context.is_dtmf, false);
    assert.deepEqual(req.context.speech_to_text_result, { result_index: 0, results: [{ final: true, alternatives: [{ transcript: 'i want to speak to an agent', confidence: 0.9 }] }] });
    assert.ok(stt.frames >= 20, 'preroll and frames reach the recognizer');
  });

  test('speech barge-in stops the prompt; disable_barge_in keeps it playing and ignores the speech', async () => {
    const stt = new FakeStt('hello');
    const long = text('y'.repeat(300));
    const a = new ScriptedTestAssistant((t) => (t === '' ? [long] : [{ response_type: 'text_to_speech', command_info: { type: 'disable_barge_in' } }, long]));
    const { runtime } = makeRuntime(a, { stt });
    const call = startCall(runtime, {}, 1);
    await until(() => call.plays.length === 1, 'playing');
    await speak(call);
    await until(() => a.requests.length === 2, 'barge-in turn');
    assert.equal(call.plays[0]!.result?.completed, false);
    assert.equal(a.requests[1]!.context.barge_in_occurred, true);
    await until(() => call.plays.length === 2, 'second prompt');
    await speak(call);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(stt.opened, 1, 'speech during a prompt without barge-in is not recognized');
    assert.equal(call.plays[1]!.result, undefined);
    call.remoteHangup();
    await runtime.idle();
  });

  test('final_utterance_timeout_count gives vgwFinalUtteranceTimeout', async () => {
    const stt = new FakeStt('never', true);
    const a = new ScriptedTestAssistant((t, req) => (t === '' ? { output: { generic: [] }, context: { ...req.context, final_utterance_timeout_count: '50' } } : [{ response_type: 'end_session' }]));
    const { runtime } = makeRuntime(a, { stt });
    const call = startCall(runtime);
    await until(() => a.requests.length === 1, 'first turn');
    await speak(call);
    await runtime.idle();
    assert.equal(a.requests[1]!.input.text, 'vgwFinalUtteranceTimeout');
    assert.equal(a.requests[1]!.context.final_utterance_timeout_occurred, true);
  });

  test('ignore_speech keeps a collection going; stop_activities speech_to_text_recognition stops recognition', async () => {
    const stt = new FakeStt('words');
    const a = new ScriptedTestAssistant((t) =>
      t === '' ? [{ response_type: 'dtmf', command_info: { type: 'collect', parameters: { count: 2, ignore_speech: true } } }] : t === '12' ? [{ response_type: 'stop_activities', activities: [{ type: 'speech_to_text_recognition' }] }] : [text(`unexpected ${t}`)],
    );
    const { runtime, tts } = makeRuntime(a, { stt });
    const call = startCall(runtime);
    await until(() => a.requests.length === 1, 'first turn');
    assert.equal(call.listenerCount('audio'), 1, 'caller audio is listened to while speech can be recognized');
    await speak(call);
    call.press('1');
    call.press('2');
    await until(() => a.requests.length === 2, 'collected');
    assert.equal(a.requests[1]!.input.text, '12');
    await speak(call);
    await until(() => call.listenerCount('audio') === 0, 'audio unsubscribed once recognition stopped');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(stt.opened, 0);
    assert.deepEqual(tts.texts(), []);
    call.remoteHangup();
    await runtime.idle();
  });

  test('an utterance also ends when the caller RTP stops (silence suppression)', async () => {
    const stt = new FakeStt('goodbye');
    const a = new ScriptedTestAssistant((t) => (t === '' ? [] : [{ response_type: 'end_session' }]));
    const { runtime } = makeRuntime(a, { stt });
    const call = startCall(runtime);
    await until(() => a.requests.length === 1, 'first turn');
    for (let i = 0; i < 20; i++) call.emit('audio', tone());
    await runtime.idle();
    assert.equal(a.requests[1]!.input.text, 'goodbye');
  });
});
