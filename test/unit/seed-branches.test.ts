/**
 * Response-type branches (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions) that had no test: both enable_barge_in commands, start_activities
 * speech_to_text_recognition, dtmf collect with stop_after_collection false, the
 * vgwActSendSMS parameter overrides, and the auto-hang-up after repeated silence (count
 * configurable; an assistant that handles vgwPostResponseTimeout itself is not overridden).
 * (The duplicate-number checks are in numbers.test.ts.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRuntime, startCall, ScriptedTestAssistant } from '../helpers/conversation-harness.ts';
import { until, type FakeCall } from '../helpers/fake-call.ts';
import type { Recognition, SttProvider } from '../../media-core/conversation/speech/stt.ts';
import type { GenericResponse, SttResult } from '../../media-core/conversation/types.ts';
import type { SmsRequestLike } from '../../media-core/conversation/session.ts';

const text = (t: string): GenericResponse => ({ response_type: 'text', text: t });
const cmd = (responseType: 'dtmf' | 'text_to_speech', type: string): GenericResponse => ({ response_type: responseType, command_info: { type } });

/** A recognizer that answers `transcript` when the utterance ends. */
class FakeStt implements SttProvider {
  readonly name = 'fake';
  opened = 0;
  constructor(private readonly transcript: string) {}
  open(): Recognition {
    this.opened++;
    let resolve!: (r: SttResult) => void;
    const result = new Promise<SttResult>((a) => (resolve = a));
    return {
      write: () => {},
      end: () => resolve({ result_index: 0, results: [{ final: true, alternatives: [{ transcript: this.transcript, confidence: 0.9 }] }] }),
      abort: () => {},
      result,
    };
  }
}
const tone = () => Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
async function speak(call: FakeCall): Promise<void> {
  for (let i = 0; i < 20; i++) call.emit('audio', tone());
  for (let i = 0; i < 10; i++) call.emit('audio', new Int16Array(160));
  await new Promise((r) => setTimeout(r, 5));
}

