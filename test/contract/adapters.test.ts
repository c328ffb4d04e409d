/**
 * Contract test of the Amazon Connect and NICE CXone outcome functions as deployed: the real
 * esbuild bundles run by serverless-offline, invoked through its Lambda port with
 * @aws-sdk/client-lambda (as the media core does), talking to the contact-center sandboxes
 * with the real vendor clients, idempotency records in dynalite. One offline process for the
 * whole file (it is slow to start).
 */
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { startOffline, type Offline } from '../helpers/offline.ts';
import { startSandboxes, type RunningSandboxes } from '../../dev/sandboxes/server.ts';
import { sandboxCredentialsFromEnv } from '../../dev/sandboxes/config.ts';
import { AdapterReply, type OutcomeEventInput } from '../../events/outcome.ts';

const DEADLINE_MS = 1500;
const instanceId = randomUUID();
const awsKeyId = `AKIAFAKE${randomUUID().slice(0, 8).toUpperCase()}`;
let dyn: LocalDynamo;
let sb: RunningSandboxes;
let off: Offline;
let lambda: LambdaClient;

const sample = (name: string) => JSON.parse(readFileSync(new URL(`../../events/samples/${name}.json`, import.meta.url), 'utf8')) as OutcomeEventInput;
/** A sample with fresh ids so tests do not see each other's idempotency records. */
function fresh(name: string, over: Partial<OutcomeEventInput> = {}): OutcomeEventInput {
  const s = sample(name);
  return {
    ...s,
    outcomeId: randomUUID(),
    ...(s.amazonConnect ? { amazonConnect: { ...s.amazonConnect, InstanceId: instanceId, InitialContactId: randomUUID() } } : {}),
    ...(s.niceCxone ? { niceCxone: { ContactId: String(1e11 + Math.floor(Math.random() * 1e10)) } } : {}),
    ...over,
  };
}

async function invoke(fn: 'amazonConnectOutcome' | 'niceCxoneOutcome', event: unknown): Promise<{ reply: AdapterReply; ms: number; eventsAtReply: number }> {
  const t0 = performance.now();
  const r = await lambda.send(new InvokeCommand({ FunctionName: `open-phone-integration-dev-${fn}`, Payload: Buffer.from(JSON.stringify(event)) }));
  const ms = performance.now() - t0;
  // Count the sandbox's requests before even decoding the reply: they must already be there.
  const eventsAtReply = sb.events().length;
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
  return { reply: AdapterReply.parse(JSON.parse(Buffer.from(r.Payload!).toString())), ms, eventsAtReply };
}

before(async () => {
  // serverless.yml's provider environment sets STATE_TABLE, and it wins over the process env.
  dyn = await startDynalite('open-phone-integration-dev-state');
  const creds = sandboxCredentialsFromEnv({ SANDBOX_CONNECT_INSTANCE_IDS: instanceId, SANDBOX_AWS_ACCESS_KEY_ID: awsKeyId });
  sb = await startSandboxes({ port: 0, credentials: creds });
  off = await startOffline({
    startTimeoutMs: 90_000,
    env: {
      LOG_LEVEL: 'silent',
      STATE_TABLE: dyn.table,
      DYNAMODB_ENDPOINT: dyn.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: awsKeyId,
      AWS_SECRET_ACCESS_KEY: randomUUID(),
      AMAZON_CONNECT_ENDPOINT: sb.url,
      OUTCOME_DEADLINE_MS: String(DEADLINE_MS),
      CXONE_ISSUER_URL: sb.url,
      CXONE_CLIENT_ID: creds.cxone.clientId,
      CXONE_CLIENT_SECRET: creds.cxone.clientSecret,
      CXONE_ACCESS_KEY_ID: creds.cxone.accessKeyId,
      CXONE_ACCESS_KEY_SECRET: creds.cxone.accessKeySecret,
      // message_to_human_agent in p9, taken out of custom_data's slots.
      CXONE_AGENT_MESSAGE_PARAM: 'p9',
      CXONE_CUSTOM_DATA_PARAMS: 'p2,p3,p4,p5,p6,p7,p8',
    },
  });
  lambda = new LambdaClient({ region: 'us-east-1', endpoint: off.lambdaEndpoint, credentials: { accessKeyId: 'AKIAFAKECALLER', secretAccessKey: randomUUID() }, maxAttempts: 1 });
});
after(async () => {
  lambda?.destroy();
  await off?.stop();
  await sb?.stop();
  await dyn?.stop();
});
beforeEach(() => sb.reset());

