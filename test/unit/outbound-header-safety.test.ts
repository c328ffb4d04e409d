/**
 * Outbound SIP header safety (issue 12 item 1): the shared rules of events/sip-header.ts, the
 * serializer's last guard, and every vendor path turning the assistant's injected header
 * name, value or URI into the error outcome (BYE without attributes, no Lambda signal).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { assertSafeHeaders, headerProblem, uriProblem, UnsafeSipHeaderError } from '../../events/sip-header.ts';
import { serializeMessage } from '../../media-core/sip/serialize.ts';
import type { SipRequest, SipResponse } from '../../media-core/sip/message.ts';
import { translateHangup, translateTransfer } from '../../adapters/sip-trunk/translate.ts';
import { makeRuntime, startCall, ScriptedTestAssistant, stubInvoker } from '../helpers/conversation-harness.ts';
import type { GenericResponse } from '../../media-core/conversation/types.ts';
import { connectInviteHeaders, connectVendor, cxoneInviteHeaders, testContactVerifier } from '../helpers/contact-tokens.ts';

/** The reproduced injection: a header name that carries a whole Refer-To line. */
const INJECTED_NAME = 'X-Result: ok\r\nRefer-To: <sip:+19005550100@198.51.100.7>\r\nX-Pad';
/** The request-smuggling variant: ends the BYE and starts a second request on the connection. */
const SMUGGLED_NAME = 'X-Result: ok\r\nContent-Length: 0\r\n\r\nINVITE sip:+19005550100@198.51.100.7 SIP/2.0\r\nX-Pad';

const endSession = (headers: unknown[]): GenericResponse => ({ response_type: 'end_session', channel_options: { voice_telephony: { sip: { headers } } } }) as GenericResponse;
const agent = (sip: Record<string, unknown>): GenericResponse => ({
  response_type: 'connect_to_agent',
  transfer_info: { target: { service_desk: { sip } } },
  agent_available: { message: 'Transferring you.' },
  agent_unavailable: { message: 'No agent now.' },
});

describe('events/sip-header: the shared rules', () => {
  test('header names must be RFC 3261 tokens; the injected and smuggling names are refused', () => {
    assert.match(headerProblem({ name: INJECTED_NAME, value: '1' })!, /not an RFC 3261 token/);
    assert.match(headerProblem({ name: SMUGGLED_NAME, value: '1' })!, /not an RFC 3261 token/);
    assert.match(headerProblem({ name: 'X A', value: '1' })!, /token/);
    assert.match(headerProblem({ name: '', value: '1' })!, /token/);
    assert.equal(headerProblem({ name: "X-Ok.!%*_+`'~9", value: 'v' }), undefined);
  });
  test('values: CR and LF never; NUL and other controls refused from outside input, kept when parsed', () => {
    assert.match(headerProblem({ name: 'X-A', value: 'a\r\nVia: evil' })!, /CR or LF/);
    assert.match(headerProblem({ name: 'X-A', value: 'a\rb' }, 'parsed')!, /CR or LF/);
    assert.match(headerProblem({ name: 'X-A', value: 'a\u0000b' })!, /control character/);
    assert.match(headerProblem({ name: 'X-A', value: 'a\u001bb' })!, /control character/);
    assert.match(headerProblem({ name: 'X-A', value: 'a\u007fb' })!, /control character/);
    assert.equal(headerProblem({ name: 'X-A', value: 'a\u0000b' }, 'parsed'), undefined);
    assert.equal(headerProblem({ name: 'X-A', value: 'tab\tok é' }), undefined);
    assert.throws(() => assertSafeHeaders([{ name: 'X-A', value: 'ok' }, { name: INJECTED_NAME, value: '' }]), UnsafeSipHeaderError);
  });
  test('URIs: no whitespace, control characters, <, > or "', () => {
    assert.equal(uriProblem('sip:agent@127.0.0.1:5090;transport=tcp'), undefined);
    assert.ok(uriProblem('sip:a@b>\r\nX-Evil: 1'));
    assert.ok(uriProblem('sip:a@b\u0000'));
    assert.ok(uriProblem('sip:a@b> ;x'));
  });
});

describe('media-core/sip/serialize: the last guard throws instead of writing a malformed message', () => {
  const bye = (name: string, value = '1'): SipRequest => ({
    kind: 'request',
    method: 'BYE',
    uri: 'sip:caller@127.0.0.1:5070',
    headers: [{ name: 'Call-ID', value: 'c1' }, { name, value }],
    body: Buffer.alloc(0),
  });
  test('injected header name and value', () => {
    assert.throws(() => serializeMessage(bye(INJECTED_NAME)), UnsafeSipHeaderError);
    assert.throws(() => serializeMessage(bye(SMUGGLED_NAME)), UnsafeSipHeaderError);
    assert.throws(() => serializeMessage(bye('X-A', 'v\r\nRefer-To: <sip:x@y>')), UnsafeSipHeaderError);
    assert.throws(() => serializeMessage({ ...bye('X-A'), uri: 'sip:a@b SIP/2.0\r\nX: y' }), UnsafeSipHeaderError);
    const res: SipResponse = { kind: 'response', status: 400, reason: 'Bad\r\nX: y', headers: [], body: Buffer.alloc(0) };
    assert.throws(() => serializeMessage(res), UnsafeSipHeaderError);
  });
  test('a safe message serializes; a parsed value with NUL is kept', () => {
    const text = serializeMessage(bye('X-Parsed', 'a\u0000b')).toString('latin1');
    assert.equal(text.split('\r\n').filter((l) => l.startsWith('X-Parsed:')).length, 1);
    assert.match(text, /Content-Length: 0\r\n\r\n$/);
  });
});

