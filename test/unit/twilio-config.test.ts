import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { loadReceiveCallConfig, loadReferHandlerConfig } from '../../adapters/twilio/config.ts';
import { resolveAuthToken, fetchSsmParameter } from '../../adapters/twilio/auth-token.ts';
import { ConfigError } from '../../lib/env.ts';

const names = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.variables;
  }
  assert.fail('no ConfigError');
};

describe('Twilio webhook configuration', () => {
  test('missing variables are named', () => {
    assert.deepEqual(names(() => loadReceiveCallConfig({})).sort(), ['MEDIA_CORE_SIP_HOST', 'PUBLIC_BASE_URL']);
    assert.deepEqual(names(() => loadReferHandlerConfig({ PUBLIC_BASE_URL: 'https://a.example' })), ['STUDIO_FLOW_WEBHOOK_URL']);
  });

  test('malformed values are named with the rule broken', () => {
    const base = { PUBLIC_BASE_URL: 'https://a.example', MEDIA_CORE_SIP_HOST: 'sip.example.com', TWILIO_AUTH_TOKEN: 't' };
    for (const [k, v, rule] of [
      ['PUBLIC_BASE_URL', 'a.example', /http\(s\) URL/],
      ['MEDIA_CORE_SIP_HOST', 'sip host', /SIP host/],
      ['SIP_SECURE', 'yes', /true or false/],
      ['SIP_TRANSPORT', 'tls', /tcp or udp/],
      ['TWILIO_AUTH_TOKEN_PARAM', 'bad name!', /SSM parameter/],
    ] as const) {
      assert.throws(() => loadReceiveCallConfig({ ...base, [k]: v }), (e: unknown) => e instanceof ConfigError && e.variables.includes(k) && rule.test(e.message), k);
    }
  });

  test('no token and no parameter name -> both variables named', () => {
    const vars = names(() => loadReferHandlerConfig({ PUBLIC_BASE_URL: 'https://a.example', STUDIO_FLOW_WEBHOOK_URL: 'https://s.example/f' }));
    assert.deepEqual(vars, ['TWILIO_AUTH_TOKEN', 'TWILIO_AUTH_TOKEN_PARAM']);
  });

  test('defaults: secure, tcp, referUrl from PUBLIC_BASE_URL (trailing slash trimmed); env token wins', () => {
    const c = loadReceiveCallConfig({ PUBLIC_BASE_URL: 'https://a.example/', MEDIA_CORE_SIP_HOST: '[2001:db8::1]:5061', TWILIO_AUTH_TOKEN: 't', TWILIO_AUTH_TOKEN_PARAM: '/p' });
    assert.deepEqual(c, {
      publicBaseUrl: 'https://a.example',
      sipHost: '[2001:db8::1]:5061',
      secure: true,
      transport: 'tcp',
      referUrl: 'https://a.example/twilio/refer-handler',
      authToken: { token: 't' },
    });
  });
});

describe('auth token from SSM (Powertools getParameter, decrypt) against a local SSM endpoint', () => {
  let server: Server;
  const token = `fake-${randomBytes(8).toString('hex')}`;
  const seen: Array<{ target: string; body: { Name?: string; WithDecryption?: boolean } }> = [];
  const saved: Record<string, string | undefined> = {};
  const envVars = { AWS_ENDPOINT_URL_SSM: '', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret', AWS_PROFILE: undefined as string | undefined };

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const parsed = JSON.parse(body || '{}');
        seen.push({ target: String(req.headers['x-amz-target']), body: parsed });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ Parameter: { Name: parsed.Name, Type: 'SecureString', Value: token, Version: 1 } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    envVars.AWS_ENDPOINT_URL_SSM = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    for (const [k, v] of Object.entries(envVars)) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('reads the SecureString with WithDecryption', async () => {
    const value = await resolveAuthToken({ parameterName: '/svc/dev/twilio/auth-token' }, fetchSsmParameter);
    assert.equal(value, token);
    assert.equal(seen[0]?.target, 'AmazonSSM.GetParameter');
    assert.deepEqual(seen[0]?.body, { Name: '/svc/dev/twilio/auth-token', WithDecryption: true });
  });

  test('an empty parameter names the variable, not the value', async () => {
    await assert.rejects(resolveAuthToken({ parameterName: '/p' }, async () => undefined), /TWILIO_AUTH_TOKEN_PARAM: SSM parameter \/p/);
  });
});
