/**
 * Outcomes at most once and never lost (adapters/common/apply-once.ts, lib/store/idempotency.ts),
 * with each failure point injected in the sandboxes: a connection reset or a timeout after the
 * vendor applied the request does not signal twice; one before applying is retried; when the
 * vendor's state cannot tell, the record is `unknown`, the reply is outcome_unknown, and a
 * later invocation does not re-apply blindly; the lease covers the function's timeout.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ConnectClient } from '@aws-sdk/client-connect';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { startSandboxes, type RunningSandboxes } from '../../dev/sandboxes/server.ts';
import { sandboxCredentialsFromEnv } from '../../dev/sandboxes/config.ts';
import { getStore, type Store } from '../../lib/store/client.ts';
import { beginOutcome, finishOutcome, readOutcome } from '../../lib/store/idempotency.ts';
import { applyOutcome as cxoneApply, createCxoneApi, loadNiceCxoneConfig, type CxoneApi } from '../../adapters/nice-cxone/index.ts';
import { applyOutcome as connectApply, connectApi, type ConnectApi } from '../../adapters/amazon-connect/index.ts';
import { isAmbiguousFailure } from '../../adapters/common/classify.ts';
import type { OutcomeEventInput } from '../../events/outcome.ts';

let dyn: LocalDynamo;
let sb: RunningSandboxes;
let store: Store;
let cxone: CxoneApi;
let connect: ConnectApi;
const instanceId = randomUUID();

const cxOutcome = (over: Partial<OutcomeEventInput> = {}): OutcomeEventInput => ({
  version: 1,
  outcomeId: randomUUID(),
  sipCallId: `${randomUUID()}@127.0.0.1`,
  vendor: 'nice_cxone',
  kind: 'transfer',
  sessionHistoryKey: `k${randomUUID().replace(/-/g, '')}`,
  customData: {},
  occurredAt: new Date().toISOString(),
  niceCxone: { ContactId: String(Math.floor(Math.random() * 1e10) + 1) },
  ...over,
});
const acOutcome = (over: Partial<OutcomeEventInput> = {}): OutcomeEventInput => ({
  ...cxOutcome(),
  vendor: 'amazon_connect',
  niceCxone: undefined,
  amazonConnect: { InstanceId: instanceId, InitialContactId: randomUUID() },
  ...over,
});
const signals = (contactId: string) => sb.events().filter((e) => e.operation === 'signal' && e.params.contactId === contactId && e.status === 202);
const updates = (id: string) => sb.events().filter((e) => e.operation === 'UpdateContactAttributes' && e.params.InitialContactId === id && e.status === 200);

before(async () => {
  dyn = await startDynalite();
  store = getStore({ table: dyn.table, endpoint: dyn.endpoint });
  const keyId = `AKIAFAKE${randomUUID().slice(0, 8).toUpperCase()}`;
  const creds = sandboxCredentialsFromEnv({ SANDBOX_CONNECT_INSTANCE_IDS: instanceId, SANDBOX_AWS_ACCESS_KEY_ID: keyId });
  sb = await startSandboxes({ port: 0, credentials: creds });
  cxone = createCxoneApi(loadNiceCxoneConfig({
    CXONE_ISSUER_URL: sb.url,
    CXONE_CLIENT_ID: creds.cxone.clientId,
    CXONE_CLIENT_SECRET: creds.cxone.clientSecret,
    CXONE_ACCESS_KEY_ID: creds.cxone.accessKeyId,
    CXONE_ACCESS_KEY_SECRET: creds.cxone.accessKeySecret,
  }));
  connect = connectApi(new ConnectClient({ region: 'us-east-1', endpoint: sb.url, maxAttempts: 1, credentials: { accessKeyId: keyId, secretAccessKey: randomUUID() } }));
  await cxone.checkToken();
});
after(async () => {
  await sb?.stop();
  await dyn?.stop();
});
beforeEach(() => sb.reset());

describe('NICE CXone: ambiguous failures', () => {
  test('a connection reset after the signal was applied does not signal twice (contact state shows it)', async () => {
    await cxone.checkToken();
    const o = cxOutcome();
    sb.addFault({ vendor: 'nice_cxone', operation: 'signal', status: 0, afterApply: 'reset' });
    const r = await cxoneApply(o, { api: cxone, store, deadlineMs: 3000 });
    assert.equal(r.status, 'applied', JSON.stringify(r));
    assert.equal(signals(o.niceCxone!.ContactId).length, 1, 'signalled once');
    assert.ok(sb.events().some((e) => e.operation === 'contact' && e.params.contactState === 'InQueue'), 'the contact state was read');
    assert.equal((await readOutcome(store, o.outcomeId))?.state, 'applied');
    // The media core retries with the same outcome id: a duplicate, nothing sent.
    const again = await cxoneApply(o, { api: cxone, store, deadlineMs: 3000 });
    assert.deepEqual(again.status === 'applied' && again.duplicate, true);
    assert.equal(signals(o.niceCxone!.ContactId).length, 1);
  });

  test('a timeout after the signal was applied (the answer hangs) does not signal twice', async () => {
    const o = cxOutcome({ kind: 'hangup', sessionHistoryKey: undefined });
    sb.addFault({ vendor: 'nice_cxone', operation: 'signal', status: 0, afterApply: 'hang', delayMs: 2000 });
    const r = await cxoneApply(o, { api: cxone, store, deadlineMs: 800 });
    assert.equal(r.status, 'applied', JSON.stringify(r));
    assert.equal(signals(o.niceCxone!.ContactId).length, 1);
  });

  test('a request still in flight at the deadline: recorded unknown, and the retry checks instead of signalling again', async () => {
    const o = cxOutcome();
    // The vendor receives the signal but acts on it only after the adapter gave up.
    sb.addFault({ vendor: 'nice_cxone', operation: 'signal', status: 0, delayMs: 1200 });
    const r = await cxoneApply(o, { api: cxone, store, deadlineMs: 400 });
    assert.equal(r.status, 'rejected', JSON.stringify(r));
    assert.equal((await readOutcome(store, o.outcomeId))?.state, 'unknown');
    await new Promise((res) => setTimeout(res, 1200));
    assert.equal(signals(o.niceCxone!.ContactId).length, 1, 'the late request did land');
    const again = await cxoneApply(o, { api: cxone, store, deadlineMs: 3000 });
    assert.deepEqual(again.status === 'applied' && again.duplicate, true, JSON.stringify(again));
    assert.equal(signals(o.niceCxone!.ContactId).length, 1, 'not signalled twice');
  });

  test('a 503 before applying is retried and applied once', async () => {
    const o = cxOutcome();
    sb.addFault({ vendor: 'nice_cxone', operation: 'signal', status: 503 });
    const r = await cxoneApply(o, { api: cxone, store, deadlineMs: 3000 });
    assert.equal(r.status, 'applied');
    assert.equal(r.attempts, 2);
    assert.equal(signals(o.niceCxone!.ContactId).length, 1);
  });

  test('when the contact state cannot be read: recorded unknown, answered outcome_unknown, and a retry does not re-apply blindly', async () => {
    const o = cxOutcome();
    sb.addFault({ vendor: 'nice_cxone', operation: 'signal', status: 0, afterApply: 'reset' });
    sb.addFault({ vendor: 'nice_cxone', operation: 'contact', status: 500, count: 2 });
    const r = await cxoneApply(o, { api: cxone, store, deadlineMs: 3000 });
    assert.equal(r.status, 'rejected');
    assert.equal(r.status === 'rejected' && r.reason, 'outcome_unknown');
    assert.equal((await readOutcome(store, o.outcomeId))?.state, 'unknown');
    const again = await cxoneApply(o, { api: cxone, store, deadlineMs: 3000 });
    assert.equal(again.status === 'rejected' && again.reason, 'outcome_unknown');
    assert.equal(signals(o.niceCxone!.ContactId).length, 1, 'never re-sent while unknown');
    // Once the state can be read, the retry learns it was applied.
    const third = await cxoneApply(o, { api: cxone, store, deadlineMs: 3000 });
    assert.deepEqual(third.status === 'applied' && third.duplicate, true);
    assert.equal(signals(o.niceCxone!.ContactId).length, 1);
  });
});

describe('Amazon Connect: ambiguous failures', () => {
  test('a reset after UpdateContactAttributes was applied: GetContactAttributes shows it, no second write', async () => {
    const o = acOutcome();
    sb.addFault({ vendor: 'amazon_connect', operation: 'UpdateContactAttributes', status: 0, afterApply: 'reset' });
    const r = await connectApply(o, { api: connect, store, deadlineMs: 3000 });
    assert.equal(r.status, 'applied', JSON.stringify(r));
    assert.equal(updates(o.amazonConnect!.InitialContactId).length, 1);
    assert.ok(sb.events().some((e) => e.operation === 'GetContactAttributes'));
  });

  test('a throttled write (429) is retried with the same outcome and applied once', async () => {
    const o = acOutcome();
    sb.addFault({ vendor: 'amazon_connect', operation: 'UpdateContactAttributes', status: 429 });
    const r = await connectApply(o, { api: connect, store, deadlineMs: 3000 });
    assert.equal(r.status, 'applied');
    assert.equal(updates(o.amazonConnect!.InitialContactId).length, 1);
  });
});

describe('idempotency records', () => {
  test('the lease is at least the function timeout: a live in-progress record is not taken over; a lapsed one is checked, not re-sent blindly', async () => {
    const o = cxOutcome();
    const t0 = Date.now();
    assert.equal((await beginOutcome(store, o.outcomeId, 'nice_cxone', 7000, t0)).status, 'started');
    assert.equal((await beginOutcome(store, o.outcomeId, 'nice_cxone', 7000, t0 + 5000)).status, 'in_progress', 'inside the lease (function still running)');
    assert.equal((await beginOutcome(store, o.outcomeId, 'nice_cxone', 7000, t0 + 8000)).status, 'unknown', 'lapsed: maybe sent');
    await finishOutcome(store, o.outcomeId, 'unknown', 1);
    assert.equal((await beginOutcome(store, o.outcomeId, 'nice_cxone', 7000)).status, 'unknown', 'unknown is never claimed directly');
    // The adapter with a lapsed unknown record and a contact still in PreQueue: safe to send.
    const r = await cxoneApply(o, { api: cxone, store, deadlineMs: 3000, leaseMs: 7000 });
    assert.equal(r.status, 'applied', `${JSON.stringify(r)} ${JSON.stringify(sb.events())}`);
    assert.equal(signals(o.niceCxone!.ContactId).length, 1);
  });

  test('ambiguous vs definite failures', () => {
    assert.equal(isAmbiguousFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), true);
    assert.equal(isAmbiguousFailure(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })), true);
    assert.equal(isAmbiguousFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), false);
    assert.equal(isAmbiguousFailure({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } }), false);
    assert.equal(isAmbiguousFailure({ isAxiosError: true, message: 'x', response: { status: 500 } }), false);
    assert.equal(isAmbiguousFailure({ isAxiosError: true, message: 'socket hang up', code: 'ECONNRESET' }), true);
  });
});