describe('response-type branches', () => {
  test('dtmf enable_barge_in: keys interrupt again after barge-in was off (config)', async () => {
    const long = text('x'.repeat(300));
    const a = new ScriptedTestAssistant((t) => (t === '' ? [long] : t === 'vgwPostResponseTimeout' ? [cmd('dtmf', 'enable_barge_in'), long] : [text(`got ${t}`)]));
    const { runtime, tts } = makeRuntime(a, { integration: { bargeIn: { dtmf: false, speech: false }, postResponseTimeoutMs: 50 } });
    const call = startCall(runtime, {}, 1);
    await until(() => call.plays.length === 1, 'first prompt');
    call.press('1');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(call.plays[0]!.result, undefined, 'barge-in off: the key does not stop the prompt');
    await until(() => call.plays.length === 2, 'second prompt, after enable_barge_in', 8000);
    call.press('2');
    await until(() => call.plays[1]!.result !== undefined, 'the key stopped it');
    assert.equal(call.plays[1]!.result!.completed, false);
    await until(() => tts.texts().includes('got 2'), 'the key is the next input');
    assert.equal(a.requests.at(-1)!.context.barge_in_occurred, true);
    call.remoteHangup();
    await runtime.idle();
  });

  test('text_to_speech enable_barge_in: speech interrupts again after barge-in was off (config)', async () => {
    const stt = new FakeStt('hello');
    const long = text('y'.repeat(300));
    const a = new ScriptedTestAssistant((t) => (t === '' ? [cmd('text_to_speech', 'enable_barge_in'), long] : [text(`got ${t}`)]));
    const { runtime, tts } = makeRuntime(a, { stt, integration: { bargeIn: { dtmf: true, speech: false } } });
    const call = startCall(runtime, {}, 1);
    await until(() => call.plays.length === 1, 'prompt');
    await speak(call);
    await until(() => call.plays[0]!.result !== undefined, 'speech stopped the prompt');
    assert.equal(call.plays[0]!.result!.completed, false);
    await until(() => tts.texts().includes('got hello'), 'speech is the next input');
    assert.equal(a.requests[1]!.context.barge_in_occurred, true);
    call.remoteHangup();
    await runtime.idle();
  });

  test('start_activities speech_to_text_recognition: recognition resumes after stop_activities', async () => {
    const stt = new FakeStt('agent please');
    const act = (type: string): GenericResponse => ({ response_type: type, activities: [{ type: 'speech_to_text_recognition' }] });
    const a = new ScriptedTestAssistant((t, req) =>
      t === '' ? { output: { generic: [act('stop_activities')] }, context: { ...req.context, post_response_timeout_count: 60 } } : t === 'vgwPostResponseTimeout' ? [act('start_activities')] : [text(`got ${t}`)],
    );
    const { runtime, tts } = makeRuntime(a, { stt });
    const call = startCall(runtime);
    await until(() => a.requests.length === 1, 'first turn');
    await until(() => call.listenerCount('audio') === 0, 'stopped: audio not listened to');
    await speak(call);
    assert.equal(stt.opened, 0, 'no recognition while stopped');
    await until(() => a.requests.length === 2, 'timeout turn starts recognition again');
    await until(() => call.listenerCount('audio') === 1, 'listening again');
    await speak(call);
    await until(() => tts.texts().includes('got agent please'), 'speech recognized after start_activities');
    assert.equal(stt.opened, 1);
    call.remoteHangup();
    await runtime.idle();
  });

  test('dtmf collect stop_after_collection false: collection goes on after the first result', async () => {
    const collect: GenericResponse = { response_type: 'dtmf', command_info: { type: 'collect', parameters: { count: 2, stop_after_collection: false } } };
    const a = new ScriptedTestAssistant((t) => (t === '' ? [collect] : [text(`got ${t}`)]));
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime);
    await until(() => a.requests.length === 1, 'first turn');
    call.press('1');
    call.press('2');
    await until(() => tts.texts().includes('got 12'), 'first collection');
    call.press('3');
    call.press('4');
    await until(() => tts.texts().includes('got 34'), 'second collection without a new collect');
    assert.equal(a.requests.at(-1)!.context.dtmf_collection_succeeded, true);
    call.remoteHangup();
    await runtime.idle();
  });

  test('dtmf collect stop_after_collection true (default): later keys are single-digit turns', async () => {
    const collect: GenericResponse = { response_type: 'dtmf', command_info: { type: 'collect', parameters: { count: 2 } } };
    const a = new ScriptedTestAssistant((t) => (t === '' ? [collect] : [text(`got ${t}`)]));
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime);
    await until(() => a.requests.length === 1, 'first turn');
    call.press('1');
    call.press('2');
    await until(() => tts.texts().includes('got 12'), 'collection');
    call.press('3');
    await until(() => tts.texts().includes('got 3'), 'a plain key turn');
    call.remoteHangup();
    await runtime.idle();
  });

  test('vgwActSendSMS: mediaURL, tenantPhoneNumber and userPhoneNumber override the defaults', async () => {
    const sent: SmsRequestLike[] = [];
    const sms = (parameters: Record<string, unknown>): GenericResponse => ({ response_type: 'user_defined', user_defined: { vgwAction: { command: 'vgwActSendSMS', parameters } } });
    const a = new ScriptedTestAssistant((t) =>
      t === ''
        ? [
            sms({ message: 'defaults' }),
            sms({ message: 'overrides', mediaURL: ['https://example.com/a.png', 'https://example.com/b.png'], tenantPhoneNumber: '+15550109999', userPhoneNumber: '+15557770000' }),
            sms({ message: 'one url', mediaURL: 'https://example.com/c.png' }),
            { response_type: 'end_session' },
          ]
        : [],
    );
    const { runtime } = makeRuntime(a, { vendor: { vendor: 'twilio_flex', smsFrom: '+15550108888' }, deps: { sendSms: async (r) => void sent.push(r) } });
    startCall(runtime, { callerUser: '15551234567' });
    await runtime.idle();
    assert.deepEqual(sent, [
      { to: '+15551234567', from: '+15550108888', body: 'defaults', mediaUrls: undefined },
      { to: '+15557770000', from: '+15550109999', body: 'overrides', mediaUrls: ['https://example.com/a.png', 'https://example.com/b.png'] },
      { to: '+15551234567', from: '+15550108888', body: 'one url', mediaUrls: ['https://example.com/c.png'] },
    ]);
  });

  describe('auto-hang-up after repeated silence', () => {
    const timeouts = (a: ScriptedTestAssistant) => a.texts().filter((t) => t === 'vgwPostResponseTimeout').length;

    test('an assistant that answers vgwPostResponseTimeout with nothing: hung up after maxConsecutiveTimeouts (configurable)', async () => {
      const a = new ScriptedTestAssistant((t) => (t === '' ? [text('Hi')] : []));
      const { runtime } = makeRuntime(a, { integration: { postResponseTimeoutMs: 20, maxConsecutiveTimeouts: 2 } });
      const call = startCall(runtime);
      await runtime.idle();
      assert.equal(timeouts(a), 2);
      assert.deepEqual(call.hangups, [[]], 'BYE without headers');
    });

    test('an assistant that handles vgwPostResponseTimeout itself (re-prompts, then its own end_session) is not overridden', async () => {
      let n = 0;
      const a = new ScriptedTestAssistant((t) => {
        if (t === '') return [text('Hi')];
        if (t !== 'vgwPostResponseTimeout') return [];
        n++;
        return n < 6 ? [text(`still there? ${n}`)] : [text('bye'), { response_type: 'end_session', channel_options: { voice_telephony: { sip: { headers: [{ name: 'X-Reason', value: 'silence' }] } } } }];
      });
      const { runtime, tts } = makeRuntime(a, { integration: { postResponseTimeoutMs: 20, maxConsecutiveTimeouts: 3 } });
      const call = startCall(runtime);
      await runtime.idle();
      assert.equal(timeouts(a), 6, 'all six timeouts reached the assistant (today: hung up after 3)');
      assert.ok(tts.texts().includes('still there? 5'));
      assert.deepEqual(call.hangups, [[{ name: 'X-Reason', value: 'silence' }]], 'the assistant\'s own end_session');
    });

    test('silenceHangup "always" counts re-prompts too (a hard cap); "never" leaves it to the assistant and maxTurns', async () => {
      const a = new ScriptedTestAssistant((t) => (t === '' ? [text('Hi')] : [text('still there?')]));
      const { runtime } = makeRuntime(a, { integration: { postResponseTimeoutMs: 20, maxConsecutiveTimeouts: 2, silenceHangup: 'always' } });
      const call = startCall(runtime);
      await runtime.idle();
      assert.equal(timeouts(a), 2, 'two timeouts answered, the third hangs up');
      assert.deepEqual(call.hangups, [[]]);
      const b = new ScriptedTestAssistant(() => []);
      const r2 = makeRuntime(b, { integration: { postResponseTimeoutMs: 10, maxConsecutiveTimeouts: 1, silenceHangup: 'never', maxTurns: 5 } });
      const call2 = startCall(r2.runtime);
      await r2.runtime.idle();
      assert.equal(timeouts(b), 4, 'only maxTurns ended it');
      assert.deepEqual(call2.hangups, [[]]);
    });

    test('caller input in between starts the count again', async () => {
      let pressed = false;
      const a = new ScriptedTestAssistant(() => []);
      const { runtime } = makeRuntime(a, { integration: { postResponseTimeoutMs: 40, maxConsecutiveTimeouts: 2 } });
      const call = startCall(runtime);
      await until(() => timeouts(a) === 1, 'first timeout');
      call.press('5');
      pressed = true;
      await runtime.idle();
      assert.ok(pressed);
      assert.deepEqual(a.texts().slice(1), ['vgwPostResponseTimeout', '5', 'vgwPostResponseTimeout', 'vgwPostResponseTimeout']);
    });
  });
});
