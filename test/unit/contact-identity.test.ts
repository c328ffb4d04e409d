/**
 * Contact identity that cannot be forged from the INVITE alone (contact tokens,
 * lib/contact-token.ts; verification and binding, media-core/conversation/contact.ts; the
 * CXone mint, adapters/nice-cxone/contact-token.ts): a forged X-ContactID or User-to-User
 * produces no signal; an expired token is refused; a token is bound to its first call; the
 * Connect number match is opt-in and labelled; two simultaneous calls from one caller to one
 * number land on their own contacts. Secrets are generated per run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { ContactTokenError, MAX_TOKEN_TTL_SECONDS, mintContactToken, verifyContactToken } from '../../lib/contact-token.ts';
import { connectTokenVendor, isConnectContactId } from '../../adapters/amazon-connect/contact-id.ts';
import { cxoneTokenVendor, isCxoneContactId } from '../../adapters/nice-cxone/contact-id.ts';
import { apiKeyMatches, mintForRequest } from '../../adapters/nice-cxone/contact-token.ts';
import { ContactVerifier, contactIdentityTotal } from '../../media-core/conversation/contact.ts';
import { makeRuntime, ScriptedTestAssistant, startCall, stubInvoker } from '../helpers/conversation-harness.ts';
import { fakeCallInfo } from '../helpers/fake-call.ts';
import type { GenericResponse } from '../../media-core/conversation/types.ts';
import type { VendorSettings } from '../../media-core/config/schema.ts';
import { getStore, type Store } from '../../lib/store/client.ts';
import { registerContact } from '../../lib/store/contact-registry.ts';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { fillFlow, readFlowTemplate, validateFlow } from '../../infra/amazon-connect/flow.ts';

const SECRET = randomBytes(32).toString('base64url');
const OTHER_SECRET = randomBytes(32).toString('base64url');
const ARN = 'arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-4333-8444-555555555555';
const INSTANCE_ID = ARN.split('/')[1]!;
const connect = (over: Partial<Extract<VendorSettings, { vendor: 'amazon_connect' }>> = {}): VendorSettings => ({ vendor: 'amazon_connect', functionName: 'ac', instanceArn: ARN, numberMatchFallback: false, ...over });
const cxone = (over: Partial<Extract<VendorSettings, { vendor: 'nice_cxone' }>> = {}): VendorSettings => ({ vendor: 'nice_cxone', functionName: 'cx', trustContactIdHeader: false, ...over });
const uui = (token: string) => ({ name: 'User-to-User', value: `${Buffer.from(token).toString('hex')};encoding=hex` });
const cxoneId = () => String(randomInt(100_000, 999_999_999));
const tokenFor = (vendor: 'amazon_connect' | 'nice_cxone', contactId: string, o: { secret?: string; now?: number; ttlSeconds?: number } = {}) =>
  mintContactToken({ vendor: vendor === 'amazon_connect' ? connectTokenVendor : cxoneTokenVendor, contactId, secret: o.secret ?? SECRET, now: o.now, ttlSeconds: o.ttlSeconds }).token;
const hangup: GenericResponse = { response_type: 'end_session' };

describe('contact token format', () => {
  test('round trip; names the contact; expires; refuses tampering, another vendor, another secret', () => {
    const id = randomUUID();
    const now = Date.now();
    const t = tokenFor('amazon_connect', id, { now });
    assert.ok(t.length <= 80, `compact for User-to-User: ${t.length}`);
    const ok = verifyContactToken(t, { vendor: connectTokenVendor, secrets: [SECRET], now });
    assert.deepEqual(ok.ok && ok.contactId, id);
    assert.deepEqual(verifyContactToken(t, { vendor: connectTokenVendor, secrets: [SECRET], now: now + 200_000 }), { ok: false, reason: 'expired' });
    assert.deepEqual(verifyContactToken(t, { vendor: connectTokenVendor, secrets: [OTHER_SECRET], now }), { ok: false, reason: 'bad_mac' });
    assert.equal(verifyContactToken(t, { vendor: connectTokenVendor, secrets: [OTHER_SECRET, SECRET], now }).ok, true, 'rotation: any configured secret');
    const [v, , exp, mac] = t.split('.');
    const other = randomUUID();
    assert.deepEqual(verifyContactToken(`${v}.${other}.${exp}.${mac}`, { vendor: connectTokenVendor, secrets: [SECRET], now }), { ok: false, reason: 'bad_mac' }, 'another contact id');
    assert.deepEqual(verifyContactToken(`${v}.${id}.${Number(exp) + 600}.${mac}`, { vendor: connectTokenVendor, secrets: [SECRET], now }), { ok: false, reason: 'bad_mac' }, 'a later expiry');
    const cx = tokenFor('nice_cxone', '12345');
    assert.deepEqual(verifyContactToken(cx, { vendor: connectTokenVendor, secrets: [SECRET] }), { ok: false, reason: 'bad_contact_id' });
    for (const bad of ['', 'x', 'ct1.a.b', `ct2.${id}.${exp}.${mac}`, `ct1.${id}.${exp}.${mac}.x`, 'ct1.' + 'a'.repeat(200)]) {
      assert.equal(verifyContactToken(bad, { vendor: connectTokenVendor, secrets: [SECRET] }).ok, false, bad.slice(0, 30));
    }
  });

  test('mint refuses short secrets, malformed ids and long lifetimes; contact id formats', () => {
    assert.throws(() => mintContactToken({ vendor: connectTokenVendor, contactId: randomUUID(), secret: 'short' }), ContactTokenError);
    assert.throws(() => mintContactToken({ vendor: connectTokenVendor, contactId: 'contact-1', secret: SECRET }), /not a amazon_connect contact id/);
    assert.throws(() => mintContactToken({ vendor: cxoneTokenVendor, contactId: '12a', secret: SECRET }), ContactTokenError);
    assert.throws(() => mintContactToken({ vendor: cxoneTokenVendor, contactId: '1', secret: SECRET, ttlSeconds: MAX_TOKEN_TTL_SECONDS + 1 }), /lifetime/);
    assert.ok(isConnectContactId(randomUUID()) && !isConnectContactId('c-1') && !isConnectContactId(`${randomUUID()}\r\nX: y`));
    assert.ok(isCxoneContactId('987654') && !isCxoneContactId('0123') && !isCxoneContactId('12.5') && !isCxoneContactId('1'.repeat(21)));
  });
});

describe('CXone mint endpoint', () => {
  const s = { apiKey: `fake-key-${randomBytes(8).toString('hex')}`, secret: SECRET, ttlSeconds: 120 };
  test('403 without the right API key, 400 for a bad contact id, 200 with a verifying token', () => {
    assert.equal(mintForRequest({ apiKey: undefined, body: '{"contactId":"123"}' }, s).status, 403);
    assert.equal(mintForRequest({ apiKey: `${s.apiKey}x`, body: '{"contactId":"123"}' }, s).status, 403);
    assert.equal(mintForRequest({ apiKey: s.apiKey.slice(0, -1), body: '{"contactId":"123"}' }, s).status, 403);
    assert.equal(mintForRequest({ apiKey: s.apiKey, body: '{"contactId":"12-3"}' }, s).status, 400);
    assert.equal(mintForRequest({ apiKey: s.apiKey, body: 'not json' }, s).status, 400);
    assert.equal(mintForRequest({ apiKey: s.apiKey, body: `{"contactId":"${'1'.repeat(2000)}"}` }, s).status, 400);
    const r = mintForRequest({ apiKey: s.apiKey, body: '{"contactId":4567}' }, s);
    assert.equal(r.status, 200);
    const v = r.status === 200 && verifyContactToken(r.body.contactToken, { vendor: cxoneTokenVendor, secrets: [SECRET] });
    assert.deepEqual(v && v.ok && v.contactId, '4567');
    assert.equal(apiKeyMatches('', ''), false, 'an empty configured key never matches');
  });
});

describe('media core: contact decided when the INVITE arrives', () => {
  let dyn: LocalDynamo;
  let store: Store;
  before(async () => {
    dyn = await startDynalite();
    store = getStore({ table: dyn.table, endpoint: dyn.endpoint });
  });
  after(async () => dyn?.stop());
  const verifier = (now?: () => number) => new ContactVerifier({ store, secrets: async () => [SECRET], now });

  test('NICE CXone: a forged X-ContactID (no token, a token for another contact, a bad token) is refused with 403 and produces no signal', async () => {
    for (const headers of [
      [{ name: 'X-ContactID', value: cxoneId() }],
      [{ name: 'X-ContactID', value: '555001' }, { name: 'X-Contact-Token', value: tokenFor('nice_cxone', '555002') }],
      [{ name: 'X-ContactID', value: '555003' }, { name: 'X-Contact-Token', value: tokenFor('nice_cxone', '555003', { secret: OTHER_SECRET }) }],
    ]) {
      const inv = stubInvoker('applied');
      const { runtime } = makeRuntime(new ScriptedTestAssistant(() => [hangup]), { vendor: cxone(), deps: { invoke: inv.invoke, contacts: verifier() } });
      const call = startCall(runtime, { inviteHeaders: headers });
      await runtime.idle();
      assert.deepEqual(call.rejected, { status: 403, reason: 'Forbidden' }, JSON.stringify(headers));
      assert.equal(inv.events.length, 0, 'no outcome, so no signal');
    }
  });

  test('NICE CXone header-only mode (trustContactIdHeader) is opt-in, labelled and counted', async () => {
    const before = (await contactIdentityTotal.get()).values.find((v) => v.labels.via === 'header_only')?.value ?? 0;
    const d = await verifier().verify(fakeCallInfo({ inviteHeaders: [{ name: 'X-ContactID', value: cxoneId() }] }), cxone({ trustContactIdHeader: true }));
    assert.equal(d.ok && d.contact.via, 'header_only');
    const afterCount = (await contactIdentityTotal.get()).values.find((v) => v.labels.via === 'header_only' && v.labels.result === 'accepted')?.value ?? 0;
    assert.equal(afterCount, before + 1);
    const bad = await verifier().verify(fakeCallInfo({ inviteHeaders: [{ name: 'X-ContactID', value: 'abc' }] }), cxone({ trustContactIdHeader: true }));
    assert.equal(bad.ok, false, 'the format is checked even then');
  });

  test('without a configured secret every token is refused (fail closed), and the reason is logged', async () => {
    const id = cxoneId();
    const v = new ContactVerifier({ store, env: {} });
    const d = await v.verify(fakeCallInfo({ inviteHeaders: [{ name: 'X-ContactID', value: id }, { name: 'X-Contact-Token', value: tokenFor('nice_cxone', id) }] }), cxone());
    assert.deepEqual(d, { ok: false, reason: 'contact token no_secret' });
  });

  test('an expired token is refused', async () => {
    const id = cxoneId();
    const t = tokenFor('nice_cxone', id, { now: Date.now() - 300_000, ttlSeconds: 120 });
    const d = await verifier().verify(fakeCallInfo({ inviteHeaders: [{ name: 'X-ContactID', value: id }, { name: 'X-Contact-Token', value: t }] }), cxone());
    assert.deepEqual(d, { ok: false, reason: 'contact token expired' });
  });

  test('a token is bound to its call: a retransmitted INVITE passes, another call with the same token is refused', async () => {
    const id = cxoneId();
    const headers = [{ name: 'X-ContactID', value: id }, { name: 'X-Contact-Token', value: tokenFor('nice_cxone', id) }];
    const first = fakeCallInfo({ inviteHeaders: headers });
    assert.equal((await verifier().verify(first, cxone())).ok, true);
    assert.equal((await verifier().verify(first, cxone())).ok, true, 'same Call-ID');
    assert.deepEqual(await verifier().verify(fakeCallInfo({ inviteHeaders: headers }), cxone()), { ok: false, reason: 'contact already bound to another call' });
  });

  test('a long conversation outlives its token: the contact is bound on arrival, the outcome after expiry still goes to it', async () => {
    let clock = Date.now();
    const id = cxoneId();
    const inv = stubInvoker('applied');
    const a = new ScriptedTestAssistant((t) => (t === '5' ? [hangup] : [{ response_type: 'text', text: 'Hello' }]));
    const { runtime } = makeRuntime(a, { vendor: cxone(), deps: { invoke: inv.invoke, contacts: verifier(() => clock) } });
    const call = startCall(runtime, { inviteHeaders: [{ name: 'X-ContactID', value: id }, { name: 'X-Contact-Token', value: tokenFor('nice_cxone', id, { now: clock, ttlSeconds: 60 }) }] });
    for (let i = 0; i < 200 && call.plays.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    clock += 3_600_000; // an hour later, long past the token's expiry
    call.press('5');
    await runtime.idle();
    assert.equal(inv.events.length, 1);
    assert.deepEqual(inv.events[0]!.event.niceCxone, { ContactId: id });
  });

  test('Amazon Connect: forged User-to-User (the old instance ARN form, or no token) is refused; the number match is off by default', async () => {
    const caller = `+1555${randomInt(1_000_000, 9_999_999)}`;
    const contactId = randomUUID();
    await registerContact(store, { ContactId: contactId, InitialContactId: contactId, InstanceARN: ARN, InstanceId: INSTANCE_ID, dialedNumber: '+15550100001', customerNumber: caller, registeredAt: new Date().toISOString() });
    const info = fakeCallInfo({ callerUser: caller, inviteHeaders: [uui(ARN), { name: 'X-Amzn-ConnectContactId', value: contactId }] });
    assert.deepEqual(await verifier().verify(info, connect()), { ok: false, reason: 'contact token malformed' });
    const inv = stubInvoker('applied');
    const { runtime } = makeRuntime(new ScriptedTestAssistant(() => [hangup]), { vendor: connect(), deps: { invoke: inv.invoke, store, contacts: verifier() } });
    const call = startCall(runtime, { callerUser: caller });
    await runtime.idle();
    assert.equal(call.rejected?.status, 403);
    assert.equal(inv.events.length, 0, 'no UpdateContactAttributes for a forged contact');
    // Opt in: the registration for (dialed, caller) is used, labelled number_match.
    const fallback = await verifier().verify(fakeCallInfo({ callerUser: caller }), connect({ numberMatchFallback: true }));
    assert.equal(fallback.ok && fallback.contact.via, 'number_match');
    const counted = (await contactIdentityTotal.get()).values.find((v) => v.labels.vendor === 'amazon_connect' && v.labels.via === 'number_match' && v.labels.result === 'accepted');
    assert.ok(counted && counted.value >= 1);
  });

  test('Amazon Connect: two simultaneous calls from the same caller to the same number land on their own contacts', async () => {
    const caller = `+1555${randomInt(1_000_000, 9_999_999)}`;
    const contacts = [randomUUID(), randomUUID()];
    const initials = [randomUUID(), randomUUID()];
    for (let i = 0; i < 2; i++) {
      await registerContact(store, { ContactId: contacts[i]!, InitialContactId: initials[i]!, InstanceARN: ARN, InstanceId: INSTANCE_ID, dialedNumber: '+15550100001', customerNumber: caller, registeredAt: new Date().toISOString() });
    }
    const inv = stubInvoker('applied');
    const { runtime } = makeRuntime(new ScriptedTestAssistant(() => [hangup]), { vendor: connect({ numberMatchFallback: true }), deps: { invoke: inv.invoke, store, contacts: verifier() } });
    // Both INVITEs arrive together, each with the token its flow block set.
    const calls = contacts.map((id) => startCall(runtime, { callerUser: caller, inviteHeaders: [uui(tokenFor('amazon_connect', id))] }));
    await runtime.idle();
    assert.equal(inv.events.length, 2);
    for (let i = 0; i < 2; i++) {
      const e = inv.events.find((x) => x.event.sipCallId === calls[i]!.info.callId);
      assert.deepEqual(e?.event.amazonConnect, { InstanceId: INSTANCE_ID, InstanceARN: ARN, InitialContactId: initials[i] }, `call ${i}`);
    }
  });

  test('Amazon Connect: a registration naming another instance than instanceArn is refused', async () => {
    const id = randomUUID();
    const otherArn = 'arn:aws:connect:us-east-1:123456789012:instance/99999999-2222-4333-8444-555555555555';
    await registerContact(store, { ContactId: id, InitialContactId: id, InstanceARN: otherArn, InstanceId: otherArn.split('/')[1]!, dialedNumber: '+15550100001', customerNumber: '+15550000000', registeredAt: new Date().toISOString() });
    const d = await verifier().verify(fakeCallInfo({ inviteHeaders: [uui(tokenFor('amazon_connect', id))] }), connect());
    assert.equal(d.ok, false);
  });
});

test('the Connect flow passes the contact token as User-to-User (a flow sending the instance ARN is refused)', () => {
  const values = { ContactFlowLambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', VoiceConnectorArn: 'arn:aws:chime:us-east-1:123456789012:vc/abc', QueueArn: 'arn:aws:connect:us-east-1:123456789012:instance/i/queue/q' };
  const flow = fillFlow(readFlowTemplate(), values);
  assert.deepEqual(validateFlow(flow), []);
  const old = fillFlow(readFlowTemplate().replace('$.External.contactToken', '$.InstanceARN'), values);
  assert.match(validateFlow(old).join('\n'), /UserToUserInformation must be \$\.External\.contactToken/);
});

test('the adapters refuse malformed contact ids before any vendor request (invalid_outcome)', async () => {
  const { applyOutcome: connectApply } = await import('../../adapters/amazon-connect/apply.ts');
  const { applyOutcome: cxoneApply } = await import('../../adapters/nice-cxone/apply.ts');
  const calls: string[] = [];
  const store = {} as Store; // never reached
  const base = { version: 1, outcomeId: randomUUID(), sipCallId: 'c@127.0.0.1', kind: 'hangup', customData: {}, occurredAt: new Date().toISOString() };
  const ac = await connectApply({ ...base, vendor: 'amazon_connect', amazonConnect: { InstanceId: INSTANCE_ID, InitialContactId: 'contact-1' } }, {
    store, deadlineMs: 1000,
    api: { updateContactAttributes: async () => void calls.push('update'), describeInstance: async () => 'ACTIVE', getContactAttributes: async () => ({}) },
  });
  assert.equal(ac.status === 'rejected' && ac.reason, 'invalid_outcome');
  const cx = await cxoneApply({ ...base, vendor: 'nice_cxone', niceCxone: { ContactId: '12/../34' } }, {
    store, deadlineMs: 1000,
    api: { signal: async () => void calls.push('signal'), checkToken: async () => {} },
  });
  assert.equal(cx.status === 'rejected' && cx.reason, 'invalid_outcome');
  assert.deepEqual(calls, []);
});
