/**
 * The drain action (issue 12 item 7): at the drain deadline each call still up is handed to
 * its integration's default agent target where one exists, else gets the error outcome; the
 * deadline is configurable and validated against the stop grace period.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { makeRuntime, startCall, ScriptedTestAssistant, stubInvoker } from '../helpers/conversation-harness.ts';
import { until } from '../helpers/fake-call.ts';
import { drainActionBudgetMs, loadMediaCoreEnv } from '../../media-core/config/env.ts';
import { ConfigError } from '../../lib/env.ts';
import { cxoneInviteHeaders, testContactVerifier } from '../helpers/contact-tokens.ts';

/** An assistant that greets and then waits for the caller (the call stays up until drained). */
const waiting = () => new ScriptedTestAssistant((t) => (t === '' ? [{ response_type: 'text', text: 'Hello.' }] : []));

async function drained(vendor: Record<string, unknown>, opts: { integration?: Record<string, unknown>; inviteHeaders?: { name: string; value: string }[]; invoke?: 'applied' | 'throw' } = {}) {
  const inv = stubInvoker(opts.invoke ?? 'applied');
  const a = waiting();
  const { runtime } = makeRuntime(a, { vendor, integration: opts.integration, deps: { invoke: inv.invoke, contacts: testContactVerifier() } });
  const call = startCall(runtime, { inviteHeaders: opts.inviteHeaders ?? [] });
  await until(() => a.requests.length >= 1 && call.plays.length >= 1, 'greeting played');
  await runtime.drain(call);
  await runtime.idle();
  return { call, inv, assistant: a };
}

describe('drain action at the drain deadline', () => {
  test('sip_trunk with an agent URI: REFER to it with the session history key, then BYE', async () => {
    const { call, inv } = await drained({ vendor: 'sip_trunk', agentUri: 'sip:agent@127.0.0.1:5090' });
    assert.equal(call.refers.length, 1);
    assert.equal(call.refers[0]!.target, 'sip:agent@127.0.0.1:5090');
    assert.ok(call.refers[0]!.opts?.headers?.some((h) => h.name === 'User-to-User'), 'the key travels as on a normal transfer');
    assert.deepEqual(call.hangups, [[]]);
    assert.equal(call.state, 'ended');
    assert.equal(inv.events.length, 0);
  });
  test('sip_trunk without a default agent target: the error outcome (BYE without headers), no REFER', async () => {
    const { call } = await drained({ vendor: 'sip_trunk' });
    assert.equal(call.refers.length, 0);
    assert.deepEqual(call.hangups, [[]]);
  });
  test('sip_trunk: a failed drain REFER falls back to the error outcome', async () => {
    const inv = stubInvoker('applied');
    const a = waiting();
    const { runtime } = makeRuntime(a, { vendor: { vendor: 'sip_trunk', agentUri: 'sip:agent@127.0.0.1:5090' }, deps: { invoke: inv.invoke } });
    const call = startCall(runtime);
    call.referResult = { status: 'rejected', code: 603, reason: 'Decline' };
    await until(() => call.plays.length >= 1, 'greeting played');
    await runtime.drain(call);
    assert.equal(call.refers.length, 1);
    assert.deepEqual(call.hangups, [[]]);
    assert.equal(call.state, 'ended');
  });
  test('twilio_flex: REFER to the Flex queue (the integration referUri)', async () => {
    const { call } = await drained({ vendor: 'twilio_flex' });
    assert.equal(call.refers[0]?.target, 'sip:queue@flex.twilio.com');
    assert.ok(call.refers[0]!.opts?.referToHeaders?.some((h) => h.name === 'X-Watson-Assistant-Session-History-Key'));
    assert.equal(call.state, 'ended');
  });
  test('nice_cxone: a transfer outcome with empty custom_data, then BYE', async () => {
    const { call, inv } = await drained({ vendor: 'nice_cxone', functionName: 'cxOutcome' }, { inviteHeaders: cxoneInviteHeaders() });
    assert.equal(inv.events.length, 1);
    assert.equal(inv.events[0]!.event.kind, 'transfer');
    assert.deepEqual(inv.events[0]!.event.customData, {});
    assert.deepEqual(call.hangups, [[]]);
  });
  test('nice_cxone, adapter unreachable: the error outcome', async () => {
    const { call, inv } = await drained({ vendor: 'nice_cxone', functionName: 'cxOutcome' }, { inviteHeaders: cxoneInviteHeaders(), invoke: 'throw' });
    assert.equal(inv.events.length, 1);
    assert.deepEqual(call.hangups, [[]]);
    assert.equal(call.state, 'ended');
  });
  test('drainAction "error": the error outcome even where a default target exists', async () => {
    const { call } = await drained({ vendor: 'sip_trunk', agentUri: 'sip:agent@127.0.0.1:5090' }, { integration: { drainAction: 'error' } });
    assert.equal(call.refers.length, 0);
    assert.deepEqual(call.hangups, [[]]);
  });
  test('the assistant is not asked anything after the drain', async () => {
    const { assistant } = await drained({ vendor: 'sip_trunk', agentUri: 'sip:agent@127.0.0.1:5090' });
    assert.deepEqual(assistant.texts(), ['']);
  });
});

describe('drain deadline configuration (media-core/config/env.ts)', () => {
  test('defaults: 30 s stop grace period (Kubernetes and ECS defaults), 20 s drain deadline, 8 s for the drain actions', () => {
    const e = loadMediaCoreEnv({});
    assert.equal(e.STOP_GRACE_PERIOD_MS, 30_000);
    assert.equal(e.DRAIN_DEADLINE_MS, 20_000);
    assert.ok(e.DRAIN_DEADLINE_MS < e.STOP_GRACE_PERIOD_MS);
    assert.equal(drainActionBudgetMs(e), 8_000);
  });
  test('a drain deadline that leaves no time for the drain actions is refused', () => {
    assert.throws(() => loadMediaCoreEnv({ DRAIN_DEADLINE_MS: '30000' }), (err: unknown) => err instanceof ConfigError && err.variables.includes('DRAIN_DEADLINE_MS'));
    assert.throws(() => loadMediaCoreEnv({ STOP_GRACE_PERIOD_MS: '120000', DRAIN_DEADLINE_MS: '116000' }), ConfigError);
    assert.equal(loadMediaCoreEnv({ STOP_GRACE_PERIOD_MS: '120000', DRAIN_DEADLINE_MS: '110000' }).DRAIN_DEADLINE_MS, 110_000);
  });
});
