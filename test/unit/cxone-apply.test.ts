/**
 * NICE CXone adapter in process: access-key authentication (discovery, token cache, refresh
 * on 401), signal translation (p1 reserved, p2..p9), retries with Retry-After, deadline,
 * duplicates — axios against the sandbox, the idempotency store on dynalite.
 */
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { startSandboxes, type RunningSandboxes } from '../../dev/sandboxes/server.ts';
import { sandboxCredentialsFromEnv, type SandboxCredentials } from '../../dev/sandboxes/config.ts';
import { getStore, type Store } from '../../lib/store/client.ts';
import { applyOutcome, createCxoneApi, customDataToParams, decodeJwtPayload, loadNiceCxoneConfig, testConnection, translateOutcome, type NiceCxoneConfig } from '../../adapters/nice-cxone/index.ts';
import { OutcomeEvent, type OutcomeEventInput } from '../../events/outcome.ts';
import { ConfigError } from '../../lib/env.ts';

let dyn: LocalDynamo;
let sb: RunningSandboxes;
let store: Store;
let creds: SandboxCredentials;
let config: NiceCxoneConfig;

function outcome(over: Partial<OutcomeEventInput> = {}): OutcomeEventInput {
  return {
    version: 1,
    outcomeId: randomUUID(),
    sipCallId: `${randomUUID()}@127.0.0.1`,
    vendor: 'nice_cxone',
    kind: 'transfer',
    sessionHistoryKey: 'k' + randomUUID().replace(/-/g, ''),
    customData: {},
    occurredAt: new Date().toISOString(),
    niceCxone: { ContactId: String(Math.floor(Math.random() * 1e10)) },
    ...over,
  };
}

before(async () => {
  dyn = await startDynalite();
  store = getStore({ table: dyn.table, endpoint: dyn.endpoint });
  creds = sandboxCredentialsFromEnv({});
  sb = await startSandboxes({ port: 0, credentials: creds });
  config = loadNiceCxoneConfig({
    CXONE_ISSUER_URL: sb.url,
    CXONE_CLIENT_ID: creds.cxone.clientId,
    CXONE_CLIENT_SECRET: creds.cxone.clientSecret,
    CXONE_ACCESS_KEY_ID: creds.cxone.accessKeyId,
    CXONE_ACCESS_KEY_SECRET: creds.cxone.accessKeySecret,
  });
});
after(async () => {
  await sb?.stop();
  await dyn?.stop();
});
beforeEach(() => sb.reset());

const ops = () => sb.events().map((e) => `${e.operation}:${e.status}`);