describe('Amazon Connect outcome function', () => {
  test('transfer: attributes written (SessionHistoryKey + custom_data) before the function returns', async () => {
    const o = fresh('amazon-connect-transfer');
    const { reply, eventsAtReply } = await invoke('amazonConnectOutcome', o);
    assert.deepEqual(reply, { status: 'applied', outcomeId: o.outcomeId, vendor: 'amazon_connect', duplicate: false, attempts: 1 });
    assert.equal(eventsAtReply, 1);
    const [e] = sb.events();
    assert.deepEqual(e!.params, { InstanceId: instanceId, InitialContactId: o.amazonConnect!.InitialContactId, Attributes: { contact_attribute1: 'test', SessionHistoryKey: o.sessionHistoryKey } });
    const view = (await (await fetch(`${sb.url}/_sandbox/connect/contacts/${o.amazonConnect!.InitialContactId}`)).json()) as { flowBranch: string };
    assert.equal(view.flowBranch, 'queue');
  });

  test('hangup writes SessionHistoryKey=hangup; error writes nothing', async () => {
    const h = fresh('amazon-connect-hangup');
    assert.equal((await invoke('amazonConnectOutcome', h)).reply.status, 'applied');
    assert.deepEqual((sb.events()[0]!.params as { Attributes: unknown }).Attributes, { SessionHistoryKey: 'hangup' });
    const e = await invoke('amazonConnectOutcome', fresh('amazon-connect-error'));
    assert.deepEqual([e.reply.status, e.reply.attempts, sb.events().length], ['applied', 0, 1]);
  });

  test('throttled twice then accepted: applied once, attempts 3', async () => {
    sb.addFault({ vendor: 'amazon_connect', operation: 'UpdateContactAttributes', status: 429, count: 2 });
    const { reply } = await invoke('amazonConnectOutcome', fresh('amazon-connect-transfer'));
    assert.equal(reply.status === 'applied' && reply.attempts, 3);
    assert.deepEqual(sb.events().map((e) => e.status), [429, 429, 200]);
  });

  test('failing past the deadline: rejected deadline_exceeded in time', async () => {
    // Only the update fails: the check after an attempt cut by the deadline (GetContactAttributes) can tell it was not applied.
    sb.addFault({ vendor: 'amazon_connect', operation: 'UpdateContactAttributes', status: 500, count: 10_000, delayMs: 20 });
    const { reply, ms } = await invoke('amazonConnectOutcome', fresh('amazon-connect-transfer'));
    assert.equal(reply.status === 'rejected' && reply.reason, 'deadline_exceeded');
    console.log(`# amazon_connect deadline ${DEADLINE_MS} ms: reply after ${ms.toFixed(0)} ms, ${reply.attempts} attempts`);
    assert.ok(ms < DEADLINE_MS + 500, `reply after ${ms} ms`);
  });

  test('a duplicate outcome id is applied once; the second reply is duplicate:true', async () => {
    const o = fresh('amazon-connect-transfer');
    const a = await invoke('amazonConnectOutcome', o);
    const b = await invoke('amazonConnectOutcome', { ...o });
    assert.equal(a.reply.status === 'applied' && a.reply.duplicate, false);
    assert.deepEqual([b.reply.status, b.reply.status === 'applied' && b.reply.duplicate, b.reply.attempts], ['applied', true, 0]);
    assert.equal(sb.events().length, 1);
  });

  test('bad custom_data: rejected invalid_custom_data, nothing sent', async () => {
    const { reply } = await invoke('amazonConnectOutcome', fresh('amazon-connect-bad-custom-data'));
    assert.equal(reply.status === 'rejected' && reply.reason, 'invalid_custom_data');
    assert.equal(sb.events().length, 0);
  });
});

