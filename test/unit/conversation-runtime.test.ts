import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { makeRuntime, startCall, ScriptedTestAssistant, stubInvoker } from '../helpers/conversation-harness.ts';
import { until } from '../helpers/fake-call.ts';
import type { GenericResponse } from '../../media-core/conversation/types.ts';

const text = (t: string): GenericResponse => ({ response_type: 'text', text: t });
const collect = (parameters: Record<string, unknown>): GenericResponse => ({ response_type: 'dtmf', command_info: { type: 'collect', parameters } });

describe('conversation runtime with a fake call', () => {
  test('unknown called number is rejected with 404', () => {
    const { runtime } = makeRuntime(new ScriptedTestAssistant(() => []));
    const call = startCall(runtime, { calledUser: '+15559999999' });
    assert.equal(call.rejected?.status, 404);
  });

  test('called number without + routes; first turn carries the call variables (table 3)', async () => {
    const a = new ScriptedTestAssistant((t) => (t === '' ? [text('Welcome')] : []));
    const { runtime, tts } = makeRuntime(a, { integration: { customInviteHeaders: ['X-Customer-Id', 'X-Absent'] } });
    const call = startCall(runtime, { calledUser: '15550100001', inviteHeaders: [{ name: 'x-customer-id', value: 'c-42' }, { name: 'X-Other', value: 'no' }] });
    await until(() => tts.texts().includes('Welcome'), 'welcome');
    const ctx = a.requests[0]!.context;
    assert.equal(a.requests[0]!.input.text, '');
    assert.equal(ctx.sip_call_id, call.info.callId);
    assert.equal(ctx.user_phone_number, '+15551234567');
    assert.deepEqual(ctx.sip_custom_invite_headers, { 'X-Customer-Id': 'c-42' });
    assert.equal(ctx.sip_from_uri, call.info.fromUri);
    assert.equal(ctx.sip_to_uri, call.info.toUri);
    assert.equal(ctx.sip_request_uri, call.info.requestUri);
    assert.equal(ctx.is_dtmf, false);
    assert.equal(ctx.barge_in_occurred, false);
    call.remoteHangup();
    await runtime.idle();
    assert.ok(a.texts().includes('vgwHangUp'), 'the assistant hears vgwHangUp');
  });

  test('dtmf collect with termination key: digits, is_dtmf, dtmf_collection_succeeded', async () => {
    const a = new ScriptedTestAssistant((t) => (t === '' ? [text('Enter your account'), collect({ termination_key: '#', minimum_count: 4, maximum_count: 10 })] : [text(`got ${t}`)]));
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime);
    await until(() => call.plays.length === 1 && call.plays[0]!.result !== undefined, 'prompt played');
    for (const d of '12345#') call.press(d);
    await until(() => tts.texts().includes('got 12345'), 'answer');
    const req = a.requests[1]!;
    assert.equal(req.input.text, '12345');
    assert.equal(req.context.is_dtmf, true);
    assert.equal(req.context.dtmf_collection_succeeded, true);
    call.remoteHangup();
    await runtime.idle();
  });

  test('dtmf collect fails on inter-digit timeout with count; all digits still passed', async () => {
    const a = new ScriptedTestAssistant((t) => (t === '' ? [collect({ count: '4', inter_digit_timeout_count: 80 })] : [text(`got ${t}`)]));
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime);
    await until(() => a.requests.length === 1, 'first turn');
    call.press('7');
    call.press('8');
    await until(() => tts.texts().includes('got 78'), 'answer');
    assert.equal(a.requests[1]!.context.dtmf_collection_succeeded, false);
    call.press('5');
    await until(() => a.requests.length === 3, 'single digit turn');
    assert.equal(a.requests[2]!.input.text, '5', 'after the collection, a key is a turn of its own');
    assert.equal('dtmf_collection_succeeded' in a.requests[2]!.context, false);
    call.remoteHangup();
    await runtime.idle();
  });

  test('DTMF barge-in stops playback and sets barge_in_occurred; disabled barge-in ignores keys', async () => {
    const long = 'x'.repeat(300); // 3 s of audio at speed 1
    const a = new ScriptedTestAssistant((t) => (t === '' ? [text(long)] : t === '1' ? [{ response_type: 'dtmf', command_info: { type: 'disable_barge_in' } }, text(long)] : [text('done')]));
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime, {}, 1);
    await until(() => call.plays.length === 1, 'playing');
    call.press('1');
    await until(() => call.plays[0]!.result !== undefined, 'stopped');
    assert.equal(call.plays[0]!.result!.completed, false);
    assert.equal(a.requests[1]!.context.barge_in_occurred, true);
    await until(() => call.plays.length === 2, 'second prompt');
    call.press('2');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(call.plays[1]!.result, undefined, 'key did not stop the prompt');
    assert.equal(a.requests.length, 2, 'key during playback ignored');
    assert.ok(!tts.texts().includes('done'));
    call.remoteHangup();
    await runtime.idle();
  });

  test('post_response_timeout_count from the context gives vgwPostResponseTimeout', async () => {
    const a = new ScriptedTestAssistant((t, req) => (t === '' ? { output: { generic: [text('Hi')] }, context: { ...req.context, post_response_timeout_count: 60 } } : [text(`got ${t}`)]));
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime);
    await until(() => tts.texts().includes('got vgwPostResponseTimeout'), 'timeout turn');
    assert.equal(a.requests[1]!.context.post_response_timeout_occurred, true);
    assert.equal(a.requests[1]!.context.is_dtmf, false);
    call.remoteHangup();
    await runtime.idle();
  });

  test('end_session sends BYE with the assistant headers', async () => {
    const headers = [{ name: 'Customer-Header1', value: 'Some-Custom-Info' }, { name: 'User-To-User', value: 'XXXXXX' }];
    const a = new ScriptedTestAssistant(() => [text('Bye'), { response_type: 'end_session', channel_options: { voice_telephony: { sip: { headers } } } }]);
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime);
    await runtime.idle();
    assert.deepEqual(tts.texts(), ['Bye']);
    assert.deepEqual(call.hangups, [headers]);
  });

  test('dtmf send uses send_interval default 200 ms', async () => {
    const a = new ScriptedTestAssistant((t) => (t === '' ? [{ response_type: 'dtmf', command_info: { type: 'send', parameters: { digits: '12#' } } }, { response_type: 'dtmf', command_info: { type: 'send', parameters: { digits: '9', send_interval: 500 } } }, { response_type: 'end_session' }] : []));
    const { runtime } = makeRuntime(a);
    const call = startCall(runtime);
    await runtime.idle();
    assert.deepEqual(call.sentDigits, [{ digits: '12#', intervalMs: 200 }, { digits: '9', intervalMs: 500 }]);
  });

  test('stop_activities dtmf_collection ignores keys until start_activities', async () => {
    const act = (type: string): GenericResponse => ({ response_type: type, activities: [{ type: 'dtmf_collection' }] });
    const a = new ScriptedTestAssistant((t, req) =>
      t === '' ? { output: { generic: [act('stop_activities')] }, context: { ...req.context, post_response_timeout_count: 80 } } : t === 'vgwPostResponseTimeout' ? [act('start_activities')] : [text(`got ${t}`)],
    );
    // A speech recognizer that never hears anything keeps speech input possible.
    const stt = { name: 'none', open: () => ({ write() {}, end() {}, abort() {}, result: new Promise<never>(() => {}) }) };
    const { runtime, tts } = makeRuntime(a, { stt });
    const call = startCall(runtime);
    await until(() => a.requests.length === 1, 'first turn');
    call.press('4');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(a.requests.length, 1, 'key ignored while stopped');
    await until(() => a.requests.length === 2, 'timeout turn restarts DTMF');
    call.press('6');
    await until(() => tts.texts().includes('got 6'), 'key accepted after start_activities');
    call.remoteHangup();
    await runtime.idle();
  });

  test('assistant failure: failure message, then BYE without headers', async () => {
    const a = new ScriptedTestAssistant(() => []);
    a.fail = true;
    const { runtime, tts } = makeRuntime(a, { integration: { failureMessage: 'Technical trouble.' } });
    const call = startCall(runtime);
    await runtime.idle();
    assert.deepEqual(tts.texts(), ['Technical trouble.']);
    assert.deepEqual(call.hangups, [[]]);
  });

  test('text_to_speech configure with update strategies changes the voice used', async () => {
    const conf = (parameters: Record<string, unknown>): GenericResponse => ({ response_type: 'text_to_speech', command_info: { type: 'configure', parameters } });
    const a = new ScriptedTestAssistant((t) =>
      t === '' ? [conf({ voice: 'en-gb', update_strategy: 'replace_once' }), text('one')] : [text('two'), conf({ pitch: 3, update_strategy: 'merge' }), text('three'), { response_type: 'end_session' }],
    );
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime);
    await until(() => tts.texts().includes('one'), 'one');
    call.press('1');
    await runtime.idle();
    const by = Object.fromEntries(tts.said.map((s) => [s.text, s.settings]));
    assert.equal(by.one!.voice, 'en-gb');
    assert.equal(by.two!.voice, 'en-us', 'replace_once lasted one turn');
    assert.deepEqual(by.three, { voice: 'en-us', rate: 175, pitch: 3 });
  });

  test('with DTMF and speech input stopped, the next turn is vgwNoInputTurn', async () => {
    const stop = (type: string): GenericResponse => ({ response_type: 'stop_activities', activities: [{ type }] });
    const a = new ScriptedTestAssistant((t) => (t === '' ? [stop('dtmf_collection'), stop('speech_to_text_recognition'), text('Please listen.')] : [{ response_type: 'end_session' }]));
    const { runtime, tts } = makeRuntime(a);
    startCall(runtime);
    await runtime.idle();
    assert.deepEqual(a.texts(), ['', 'vgwNoInputTurn']);
    assert.deepEqual(tts.texts(), ['Please listen.']);
  });
});