describe('adapters/sip-trunk: names and URIs checked with the shared rules', () => {
  test('end_session header name injection throws UnsafeSipHeaderError', () => {
    assert.throws(() => translateHangup([{ name: INJECTED_NAME, value: 'x' }]), UnsafeSipHeaderError);
    assert.throws(() => translateHangup([{ name: 'X-A', value: 'a\u0000' }]), UnsafeSipHeaderError);
  });
  test('transfer_target_header, transfer header names and the uri', () => {
    assert.throws(() => translateTransfer({ uri: 'sip:a@b', transfer_method: 'hangup', transfer_target_header: INJECTED_NAME }, 'k'), UnsafeSipHeaderError);
    assert.throws(() => translateTransfer({ uri: 'sip:a@b', transfer_headers: [{ name: SMUGGLED_NAME, value: 'v' }] }, 'k'), UnsafeSipHeaderError);
    assert.throws(() => translateTransfer({ uri: 'sip:a@b\u0000', transfer_method: 'hangup' }, 'k'), UnsafeSipHeaderError);
    assert.throws(() => translateTransfer({ transfer_method: 'hangup' }, 'k', { agentUri: 'sip:a@b>\u0007', transferTargetHeader: 'Transfer-Target' }), UnsafeSipHeaderError);
  });
});

describe('every vendor: the assistant injected header is the error outcome', () => {
  const vendors: Array<{ vendor: Record<string, unknown>; inviteHeaders?: { name: string; value: string }[] }> = [
    { vendor: { vendor: 'sip_trunk', agentUri: 'sip:agent@127.0.0.1:5090' } },
    { vendor: { vendor: 'twilio_flex' } },
    { vendor: connectVendor(), inviteHeaders: connectInviteHeaders() },
    { vendor: { vendor: 'nice_cxone', functionName: 'cxOutcome' }, inviteHeaders: cxoneInviteHeaders() },
  ];
  for (const v of vendors) {
    for (const [label, name, value] of [
      ['injected name', INJECTED_NAME, 'ok'],
      ['smuggling name', SMUGGLED_NAME, 'ok'],
      ['NUL in value', 'X-Result', 'ok\u0000'],
    ] as const) {
      test(`${v.vendor.vendor} end_session, ${label}: no Lambda signal, BYE without headers`, async () => {
        const inv = stubInvoker('applied');
        const a = new ScriptedTestAssistant((t) => (t === '' ? [endSession([{ name: 'X-Good', value: 'kept?' }, { name, value }])] : []));
        const { runtime } = makeRuntime(a, { vendor: v.vendor, deps: { invoke: inv.invoke, contacts: testContactVerifier() } });
        const call = startCall(runtime, { inviteHeaders: v.inviteHeaders ?? [] });
        await runtime.idle();
        assert.deepEqual(call.hangups, [[]], 'one BYE, with no header of the assistant');
        assert.equal(inv.events.length, 0, 'no hangup outcome signalled to the contact center');
      });
    }
  }
  test('sip_trunk connect_to_agent with an injected transfer_target_header: no REFER, error outcome', async () => {
    const a = new ScriptedTestAssistant((t) => (t === '' ? [agent({ uri: 'sip:agent@127.0.0.1:5090', transfer_method: 'hangup', transfer_target_header: INJECTED_NAME })] : []));
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime);
    await runtime.idle();
    assert.equal(call.refers.length, 0);
    assert.deepEqual(call.hangups, [[]]);
    assert.deepEqual(tts.texts(), ['No agent now.']);
    assert.deepEqual(a.texts(), [''], 'the conversation does not go on');
  });
  test('twilio_flex connect_to_agent with an injected transfer header name: no REFER, error outcome', async () => {
    const a = new ScriptedTestAssistant((t) => (t === '' ? [agent({ transfer_headers: [{ name: SMUGGLED_NAME, value: 'v' }] })] : []));
    const { runtime } = makeRuntime(a, { vendor: { vendor: 'twilio_flex' } });
    const call = startCall(runtime);
    await runtime.idle();
    assert.equal(call.refers.length, 0);
    assert.deepEqual(call.hangups, [[]]);
  });
  for (const v of vendors.slice(2)) {
    test(`${v.vendor.vendor} connect_to_agent with an injected service_desk.sip header: no Lambda signal, error outcome`, async () => {
      const inv = stubInvoker('applied');
      const a = new ScriptedTestAssistant((t) => (t === '' ? [agent({ transfer_headers: [{ name: INJECTED_NAME, value: 'v' }] })] : []));
      const { runtime, tts } = makeRuntime(a, { vendor: v.vendor, deps: { invoke: inv.invoke, contacts: testContactVerifier() } });
      const call = startCall(runtime, { inviteHeaders: v.inviteHeaders ?? [] });
      await runtime.idle();
      assert.equal(inv.events.length, 0);
      assert.deepEqual(call.hangups, [[]]);
      assert.deepEqual(tts.texts(), ['No agent now.']);
    });
  }
  test('sip_trunk connect_to_agent: the serializer guard refusing the REFER is the error outcome', async () => {
    const a = new ScriptedTestAssistant((t) => (t === '' ? [agent({ uri: 'sip:agent@127.0.0.1:5090' })] : []));
    const { runtime } = makeRuntime(a);
    const call = startCall(runtime);
    call.refer = async () => {
      throw new UnsafeSipHeaderError('header name "X" is not an RFC 3261 token');
    };
    await runtime.idle();
    assert.deepEqual(call.hangups, [[]]);
  });
});
