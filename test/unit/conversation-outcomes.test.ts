import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { makeRuntime, startCall, ScriptedTestAssistant, stubInvoker } from '../helpers/conversation-harness.ts';
import { until } from '../helpers/fake-call.ts';
import type { GenericResponse } from '../../media-core/conversation/types.ts';
import { randomUUID } from 'node:crypto';
import { CONNECT_INSTANCE_ARN as ARN, connectInviteHeaders, connectVendor as connectVendorOf, cxoneInviteHeaders as cxoneHeaders, testContactVerifier as contacts } from '../helpers/contact-tokens.ts';

const connectVendor = connectVendorOf();
const connectUui = (contactId: string) => connectInviteHeaders(contactId)[0]!;

const agent = (target: Record<string, unknown>): GenericResponse => ({
  response_type: 'connect_to_agent',
  transfer_info: { target },
  agent_available: { message: 'Transferring you.' },
  agent_unavailable: { message: 'No agent now.' },
});
const allTargets = {
  service_desk: { sip: { transfer_headers: [{ name: 'X-Account', value: '1234' }] } },
  amazon_connect: { custom_data: { AccountNumber: '1234' } },
  nice_cxone: { custom_data: { p2: '1234' } },
};

describe('connect_to_agent and end_session per vendor', () => {
  test('sip_trunk: agent_available, REFER to the configured agent with the key in User-to-User, then BYE', async () => {
    const a = new ScriptedTestAssistant(() => [agent(allTargets)]);
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime);
    await runtime.idle();
    assert.deepEqual(tts.texts(), ['Transferring you.']);
    assert.equal(call.refers.length, 1);
    const r = call.refers[0]!;
    assert.equal(r.target, 'sip:agent@127.0.0.1:5090');
    const uui = r.opts!.headers!.find((h) => h.name === 'User-to-User')!;
    assert.match(uui.value, /^[A-Za-z0-9_-]{22};encoding=ascii$/);
    assert.ok(r.opts!.headers!.some((h) => h.name === 'X-Account' && h.value === '1234'));
    assert.deepEqual(call.hangups, [[]], 'BYE after the REFER succeeded');
    await until(() => a.texts().includes('vgwCallTransferred'), 'vgwCallTransferred');
  });

  test('sip_trunk: failed REFER says agent_unavailable and sends vgwCallTransferFailed', async () => {
    const a = new ScriptedTestAssistant((t) => (t === '' ? [agent(allTargets)] : t === 'vgwCallTransferFailed' ? [{ response_type: 'end_session' }] : []));
    const { runtime, tts } = makeRuntime(a);
    const call = startCall(runtime);
    call.referResult = { status: 'failure', code: 486, reason: 'Busy Here' };
    await runtime.idle();
    assert.deepEqual(tts.texts(), ['Transferring you.', 'No agent now.']);
    assert.deepEqual(a.texts(), ['', 'vgwCallTransferFailed']);
    assert.equal(call.hangups.length, 1);
  });

  test('sip_trunk: own User-to-User moves the key to X-Watson-Assistant-Session-History-Key; refer_to_header; hangup method', async () => {
    const a = new ScriptedTestAssistant(() => [
      agent({ service_desk: { sip: { uri: 'sip:desk@127.0.0.1', transfer_headers: [{ name: 'User-to-User', value: 'abc;encoding=ascii' }], transfer_headers_send_method: 'refer_to_header', accept_transfer_reject_codes: ['410'] } } }),
    ]);
    const { runtime } = makeRuntime(a);
    const call = startCall(runtime);
    await runtime.idle();
    const o = call.refers[0]!.opts!;
    assert.deepEqual(o.headers, []);
    assert.deepEqual(o.acceptCodes, [410]);
    assert.deepEqual(o.referToHeaders!.map((h) => h.name), ['User-to-User', 'X-Watson-Assistant-Session-History-Key']);

    const b = new ScriptedTestAssistant(() => [agent({ service_desk: { sip: { uri: 'tel:+15550100999', transfer_method: 'hangup' } } })]);
    const r2 = makeRuntime(b);
    const call2 = startCall(r2.runtime);
    await r2.runtime.idle();
    assert.equal(call2.refers.length, 0);
    assert.equal(call2.hangups[0]!.find((h) => h.name === 'Transfer-Target')?.value, 'tel:+15550100999');
  });

  test('twilio_flex: REFER to the Flex queue with the key in the Refer-To headers', async () => {
    const a = new ScriptedTestAssistant(() => [agent(allTargets)]);
    const { runtime } = makeRuntime(a, { vendor: { vendor: 'twilio_flex' } });
    const call = startCall(runtime);
    await runtime.idle();
    const r = call.refers[0]!;
    assert.equal(r.target, 'sip:queue@flex.twilio.com');
    const key = r.opts!.referToHeaders!.find((h) => h.name === 'X-Watson-Assistant-Session-History-Key');
    assert.match(key!.value, /^[A-Za-z0-9_-]{22}$/);
    assert.ok(r.opts!.referToHeaders!.some((h) => h.name === 'X-Account'));
  });

  test('amazon_connect: outcome for the contact of the token in User-to-User (hex), instance from configuration, BYE only after applied', async () => {
    const inv = stubInvoker('applied');
    const a = new ScriptedTestAssistant(() => [agent(allTargets)]);
    const { runtime } = makeRuntime(a, { vendor: connectVendor, deps: { invoke: inv.invoke, contacts: contacts() } });
    const arn = ARN;
    const contactId = randomUUID();
    const call = startCall(runtime, { inviteHeaders: [connectUui(contactId)] });
    await runtime.idle();
    assert.equal(inv.events.length, 1);
    const e = inv.events[0]!;
    assert.equal(e.fn, 'acOutcome');
    assert.equal(e.event.kind, 'transfer');
    assert.equal(e.event.vendor, 'amazon_connect');
    assert.deepEqual(e.event.customData, { AccountNumber: '1234' });
    assert.deepEqual(e.event.amazonConnect, { InstanceId: '11111111-2222-3333-4444-555555555555', InstanceARN: arn, InitialContactId: contactId });
    assert.match(e.event.sessionHistoryKey!, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(e.event.sipCallId, call.info.callId);
    assert.deepEqual(call.hangups, [[]]);
  });

  test('amazon_connect: rejected outcome says agent_unavailable then error BYE', async () => {
    const inv = stubInvoker('rejected');
    const a = new ScriptedTestAssistant(() => [agent(allTargets)]);
    const { runtime, tts } = makeRuntime(a, { vendor: connectVendor, deps: { invoke: inv.invoke, contacts: contacts() } });
    const call = startCall(runtime, { inviteHeaders: [connectUui(randomUUID())] });
    await runtime.idle();
    assert.deepEqual(tts.texts(), ['Transferring you.', 'No agent now.']);
    assert.deepEqual(call.hangups, [[]]);
    assert.equal(call.refers.length, 0);
  });

  test('nice_cxone: contact from X-ContactID; end_session is a hangup outcome before BYE with headers', async () => {
    const inv = stubInvoker('applied');
    const a = new ScriptedTestAssistant((t) => (t === '' ? [{ response_type: 'end_session', channel_options: { voice_telephony: { sip: { headers: [{ name: 'X-R', value: 'done' }] } } } }] : []));
    const { runtime } = makeRuntime(a, { vendor: { vendor: 'nice_cxone', functionName: 'cxOutcome' }, deps: { invoke: inv.invoke, contacts: contacts() } });
    const call = startCall(runtime, { inviteHeaders: cxoneHeaders('987654') });
    await runtime.idle();
    assert.equal(inv.events[0]!.event.kind, 'hangup');
    assert.deepEqual(inv.events[0]!.event.niceCxone, { ContactId: '987654' });
    assert.equal(inv.events[0]!.event.sessionHistoryKey, undefined);
    assert.deepEqual(call.hangups, [[{ name: 'X-R', value: 'done' }]]);
  });

  test('nice_cxone transfer: invoke failure is the error outcome (BYE without headers)', async () => {
    const inv = stubInvoker('throw');
    const a = new ScriptedTestAssistant(() => [agent(allTargets)]);
    const { runtime, tts } = makeRuntime(a, { vendor: { vendor: 'nice_cxone', functionName: 'cxOutcome' }, deps: { invoke: inv.invoke, contacts: contacts() } });
    const call = startCall(runtime, { inviteHeaders: cxoneHeaders('55') });
    await runtime.idle();
    assert.deepEqual(inv.events[0]!.event.customData, { p2: '1234' });
    assert.deepEqual(tts.texts(), ['Transferring you.', 'No agent now.']);
    assert.deepEqual(call.hangups, [[]]);
  });

  test('vgwActSendSMS: defaults from the call; failure sends vgwSMSFailed', async () => {
    const sent: unknown[] = [];
    const sms = (message: string): GenericResponse => ({ response_type: 'user_defined', user_defined: { vgwAction: { command: 'vgwActSendSMS', parameters: { message } } } });
    const a = new ScriptedTestAssistant((t) => (t === '' ? [sms('hello'), sms('fails')] : t === 'vgwSMSFailed' ? [{ response_type: 'end_session' }] : []));
    const { runtime } = makeRuntime(a, {
      deps: {
        sendSms: async (req) => {
          if (req.body === 'fails') throw new Error('21211');
          sent.push(req);
        },
      },
    });
    startCall(runtime);
    await runtime.idle();
    assert.deepEqual(sent, [{ to: '+15551234567', from: '+15550100001', body: 'hello', mediaUrls: undefined }]);
    assert.deepEqual(a.texts(), ['', 'vgwSMSFailed']);
  });

  test('twilio_flex: a Refer-To over 256 characters is not sent; agent_unavailable and vgwCallTransferFailed', async () => {
    const a = new ScriptedTestAssistant((t) =>
      t === '' ? [agent({ service_desk: { sip: { transfer_headers: [{ name: 'X-Long', value: 'v'.repeat(300) }] } } })] : t === 'vgwCallTransferFailed' ? [{ response_type: 'end_session' }] : [],
    );
    const { runtime, tts } = makeRuntime(a, { vendor: { vendor: 'twilio_flex' } });
    const call = startCall(runtime);
    await runtime.idle();
    assert.equal(call.refers.length, 0);
    assert.deepEqual(tts.texts(), ['No agent now.']);
    assert.deepEqual(a.texts(), ['', 'vgwCallTransferFailed']);
  });
});