describe('config and translation', () => {
  test('config names the missing secret variable; version defaults to 31.0', () => {
    assert.equal(config.CXONE_API_VERSION, '31.0');
    assert.throws(() => loadNiceCxoneConfig({ CXONE_ISSUER_URL: 'https://x.example', CXONE_CLIENT_ID: 'a', CXONE_CLIENT_SECRET: 'b', CXONE_ACCESS_KEY_ID: 'c' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('CXONE_ACCESS_KEY_SECRET'));
  });
  test('p1 = key on transfer, "hangup" on hangup; p2..p9 from custom_data; numbers and booleans become text', () => {
    const t = translateOutcome(OutcomeEvent.parse(outcome({ sessionHistoryKey: 'KEY', customData: { p2: 'test', p3: 42, p9: true } })));
    assert.deepEqual(t.action === 'signal' && t.params, { p1: 'KEY', p2: 'test', p3: '42', p9: 'true' });
    const h = translateOutcome(OutcomeEvent.parse(outcome({ kind: 'hangup', sessionHistoryKey: undefined })));
    assert.deepEqual(h.action === 'signal' && h.params, { p1: 'hangup' });
    assert.deepEqual(translateOutcome(OutcomeEvent.parse(outcome({ kind: 'error', sessionHistoryKey: undefined }))), { action: 'none' });
  });
  test('custom_data naming p1, p10, other names, null or objects is refused', () => {
    for (const cd of [{ p1: 'x' }, { p10: 'x' }, { p0: 'x' }, { agent: 'x' }, { p2: null }, { p2: { a: 1 } }, { p2: ['a'] }, { p2: Number.NaN }]) {
      assert.ok('error' in customDataToParams(cd), JSON.stringify(cd));
    }
  });
  test('decodeJwtPayload reads the id_token claims', () => {
    const jwt = `e30.${Buffer.from(JSON.stringify({ iss: 'https://i', tenantId: 't' })).toString('base64url')}.sig`;
    assert.deepEqual(decodeJwtPayload(jwt), { iss: 'https://i', tenantId: 't' });
    assert.throws(() => decodeJwtPayload('nodots'));
  });
});

describe('applyOutcome against the sandbox', () => {
  test('transfer: discovery, token, configuration, then one signal with p1..p3; the token is reused', async () => {
    const api = createCxoneApi(config);
    const o = outcome({ customData: { p2: 'test', p3: 7 } });
    const r = await applyOutcome(o, { api, store, deadlineMs: 3000 });
    assert.deepEqual(r, { status: 'applied', outcomeId: o.outcomeId, vendor: 'nice_cxone', duplicate: false, attempts: 1 });
    assert.deepEqual(ops(), ['openid-configuration:200', 'token:200', 'cxone-configuration:200', 'signal:202']);
    const sig = sb.events().at(-1)!;
    assert.deepEqual(sig.params, { contactId: o.niceCxone!.ContactId, version: '31.0', p1: o.sessionHistoryKey, p2: 'test', p3: '7' });
    assert.ok(!JSON.stringify(sb.events()).includes(creds.cxone.accessKeySecret), 'no secret recorded');
    const h = outcome({ kind: 'hangup', sessionHistoryKey: undefined });
    await applyOutcome(h, { api, store, deadlineMs: 3000 });
    assert.equal(sb.events().filter((e) => e.operation === 'token').length, 1, 'token cached');
    const view = (await (await fetch(`${sb.url}/_sandbox/cxone/contacts/${h.niceCxone!.ContactId}`)).json()) as { branch: string };
    assert.equal(view.branch, 'hangup');
  });

  test('an expired token is refreshed once and the signal repeated', async () => {
    const api = createCxoneApi(config);
    await applyOutcome(outcome(), { api, store, deadlineMs: 3000 });
    await fetch(`${sb.url}/_sandbox/cxone/expire-tokens`, { method: 'POST' });
    const r = await applyOutcome(outcome(), { api, store, deadlineMs: 3000 });
    assert.equal(r.status, 'applied');
    assert.deepEqual(ops().slice(4), ['signal:401', 'token:200', 'signal:202']);
    assert.equal(api.auth.tokenRequests, 2);
  });

  test('the cache refreshes shortly before expires_in', async () => {
    let now = 1_000_000;
    const { CxoneAuth } = await import('../../adapters/nice-cxone/auth.ts');
    const axios = (await import('axios')).default;
    const auth = new CxoneAuth({ issuerUrl: sb.url, clientId: creds.cxone.clientId, clientSecret: creds.cxone.clientSecret, accessKeyId: creds.cxone.accessKeyId, accessKeySecret: async () => creds.cxone.accessKeySecret, http: axios.create(), now: () => now });
    const a = await auth.session();
    now += 3600_000 - 61_000;
    assert.equal((await auth.session()).accessToken, a.accessToken);
    now += 2_000; // inside the 60 s margin
    assert.notEqual((await auth.session()).accessToken, a.accessToken);
    assert.equal(auth.tokenRequests, 2);
  });

  test('wrong access key: auth_failed, not retried; testConnection reports invalid without the secret', async () => {
    const bad = createCxoneApi({ ...config, CXONE_ACCESS_KEY_SECRET: 'wrong-' + randomUUID() });
    const r = await applyOutcome(outcome(), { api: bad, store, deadlineMs: 3000 });
    assert.equal(r.status === 'rejected' && r.reason, 'auth_failed');
    assert.equal(r.attempts, 1);
    const check = await testConnection(bad);
    assert.equal(check.valid, false);
    assert.ok(!check.reason.includes(creds.cxone.accessKeySecret));
    assert.equal((await testConnection(createCxoneApi(config))).valid, true);
    const badClient = createCxoneApi({ ...config, CXONE_CLIENT_SECRET: 'nope' });
    const r2 = await applyOutcome(outcome(), { api: badClient, store, deadlineMs: 3000 });
    assert.equal(r2.status === 'rejected' && r2.reason, 'auth_failed');
  });

  test('429 with Retry-After is honoured; throttled twice then applied with attempts 3', async () => {
    const api = createCxoneApi(config);
    await api.checkToken();
    sb.addFault({ vendor: 'nice_cxone', operation: 'signal', status: 429, count: 2, retryAfterSeconds: 0 });
    const r = await applyOutcome(outcome(), { api, store, deadlineMs: 3000 });
    assert.equal(r.status === 'applied' && r.attempts, 3);
    sb.addFault({ vendor: 'nice_cxone', operation: 'signal', status: 429, count: 1, retryAfterSeconds: 5 });
    const t0 = Date.now();
    const late = await applyOutcome(outcome(), { api, store, deadlineMs: 1000 });
    assert.equal(late.status === 'rejected' && late.reason, 'deadline_exceeded');
    assert.ok(Date.now() - t0 < 500, 'gave up at once: Retry-After is beyond the deadline');
  });

  test('duplicate outcomeId: one signal; bad custom_data: nothing sent', async () => {
    const api = createCxoneApi(config);
    const o = outcome();
    await applyOutcome(o, { api, store, deadlineMs: 3000 });
    const d = await applyOutcome(o, { api, store, deadlineMs: 3000 });
    assert.equal(d.status === 'applied' && d.duplicate, true);
    assert.equal(sb.events().filter((e) => e.operation === 'signal').length, 1);
    sb.reset();
    const bad = await applyOutcome(outcome({ customData: { p1: 'mine' } }), { api, store, deadlineMs: 3000 });
    assert.equal(bad.status === 'rejected' && bad.reason, 'invalid_custom_data');
    assert.equal(sb.events().length, 0);
  });

  test('500s until the deadline: rejected deadline_exceeded in time', async () => {
    const api = createCxoneApi(config);
    await api.checkToken();
    sb.addFault({ vendor: 'nice_cxone', operation: 'signal', status: 500, count: 1000, delayMs: 10 });
    const t0 = Date.now();
    const r = await applyOutcome(outcome(), { api, store, deadlineMs: 400 });
    assert.equal(r.status === 'rejected' && r.reason, 'deadline_exceeded');
    assert.ok(Date.now() - t0 < 550, `took ${Date.now() - t0} ms`);
  });
});
