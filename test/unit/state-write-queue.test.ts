/**
 * The state table's write-behind queue (lib/store/write-queue.ts): retries after injected
 * DynamoDB errors lose nothing, the bound holds with the documented drop policy, batches obey
 * BatchWriteItem's limits, and a session's history is in the table before its transfer
 * outcome is sent.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BatchWriteCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { getStore, type Store } from '../../lib/store/client.ts';
import { WRITE_PRIORITY, WriteBehindQueue, WriteLostError, writeQueueFor } from '../../lib/store/write-queue.ts';
import { readSession } from '../../lib/store/session-history.ts';
import { makeRuntime, startCall, ScriptedTestAssistant } from '../helpers/conversation-harness.ts';
import { until } from '../helpers/fake-call.ts';
import type { AdapterReply, OutcomeEvent } from '../../events/outcome.ts';
import { createLogger } from '../../lib/log.ts';
import { cxoneInviteHeaders, testContactVerifier } from '../helpers/contact-tokens.ts';

const quiet = createLogger('test');
const throttled = () => Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
const hangUp = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

/** A Store whose document client is a stub: `reply(command)` answers or throws. */
function stubStore(reply: (cmd: unknown, n: number) => unknown): { store: Store; sent: unknown[] } {
  const sent: unknown[] = [];
  const doc = { send: async (cmd: unknown) => { sent.push(cmd); return reply(cmd, sent.length); } };
  return { store: { doc: doc as unknown as Store['doc'], table: 't' }, sent };
}

/** A wrapper of a real store that fails some requests before they reach dynalite. */
function faultyStore(real: Store, fail: (n: number, cmd: unknown) => Error | undefined): { store: Store; requests: () => number } {
  let n = 0;
  const doc = {
    send: async (cmd: unknown) => {
      const err = fail(++n, cmd);
      if (err) throw err;
      return real.doc.send(cmd as never);
    },
  };
  return { store: { doc: doc as unknown as Store['doc'], table: real.table }, requests: () => n };
}

let db: LocalDynamo;
let real: Store;
before(async () => {
  db = await startDynalite('write-queue-state');
  real = getStore({ table: db.table, endpoint: db.endpoint });
});
after(async () => {
  await db.stop();
});

