import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { getStore, type Store } from '../../lib/store/client.ts';
import { countMonthlyActiveUser, monthlyActiveUsers, callerHash } from '../../lib/store/mau.ts';
import { readSession } from '../../lib/store/session-history.ts';
import { registerContact } from '../../lib/store/contact-registry.ts';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { makeRuntime, startCall, ScriptedTestAssistant } from '../helpers/conversation-harness.ts';
import { until } from '../helpers/fake-call.ts';
import { createLambdaInvoker } from '../../media-core/conversation/lambda-invoke.ts';

let db: LocalDynamo;
let store: Store;
let lambda: Server;
let lambdaUrl = '';
const invocations: { fn: string; body: Record<string, unknown> }[] = [];

before(async () => {
  db = await startDynalite();
  store = getStore({ table: db.table, endpoint: db.endpoint });
  // The Lambda Invoke REST API (POST /2015-03-31/functions/{name}/invocations) as serverless-offline serves it.
  lambda = createServer((req, res) => {
    let s = '';
    req.on('data', (d) => (s += d));
    req.on('end', () => {
      const fn = decodeURIComponent(/\/functions\/([^/]+)\/invocations/.exec(req.url!)?.[1] ?? '');
      const body = JSON.parse(s);
      invocations.push({ fn, body });
      if (fn === 'broken') return res.writeHead(200, { 'x-amz-function-error': 'Unhandled' }).end(JSON.stringify({ errorMessage: 'boom' }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'applied', outcomeId: body.outcomeId, vendor: body.vendor, duplicate: false, attempts: 1 }));
    });
  });
  await new Promise<void>((r) => lambda.listen(0, '127.0.0.1', r));
  lambdaUrl = `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`;
});
after(async () => {
  await db.stop();
  await new Promise<void>((r) => lambda.close(() => r()));
});

describe('state: MAU, session history, contact registration, Lambda invoke', () => {
  test('MAU counts distinct callers per month by MD5, never storing the number', async () => {
    const now = Date.parse('2026-11-05T10:00:00Z');
    assert.equal(await countMonthlyActiveUser(store, '+15551234567', now), true);
    assert.equal(await countMonthlyActiveUser(store, '+1 555 123 4567', now), false);
    assert.equal(await countMonthlyActiveUser(store, '+15550000000', now), true);
    assert.equal(await countMonthlyActiveUser(store, '+15551234567', Date.parse('2026-12-01T00:00:00Z')), true);
    assert.equal(await monthlyActiveUsers(store, '2026-11'), 2);
    assert.equal(await monthlyActiveUsers(store, '2026-12'), 1);
    const all = await store.doc.send(new ScanCommand({ TableName: store.table }));
    assert.ok(all.Items!.some((i) => i.pk === `mau#2026-11#${callerHash('+15551234567')}`));
    assert.ok(!JSON.stringify(all.Items).includes('5551234567'));
  });

  test('a call writes its session history in order; the key is unguessable', async () => {
    const a = new ScriptedTestAssistant((t) => (t === '' ? [{ response_type: 'text', text: 'Hello' }] : [{ response_type: 'text', text: `You said ${t}` }, { response_type: 'end_session' }]));
    const { runtime } = makeRuntime(a, { deps: { store } });
    const call = startCall(runtime);
    await until(() => call.plays.length === 1, 'hello');
    call.press('5');
    await runtime.idle();
    const s = runtime.recent.at(-1)!;
    await s.flushHistory();
    const key = (s as unknown as { d: { sessionHistoryKey: string } }).d.sessionHistoryKey;
    const h = await readSession(store, key);
    assert.ok(h);
    assert.equal(h.meta.calledNumber, '+15550100001');
    assert.equal(h.meta.callerRedacted, '…67');
    assert.deepEqual(h.turns.map((t) => `${t.who}:${t.text}`).slice(0, 4), ['assistant:Hello', 'caller:5', 'assistant:You said 5', 'assistant:end_session']);
    assert.equal(h.turns[1]!.isDtmf, true);
    assert.deepEqual(h.turns.map((t) => t.seq), h.turns.map((_, i) => i + 1));
  });

  test('amazon_connect contact from the number match (opt-in fallback) when the INVITE has no token; Lambda invoked over HTTP', async () => {
    await registerContact(store, {
      ContactId: 'c-9',
      InitialContactId: 'c-init-9',
      InstanceARN: 'arn:aws:connect:us-east-1:123456789012:instance/inst-9',
      InstanceId: 'inst-9',
      dialedNumber: '+15550100001',
      customerNumber: '+15551234567',
      registeredAt: new Date().toISOString(),
    });
    const invoke = createLambdaInvoker({ endpoint: lambdaUrl, region: 'us-east-1', timeoutMs: 3000 });
    const a = new ScriptedTestAssistant(() => [{ response_type: 'connect_to_agent', transfer_info: { target: { amazon_connect: { custom_data: { Tier: 'gold' } } } } }]);
    const { runtime } = makeRuntime(a, { vendor: { vendor: 'amazon_connect', functionName: 'acOutcome', numberMatchFallback: true }, deps: { store, invoke } });
    const call = startCall(runtime, { calledUser: '15550100001' });
    await runtime.idle();
    const inv = invocations.at(-1)!;
    assert.equal(inv.fn, 'acOutcome');
    assert.deepEqual(inv.body.amazonConnect, { InstanceId: 'inst-9', InstanceARN: 'arn:aws:connect:us-east-1:123456789012:instance/inst-9', InitialContactId: 'c-init-9' });
    assert.deepEqual(inv.body.customData, { Tier: 'gold' });
    assert.deepEqual(call.hangups, [[]]);
  });

  test('Lambda FunctionError is an error', async () => {
    const invoke = createLambdaInvoker({ endpoint: lambdaUrl, region: 'us-east-1', timeoutMs: 3000 });
    await assert.rejects(
      invoke('broken', { version: 1, outcomeId: 'outcome-1', sipCallId: 'x', vendor: 'nice_cxone', kind: 'hangup', customData: {}, occurredAt: new Date().toISOString(), niceCxone: { ContactId: '1' } }),
      /adapter function broken failed: Unhandled/,
    );
  });
});
