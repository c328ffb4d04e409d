/**
 * The contact-center sandboxes themselves: strict request rules (SigV4, attribute keys,
 * 32 KB merged limit, unknown instance, token grant and client credentials, bearer expiry),
 * the event log, fault injection and reset.
 */
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ConnectClient, UpdateContactAttributesCommand } from '@aws-sdk/client-connect';
import { startSandboxes, type RunningSandboxes } from '../../dev/sandboxes/server.ts';
import { sandboxCredentialsFromEnv, type SandboxCredentials } from '../../dev/sandboxes/config.ts';

const instanceId = randomUUID();
let sb: RunningSandboxes;
let creds: SandboxCredentials;
let connect: ConnectClient;

before(async () => {
  creds = sandboxCredentialsFromEnv({ SANDBOX_CONNECT_INSTANCE_IDS: instanceId });
  sb = await startSandboxes({ port: 0, credentials: creds });
  connect = new ConnectClient({ region: 'us-east-1', endpoint: sb.url, maxAttempts: 1, credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: randomUUID() } });
});
after(async () => sb?.stop());
beforeEach(() => sb.reset());

const update = (InitialContactId: string, Attributes: Record<string, string>) => connect.send(new UpdateContactAttributesCommand({ InstanceId: instanceId, InitialContactId, Attributes }));
const errName = async (p: Promise<unknown>) => p.then(() => 'ok', (e: { name: string; $metadata?: { httpStatusCode?: number } }) => `${e.name}:${e.$metadata?.httpStatusCode}`);

describe('Amazon Connect sandbox', () => {
  test('enforces key rules, string values, InitialContactId length and the merged 32,768-byte limit', async () => {
    assert.equal(await errName(update('c1', { 'bad key': 'v' })), 'InvalidParameterException:400');
    assert.equal(await errName(update('x'.repeat(257), { a: 'v' })), 'InvalidParameterException:400');
    assert.equal(await errName(update('c1', { a: 'x'.repeat(20_000) })), 'ok');
    // The contact's attributes merge: a second 20 KB attribute takes it over the limit.
    assert.equal(await errName(update('c1', { b: 'x'.repeat(20_000) })), 'InvalidParameterException:400');
    assert.equal(await errName(connect.send(new UpdateContactAttributesCommand({ InstanceId: 'unknown', InitialContactId: 'c1', Attributes: {} }))), 'ResourceNotFoundException:404');
    const view = (await (await fetch(`${sb.url}/_sandbox/connect/contacts/c1`)).json()) as { attributes: Record<string, string>; flowBranch: string };
    assert.deepEqual(Object.keys(view.attributes), ['a']);
    assert.equal(view.flowBranch, 'error_path');
  });

  test('malformed or missing SigV4 is 403 with x-amzn-ErrorType', async () => {
    const bad = await fetch(`${sb.url}/contact/attributes`, { method: 'POST', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00' }, body: '{}' });
    assert.equal(bad.status, 403);
    assert.match(bad.headers.get('x-amzn-errortype') ?? '', /^InvalidSignatureException/);
    const ev = sb.events();
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.status, 403);
  });

  test('faults: 429 then normal; events are in order with decoded params', async () => {
    const r = await fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ vendor: 'amazon_connect', status: 429, count: 1 }) });
    assert.equal(r.status, 200);
    assert.equal(await errName(update('c2', { k: 'v' })), 'ThrottlingException:429');
    assert.equal(await errName(update('c2', { k: 'v' })), 'ok');
    const events = (await (await fetch(`${sb.url}/_sandbox/events`)).json()) as { seq: number; status: number; params: { Attributes?: unknown } }[];
    assert.deepEqual(events.map((e) => e.status), [429, 200]);
    assert.ok(events[0]!.seq < events[1]!.seq);
    assert.deepEqual(events[1]!.params.Attributes, { k: 'v' });
    const bad = await fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ vendor: 'nobody', status: 429 }) });
    assert.equal(bad.status, 400);
  });
});

describe('NICE CXone sandbox', () => {
  const token = (basic: string, form: Record<string, string>) =>
    fetch(`${sb.url}/auth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(basic).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });

  test('token: client credentials and the access key are checked; the id_token carries iss and tenantId', async () => {
    const good = { grant_type: 'password', username: creds.cxone.accessKeyId, password: creds.cxone.accessKeySecret };
    assert.equal((await token('x:y', good)).status, 401);
    assert.equal((await token(`${creds.cxone.clientId}:${creds.cxone.clientSecret}`, { ...good, password: 'wrong' })).status, 400);
    assert.equal((await token(`${creds.cxone.clientId}:${creds.cxone.clientSecret}`, { ...good, grant_type: 'client_credentials' })).status, 400);
    const ok = await token(`${creds.cxone.clientId}:${creds.cxone.clientSecret}`, good);
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { access_token: string; id_token: string; expires_in: number };
    const claims = JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.iss, sb.url);
    assert.equal(claims.tenantId, creds.cxone.tenantId);
    assert.ok(!JSON.stringify(sb.events()).includes(creds.cxone.accessKeySecret), 'the secret is never recorded');
    const signal = (t: string) => fetch(`${sb.url}/inContactAPI/services/v31.0/interactions/123/signal?p1=hangup`, { method: 'POST', headers: { authorization: `Bearer ${t}` } });
    assert.equal((await signal(body.access_token)).status, 202);
    assert.equal((await signal('forged')).status, 401);
    await fetch(`${sb.url}/_sandbox/cxone/expire-tokens`, { method: 'POST' });
    assert.equal((await signal(body.access_token)).status, 401);
    const view = (await (await fetch(`${sb.url}/_sandbox/cxone/contacts/123`)).json()) as { branch: string; signals: unknown[] };
    assert.deepEqual(view, { contactId: '123', signals: [{ p1: 'hangup' }], branch: 'hangup' });
  });

  test('a short real token lifetime expires tokens on its own', async () => {
    const short = await startSandboxes({ port: 0, credentials: sandboxCredentialsFromEnv({ SANDBOX_CXONE_TOKEN_LIFETIME_S: '0.2', SANDBOX_CXONE_EXPIRES_IN_S: '3600' }) });
    try {
      const c = short.credentials.cxone;
      const r = await fetch(`${short.url}/auth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}` }, body: new URLSearchParams({ grant_type: 'password', username: c.accessKeyId, password: c.accessKeySecret }) });
      const { access_token, expires_in } = (await r.json()) as { access_token: string; expires_in: number };
      assert.equal(expires_in, 3600);
      await new Promise((res) => setTimeout(res, 300));
      const s = await fetch(`${short.url}/inContactAPI/services/v31.0/interactions/1/signal`, { method: 'POST', headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(s.status, 401);
    } finally {
      await short.stop();
    }
  });

  test('reset clears events; unknown paths are 404', async () => {
    await fetch(`${sb.url}/.well-known/openid-configuration`);
    assert.equal(sb.events().length, 1);
    await fetch(`${sb.url}/_sandbox/reset`, { method: 'POST' });
    assert.equal(sb.events().length, 0);
    assert.equal((await fetch(`${sb.url}/nothing/here`)).status, 404);
  });
});