describe('write-behind queue', () => {
  test('retries after injected DynamoDB errors with backoff: 500 puts, every third request failing, none lost', async () => {
    const { store, requests } = faultyStore(real, (n) => (n % 3 === 0 ? (n % 2 ? throttled() : hangUp()) : undefined));
    const q = new WriteBehindQueue(store, { concurrency: 4, baseBackoffMs: 2, maxBackoffMs: 20, log: quiet });
    const writes = Array.from({ length: 500 }, (_, i) => q.put({ pk: 'wq#retry', sk: `i#${String(i).padStart(4, '0')}`, i }, { family: 'session', priority: WRITE_PRIORITY.sessionTurn, group: 'wq#retry' }));
    assert.equal(await q.flush('wq#retry', 20_000), true);
    await Promise.all(writes);
    const items: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await real.doc.send(new QueryCommand({ TableName: real.table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'wq#retry' }, ExclusiveStartKey: start }));
      items.push(...(r.Items ?? []));
      start = r.LastEvaluatedKey;
    } while (start);
    assert.equal(items.length, 500);
    const s = q.stats();
    assert.equal(s.written, 500);
    assert.deepEqual(s.lost, { session: 0, mau: 0, contact: 0 });
    assert.ok(s.retried > 0, 'some requests failed and were retried');
    assert.ok(s.batches > 0 && requests() < 500, `puts were batched (${requests()} requests for 500 items)`);
    assert.equal(s.failingSince, undefined, 'recovered');
  });

  test('UnprocessedItems of a BatchWriteItem reply are retried', async () => {
    let batches = 0;
    const { store, sent } = stubStore((cmd) => {
      if (cmd instanceof BatchWriteCommand && ++batches === 1) {
        const items = cmd.input.RequestItems!.t!;
        return { UnprocessedItems: { t: items.slice(0, 2) } };
      }
      return {};
    });
    const q = new WriteBehindQueue(store, { concurrency: 1, baseBackoffMs: 1, maxBackoffMs: 2, log: quiet });
    const done = Array.from({ length: 5 }, (_, i) => q.put({ pk: 'p', sk: `s${i}` }, { family: 'session', priority: 1, group: 'g' }));
    await Promise.all(done);
    assert.equal(q.stats().written, 5);
    assert.equal(q.stats().retried, 2);
    // The first put goes alone (nothing else waits yet); the next four are batched, two come back unprocessed.
    const batchesSent = sent.filter((c) => c instanceof BatchWriteCommand) as BatchWriteCommand[];
    assert.equal(batchesSent[0]!.input.RequestItems!.t!.length, 4);
    assert.equal(batchesSent[1]!.input.RequestItems!.t!.length, 2, 'only the unprocessed two were sent again');
  });

  test('a batch has at most 25 items and distinct keys; a validation error loses only the bad item', async () => {
    const { store, sent } = stubStore((cmd) => {
      if (cmd instanceof BatchWriteCommand) {
        if (cmd.input.RequestItems!.t!.some((r) => r.PutRequest!.Item!.bad)) throw Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
        return {};
      }
      if (cmd instanceof PutCommand && cmd.input.Item!.bad) throw Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
      return {};
    });
    const q = new WriteBehindQueue(store, { concurrency: 1, log: quiet });
    const ps = Array.from({ length: 60 }, (_, i) => q.put({ pk: 'p', sk: `s${i % 50}`, ...(i === 7 ? { bad: true } : {}) }, { family: 'session', priority: 1 }).then(() => 'ok', (e: Error) => e));
    const results = await Promise.all(ps);
    const lost = results.filter((r) => r instanceof WriteLostError) as WriteLostError[];
    assert.equal(lost.length, 1);
    assert.equal(lost[0]!.reason, 'rejected');
    for (const c of sent) {
      if (!(c instanceof BatchWriteCommand)) continue;
      const keys = c.input.RequestItems!.t!.map((r) => `${r.PutRequest!.Item!.pk}|${r.PutRequest!.Item!.sk}`);
      assert.ok(keys.length <= 25);
      assert.equal(new Set(keys).size, keys.length, 'no duplicate key in one batch');
    }
  });

  test('the bound holds in a lasting outage: lowest priority, oldest first, dropped and counted; nothing blocks', async () => {
    const { store } = stubStore(() => {
      throw hangUp();
    });
    const q = new WriteBehindQueue(store, { capacity: 10, concurrency: 1, baseBackoffMs: 1000, maxBackoffMs: 1000, log: quiet });
    const outcome = (p: Promise<unknown>) => p.then(() => 'written', (e: WriteLostError) => e.reason);
    const mau = Array.from({ length: 4 }, (_, i) => outcome(q.put({ pk: 'm', sk: `${i}` }, { family: 'mau', priority: WRITE_PRIORITY.mau })));
    const turns = Array.from({ length: 8 }, (_, i) => outcome(q.put({ pk: 't', sk: `${i}` }, { family: 'session', priority: WRITE_PRIORITY.sessionTurn })));
    // 12 writes offered, at most 10 waiting + 1 in flight: the MAU writes go first, oldest first.
    const t0 = Date.now();
    const contact = outcome(q.put({ pk: 'c', sk: 'c' }, { family: 'contact', priority: WRITE_PRIORITY.contact }));
    assert.ok(Date.now() - t0 < 50, 'put never blocks');
    await new Promise((r) => setTimeout(r, 20));
    const s = q.stats();
    assert.ok(s.queued <= 10, `queued ${s.queued} <= capacity`);
    assert.ok(s.failingSince !== undefined, 'the outage is visible in the stats');
    assert.ok(s.lost.mau >= 2 && s.lost.session === 0 && s.lost.contact === 0, JSON.stringify(s.lost));
    q.close();
    const m = await Promise.all(mau);
    // The two oldest waiting MAU writes made room for the turn and the contact; the first, back from
    // its failed attempt to a full queue, was the oldest of all and went too; the youngest stayed.
    assert.deepEqual(m, ['overflow', 'overflow', 'overflow', 'closed'], 'the oldest MAU writes were dropped');
    assert.deepEqual(new Set(await Promise.all(turns)), new Set(['closed']));
    assert.equal(await contact, 'closed');
    assert.equal(q.stats().lostByReason.overflow, 3);
  });

  test('a write past its deadline is lost as expired, not retried forever', async () => {
    const { store } = stubStore(() => {
      throw throttled();
    });
    const q = new WriteBehindQueue(store, { baseBackoffMs: 5, maxBackoffMs: 10, log: quiet });
    await assert.rejects(q.put({ pk: 'x', sk: 'y' }, { family: 'contact', priority: 3, deadlineMs: 100 }), (e: WriteLostError) => e.reason === 'expired');
    assert.equal(q.stats().lost.contact, 1);
  });
});

