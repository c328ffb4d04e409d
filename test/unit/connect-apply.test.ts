/**
 * Amazon Connect adapter in process: the real client-connect SDK against the sandbox, the
 * idempotency store on dynalite. Translation rules, retries, deadline, duplicates.
 */
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { startSandboxes, type RunningSandboxes } from '../../dev/sandboxes/server.ts';
import { sandboxCredentialsFromEnv } from '../../dev/sandboxes/config.ts';
import { getStore, type Store } from '../../lib/store/client.ts';
import { applyOutcome, connectApi, createConnectSdkClient, testConnection, translateOutcome, type ConnectApi } from '../../adapters/amazon-connect/index.ts';
import { OutcomeEvent, type OutcomeEventInput } from '../../events/outcome.ts';
import { ConnectClient } from '@aws-sdk/client-connect';

const instanceId = randomUUID();
const keyId = `AKIAFAKE${randomUUID().slice(0, 8).toUpperCase()}`;
let dyn: LocalDynamo;
let sb: RunningSandboxes;
let store: Store;
let api: ConnectApi;

function outcome(over: Partial<OutcomeEventInput> = {}): OutcomeEventInput {
  return {
    version: 1,
    outcomeId: randomUUID(),
    sipCallId: `${randomUUID()}@127.0.0.1`,
    vendor: 'amazon_connect',
    kind: 'transfer',
    sessionHistoryKey: 'k' + randomUUID().replace(/-/g, ''),
    customData: {},
    occurredAt: new Date().toISOString(),
    amazonConnect: { InstanceId: instanceId, InitialContactId: randomUUID() },
    ...over,
  };
}

before(async () => {
  dyn = await startDynalite();
  store = getStore({ table: dyn.table, endpoint: dyn.endpoint });
  const creds = sandboxCredentialsFromEnv({ SANDBOX_CONNECT_INSTANCE_IDS: instanceId, SANDBOX_AWS_ACCESS_KEY_ID: keyId });
  sb = await startSandboxes({ port: 0, credentials: creds });
  api = connectApi(new ConnectClient({ region: 'us-east-1', endpoint: sb.url, maxAttempts: 1, credentials: { accessKeyId: keyId, secretAccessKey: randomUUID() } }));
});
after(async () => {
  await sb?.stop();
  await dyn?.stop();
});
beforeEach(() => sb.reset());

const contactView = async (id: string) => (await fetch(`${sb.url}/_sandbox/connect/contacts/${id}`)).json() as Promise<{ attributes: Record<string, string>; flowBranch: string }>;

describe('translateOutcome', () => {
  test('transfer sets SessionHistoryKey and custom_data; hangup sets "hangup"; error sends nothing', () => {
    const t = translateOutcome(OutcomeEvent.parse(outcome({ sessionHistoryKey: 'abc', customData: { contact_attribute1: 'test' } })));
    assert.equal(t.action, 'update');
    assert.deepEqual(t.action === 'update' && t.request.Attributes, { contact_attribute1: 'test', SessionHistoryKey: 'abc' });
    const h = translateOutcome(OutcomeEvent.parse(outcome({ kind: 'hangup', sessionHistoryKey: undefined })));
    assert.equal(h.action === 'update' && h.request.Attributes.SessionHistoryKey, 'hangup');
    assert.deepEqual(translateOutcome(OutcomeEvent.parse(outcome({ kind: 'error', sessionHistoryKey: undefined }))), { action: 'none' });
  });
  test('refuses bad keys, non-string values, the reserved key and more than 32,768 bytes', () => {
    for (const customData of [{ 'bad key': 'x' }, { 'a.b': 'x' }, { n: 1 }, { o: { x: 1 } }, { SessionHistoryKey: 'x' }, { big: 'é'.repeat(16_384) }]) {
      const t = translateOutcome(OutcomeEvent.parse(outcome({ customData })));
      assert.equal(t.action, 'invalid', JSON.stringify(customData).slice(0, 40));
    }
    // 32,768 bytes exactly is allowed: key "SessionHistoryKey"(17) + "abc"(3) + "v"(1) + value.
    const value = 'x'.repeat(32_768 - 17 - 3 - 1);
    assert.equal(translateOutcome(OutcomeEvent.parse(outcome({ sessionHistoryKey: 'abc', customData: { v: value } }))).action, 'update');
  });
});