describe('NICE CXone outcome function', () => {
  test('transfer: signal p1 = key, p2 from custom_data, before the reply; hangup p1=hangup; error nothing', async () => {
    const o = fresh('nice-cxone-transfer');
    const { reply, eventsAtReply } = await invoke('niceCxoneOutcome', o);
    assert.equal(reply.status, 'applied');
    const signals = () => sb.events().filter((e) => e.operation === 'signal');
    assert.equal(eventsAtReply, sb.events().length);
    assert.deepEqual(signals()[0]!.params, { contactId: o.niceCxone!.ContactId, version: '31.0', p1: o.sessionHistoryKey, p2: 'test' });
    await invoke('niceCxoneOutcome', fresh('nice-cxone-hangup'));
    assert.equal((signals()[1]!.params as { p1: string }).p1, 'hangup');
    const e = await invoke('niceCxoneOutcome', fresh('nice-cxone-error'));
    assert.deepEqual([e.reply.status, e.reply.attempts, signals().length], ['applied', 0, 2]);
  });

  // sb.reset() also forgets the sandbox's issued tokens, so these tests look at the events
  // after a mark instead of resetting.
  const since = (mark: number) => sb.events().slice(mark).map((e) => `${e.operation}:${e.status}`);

  test('an expired token is refreshed once', async () => {
    await invoke('niceCxoneOutcome', fresh('nice-cxone-hangup')); // warm: a valid token cached in the function
    let mark = sb.events().length;
    await invoke('niceCxoneOutcome', fresh('nice-cxone-hangup'));
    assert.deepEqual(since(mark), ['signal:202'], 'the cached token is reused');
    await fetch(`${sb.url}/_sandbox/cxone/expire-tokens`, { method: 'POST' });
    mark = sb.events().length;
    const r = await invoke('niceCxoneOutcome', fresh('nice-cxone-hangup'));
    assert.equal(r.reply.status, 'applied');
    assert.deepEqual(since(mark), ['signal:401', 'token:200', 'signal:202']);
  });

  test('throttled twice (429) then accepted: attempts 3; a duplicate sends nothing', async () => {
    await invoke('niceCxoneOutcome', fresh('nice-cxone-hangup'));
    const mark = sb.events().length;
    sb.addFault({ vendor: 'nice_cxone', operation: 'signal', status: 429, count: 2, retryAfterSeconds: 0 });
    const o = fresh('nice-cxone-transfer');
    const { reply } = await invoke('niceCxoneOutcome', o);
    assert.equal(reply.status === 'applied' && reply.attempts, 3);
    const dup = await invoke('niceCxoneOutcome', o);
    assert.equal(dup.reply.status === 'applied' && dup.reply.duplicate, true);
    assert.deepEqual(since(mark), ['signal:429', 'signal:429', 'signal:202']);
  });

  test('failing past the deadline: rejected deadline_exceeded in time; p1 in custom_data rejected, nothing sent', async () => {
    await invoke('niceCxoneOutcome', fresh('nice-cxone-hangup'));
    sb.addFault({ vendor: 'nice_cxone', operation: 'signal', status: 503, count: 10_000, delayMs: 20 });
    const { reply, ms } = await invoke('niceCxoneOutcome', fresh('nice-cxone-transfer'));
    assert.equal(reply.status === 'rejected' && reply.reason, 'deadline_exceeded');
    console.log(`# nice_cxone deadline ${DEADLINE_MS} ms: reply after ${ms.toFixed(0)} ms, ${reply.attempts} attempts`);
    assert.ok(ms < DEADLINE_MS + 500, `reply after ${ms} ms`);
    const mark = sb.events().length;
    const bad = await invoke('niceCxoneOutcome', fresh('nice-cxone-bad-custom-data'));
    assert.equal(bad.reply.status === 'rejected' && bad.reply.reason, 'invalid_custom_data');
    assert.deepEqual(since(mark), []);
  });
});

// Last in the file: the CXone function's cached token outlives sb.reset(), which the token tests above rely on not happening.
describe('message_to_human_agent through the deployed functions', () => {
  const long = `${'Caller \u201cAnn\u201d wants\r\nto cancel. '.repeat(130)}END`; // under the contract's 8,000 (the media core sends at most 4,000 characters)
  test('Amazon Connect: attribute MessageToHumanAgent, controls replaced, cut to 1024 bytes and marked; the sandbox accepts it', async () => {
    const o = fresh('amazon-connect-transfer', { messageToHumanAgent: long });
    const { reply } = await invoke('amazonConnectOutcome', o);
    assert.equal(reply.status, 'applied', JSON.stringify(reply));
    const attrs = (sb.events()[0]!.params as { Attributes: Record<string, string> }).Attributes;
    const m = attrs.MessageToHumanAgent!;
    assert.ok(m.startsWith('Caller \u201cAnn\u201d wants to cancel.'), m.slice(0, 60));
    assert.ok(m.endsWith(' [truncated]') && Buffer.byteLength(m) <= 1024 && !/[\r\n]/.test(m));
    assert.equal(attrs.SessionHistoryKey, o.sessionHistoryKey);
  });
  test('NICE CXone: the configured slot p9, cut to 500 characters and marked; p2 stays custom_data', async () => {
    const o = fresh('nice-cxone-transfer', { messageToHumanAgent: long });
    const { reply } = await invoke('niceCxoneOutcome', o);
    assert.equal(reply.status, 'applied', JSON.stringify(reply));
    const p = sb.events().find((e) => e.operation === 'signal' && e.status === 202)!.params as Record<string, string>;
    assert.equal(p.p2, 'test');
    assert.ok(p.p9!.endsWith(' [truncated]') && [...p.p9!].length <= 500 && !/[\r\n]/.test(p.p9!), p.p9);
    const bad = await invoke('niceCxoneOutcome', fresh('nice-cxone-transfer', { customData: { p9: 'mine' } }));
    assert.equal(bad.reply.status === 'rejected' && bad.reply.reason, 'invalid_custom_data', 'custom_data may not use the message slot');
  });
});