describe('session history before the transfer outcome', () => {
  test('every turn is in the table when the outcome is sent, though writes failed at first', async () => {
    // The first four requests fail: the writes are retried; the transfer waits for them.
    const { store } = faultyStore(real, (n) => (n <= 4 ? throttled() : undefined));
    writeQueueFor(store, { baseBackoffMs: 20, maxBackoffMs: 40, log: quiet });
    const seenAtInvoke: string[][] = [];
    const invoke = async (_fn: string, event: OutcomeEvent): Promise<AdapterReply> => {
      const h = await readSession(real, event.sessionHistoryKey!);
      seenAtInvoke.push(h?.turns.map((t) => `${t.who}:${t.text}`) ?? ['(no meta)']);
      return { status: 'applied', outcomeId: event.outcomeId, vendor: event.vendor, duplicate: false, attempts: 1 };
    };
    const a = new ScriptedTestAssistant((t) =>
      t === '' ? [{ response_type: 'text', text: 'Hello' }] : [{ response_type: 'text', text: 'Connecting you' }, { response_type: 'connect_to_agent', agent_available: { message: 'One moment' }, transfer_info: { target: { nice_cxone: {} } } }],
    );
    const { runtime } = makeRuntime(a, { vendor: { vendor: 'nice_cxone', functionName: 'cx' }, deps: { store, invoke, contacts: testContactVerifier() } });
    const call = startCall(runtime, { inviteHeaders: cxoneInviteHeaders('4242') });
    await until(() => call.plays.length === 1, 'hello');
    call.press('0');
    await runtime.idle();
    assert.equal(seenAtInvoke.length, 1, 'one transfer outcome');
    assert.deepEqual(seenAtInvoke[0], ['assistant:Hello', 'caller:0', 'assistant:Connecting you', 'assistant:One moment']);
    const all = await real.doc.send(new ScanCommand({ TableName: real.table }));
    assert.ok((all.Items ?? []).length > 0);
  });
});

describe('a lasting state-store outage never blocks or ends a call', () => {
  test('the transfer goes out after the bounded history flush; the writes stay queued, the outage shows in the stats', async () => {
    const { store } = faultyStore(real, () => hangUp());
    const q = writeQueueFor(store, { baseBackoffMs: 50, maxBackoffMs: 200, log: quiet });
    const a = new ScriptedTestAssistant((t) => (t === '' ? [{ response_type: 'text', text: 'Hello' }] : [{ response_type: 'connect_to_agent', transfer_info: { target: { service_desk: { sip: { uri: 'sip:agent@127.0.0.1:5090' } } } } }]));
    const { runtime } = makeRuntime(a, { deps: { store } });
    const call = startCall(runtime);
    await until(() => call.plays.length === 1, 'hello');
    const t0 = Date.now();
    call.press('0');
    await until(() => call.refers.length === 1, 'REFER sent despite the outage', 5000);
    const waited = Date.now() - t0;
    assert.ok(waited >= 1500 && waited < 4000, `the transfer waited for the flush, bounded (${waited} ms)`);
    await runtime.idle();
    const s = q.stats();
    assert.ok(s.queued > 0, 'the history writes stay queued for later');
    assert.ok(s.failingSince !== undefined, 'the outage is visible');
    assert.deepEqual(s.lost, { session: 0, mau: 0, contact: 0 }, 'nothing dropped yet');
    q.close();
    assert.ok(q.stats().lost.session > 0, 'closing during the outage counts the writes as lost');
  });
});