describe('applyOutcome against the sandbox', () => {
  test('transfer writes the attributes; the flow would queue with the key', async () => {
    const o = outcome({ customData: { contact_attribute1: 'test' } });
    const reply = await applyOutcome(o, { api, store, deadlineMs: 3000 });
    assert.deepEqual(reply, { status: 'applied', outcomeId: o.outcomeId, vendor: 'amazon_connect', duplicate: false, attempts: 1 });
    const view = await contactView(o.amazonConnect!.InitialContactId);
    assert.deepEqual(view.attributes, { contact_attribute1: 'test', SessionHistoryKey: o.sessionHistoryKey });
    assert.equal(view.flowBranch, 'queue');
  });

  test('hangup writes SessionHistoryKey=hangup; error writes nothing and replies applied with 0 attempts', async () => {
    const h = outcome({ kind: 'hangup', sessionHistoryKey: undefined });
    assert.equal((await applyOutcome(h, { api, store, deadlineMs: 3000 })).status, 'applied');
    assert.equal((await contactView(h.amazonConnect!.InitialContactId)).flowBranch, 'disconnect');
    const e = outcome({ kind: 'error', sessionHistoryKey: undefined });
    const r = await applyOutcome(e, { api, store, deadlineMs: 3000 });
    assert.equal(r.status === 'applied' && r.attempts, 0);
    assert.equal(sb.events().filter((x) => x.operation === 'UpdateContactAttributes').length, 1);
  });

  test('a duplicate outcomeId is applied once', async () => {
    const o = outcome();
    const [a, b] = await Promise.all([applyOutcome(o, { api, store, deadlineMs: 3000 }), applyOutcome(o, { api, store, deadlineMs: 3000 })]);
    const c = await applyOutcome(o, { api, store, deadlineMs: 3000 });
    assert.deepEqual([a, b, c].map((r) => r.status), ['applied', 'applied', 'applied']);
    assert.deepEqual([a, b].map((r) => r.status === 'applied' && r.duplicate).sort(), [false, true]);
    assert.equal(c.status === 'applied' && c.duplicate, true);
    assert.equal(sb.events().length, 1);
  });

  test('throttled twice then accepted: attempts 3', async () => {
    sb.addFault({ vendor: 'amazon_connect', operation: 'UpdateContactAttributes', status: 429, count: 2 });
    const r = await applyOutcome(outcome(), { api, store, deadlineMs: 3000 });
    assert.equal(r.status === 'applied' && r.attempts, 3);
    assert.deepEqual(sb.events().map((e) => e.status), [429, 429, 200]);
  });

  test('a validation error is not retried (vendor_rejected); an unknown instance too', async () => {
    const r = await applyOutcome(outcome({ amazonConnect: { InstanceId: 'no-such-instance', InitialContactId: randomUUID() } }), { api, store, deadlineMs: 3000 });
    assert.equal(r.status === 'rejected' && r.reason, 'vendor_rejected');
    assert.match(r.status === 'rejected' ? r.message : '', /ResourceNotFoundException/);
    assert.equal(sb.events().length, 1);
  });

  test('500s past the deadline: rejected deadline_exceeded in time, and a retry later applies', async () => {
    // The update alone fails: the deadline may cut an attempt in flight (ambiguous), and the
    // check that follows (GetContactAttributes) must be able to say "not applied". With every
    // operation failing, that case answered outcome_unknown, correctly, and the test flaked.
    sb.addFault({ vendor: 'amazon_connect', operation: 'UpdateContactAttributes', status: 500, count: 1000, delayMs: 20 });
    const o = outcome();
    const t0 = Date.now();
    const r = await applyOutcome(o, { api, store, deadlineMs: 400 });
    const took = Date.now() - t0;
    assert.equal(r.status === 'rejected' && r.reason, 'deadline_exceeded');
    assert.ok(took < 400 + 150, `took ${took} ms`);
    sb.reset();
    const again = await applyOutcome(o, { api, store, deadlineMs: 1000 });
    assert.equal(again.status === 'applied' && again.duplicate, false);
  });

  test('a slow vendor is aborted at the deadline', async () => {
    sb.addFault({ vendor: 'amazon_connect', status: 0, delayMs: 2000 });
    const t0 = Date.now();
    const r = await applyOutcome(outcome(), { api, store, deadlineMs: 300 });
    assert.equal(r.status === 'rejected' && r.reason, 'deadline_exceeded');
    assert.ok(Date.now() - t0 < 450, `took ${Date.now() - t0} ms`);
  });

  test('bad custom_data is rejected with nothing sent; a malformed event is invalid_outcome', async () => {
    const r = await applyOutcome(outcome({ customData: { 'not ok': 'x' } }), { api, store, deadlineMs: 3000 });
    assert.equal(r.status === 'rejected' && r.reason, 'invalid_custom_data');
    const bad = await applyOutcome({ version: 1, outcomeId: 'short' }, { api, store, deadlineMs: 3000 });
    assert.equal(bad.status === 'rejected' && bad.reason, 'invalid_outcome');
    assert.equal(sb.events().length, 0);
  });

  test('a request without SigV4 is refused 403 by the sandbox; wrong key id is auth_failed', async () => {
    const noSig = await fetch(`${sb.url}/contact/attributes`, { method: 'POST', body: '{}' });
    assert.equal(noSig.status, 403);
    assert.match(noSig.headers.get('x-amzn-errortype') ?? '', /^InvalidSignatureException/);
    const other = connectApi(new ConnectClient({ region: 'us-east-1', endpoint: sb.url, maxAttempts: 1, credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' } }));
    const r = await applyOutcome(outcome(), { api: other, store, deadlineMs: 1000 });
    assert.equal(r.status === 'rejected' && r.reason, 'auth_failed');
  });

  test('testConnection: DescribeInstance valid, unknown instance invalid', async () => {
    assert.equal((await testConnection(api, instanceId)).valid, true);
    const bad = await testConnection(api, 'nope');
    assert.equal(bad.valid, false);
    assert.match(bad.reason, /ResourceNotFound/);
    assert.equal((await testConnection(api, undefined)).valid, false);
  });

  test('createConnectSdkClient honours the endpoint setting', async () => {
    const c = createConnectSdkClient({ AWS_REGION: 'us-east-1', AMAZON_CONNECT_ENDPOINT: sb.url });
    const ep = await c.config.endpoint?.();
    assert.equal(ep?.port, sb.port);
  });
});
