/**
 * "Test connection" (infra/test-connection.ts) against the sandboxes: valid with the right
 * credentials, invalid with the reason and without the secret otherwise; and the sandbox CLI
 * prints its ready line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { startSandboxes, type RunningSandboxes } from '../../dev/sandboxes/server.ts';
import { sandboxCredentialsFromEnv } from '../../dev/sandboxes/config.ts';
import { checkVendor } from '../../infra/test-connection.ts';

const instanceId = randomUUID();
let sb: RunningSandboxes;
before(async () => {
  sb = await startSandboxes({ port: 0, credentials: sandboxCredentialsFromEnv({ SANDBOX_CONNECT_INSTANCE_IDS: instanceId, SANDBOX_AWS_ACCESS_KEY_ID: 'AKIAFAKETESTCONN' }) });
});
after(async () => sb?.stop());

test('amazon_connect: DescribeInstance valid; wrong key id or instance invalid', async () => {
  const env = { AWS_REGION: 'us-east-1', AMAZON_CONNECT_ENDPOINT: sb.url, AMAZON_CONNECT_INSTANCE_ID: instanceId };
  const withKey = (id: string) => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: randomUUID() });
  };
  const saved = { a: process.env.AWS_ACCESS_KEY_ID, s: process.env.AWS_SECRET_ACCESS_KEY };
  try {
    withKey('AKIAFAKETESTCONN');
    assert.deepEqual(await checkVendor('amazon_connect', env), { vendor: 'amazon_connect', valid: true, reason: `instance ${instanceId} is ACTIVE` });
    assert.equal((await checkVendor('amazon_connect', { ...env, AMAZON_CONNECT_INSTANCE_ID: 'other' })).valid, false);
    withKey('AKIAWRONG');
    const bad = await checkVendor('amazon_connect', env);
    assert.equal(bad.valid, false);
    assert.match(bad.reason, /credentials refused/);
  } finally {
    for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.a], ['AWS_SECRET_ACCESS_KEY', saved.s]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('nice_cxone: token valid; wrong secret invalid and not echoed', async () => {
  const c = sb.credentials.cxone;
  const env = { CXONE_ISSUER_URL: sb.url, CXONE_CLIENT_ID: c.clientId, CXONE_CLIENT_SECRET: c.clientSecret, CXONE_ACCESS_KEY_ID: c.accessKeyId, CXONE_ACCESS_KEY_SECRET: c.accessKeySecret };
  assert.equal((await checkVendor('nice_cxone', env)).valid, true);
  const wrong = `wrong-${randomUUID()}`;
  const bad = await checkVendor('nice_cxone', { ...env, CXONE_ACCESS_KEY_SECRET: wrong });
  assert.equal(bad.valid, false);
  assert.ok(!bad.reason.includes(wrong) && !bad.reason.includes(c.clientSecret), bad.reason);
});

test('dev/sandboxes/main.ts prints a ready line with the URL and no secrets', async () => {
  const secret = `fake-${randomUUID()}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev/sandboxes/main.ts'], { env: { ...process.env, SANDBOX_PORT: '0', SANDBOX_CXONE_ACCESS_KEY_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 20_000);
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) (clearTimeout(t), resolve(out));
      });
    });
    assert.match(line, /^sandboxes ready \{/);
    const ready = JSON.parse(line.slice('sandboxes ready '.length)) as { url: string };
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(!line.includes(secret));
    assert.equal((await fetch(`${ready.url}/_sandbox/health`)).status, 200);
  } finally {
    child.kill('SIGTERM');
  }
});
