import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createTwilioSandbox, type TwilioSandbox } from '../../dev/sandboxes/twilio.ts';
import type { FaultRule, SandboxContext, SandboxEvent } from '../../dev/sandboxes/types.ts';
import { createTwilioClient } from '../../adapters/twilio/client.ts';
import { sendSms, SmsValidationError } from '../../adapters/twilio/sms.ts';
import { testConnection } from '../../adapters/twilio/test-connection.ts';
import { TwilioApiError } from '../../adapters/twilio/errors.ts';
import { loadTwilioRestConfig } from '../../adapters/twilio/config.ts';
import { ConfigError } from '../../lib/env.ts';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = `fake-${randomBytes(8).toString('hex')}`;
const FROM = '+15550100009';
const TO = '+15550100001';

let server: Server;
let baseUrl: string;
let sandbox: TwilioSandbox;
const events: SandboxEvent[] = [];
const faults: FaultRule[] = [];

before(async () => {
  sandbox = createTwilioSandbox({ accountSid, authToken });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const ctx: SandboxContext = {
        baseUrl,
        record: (e) => events.push({ ...e, seq: events.length + 1, at: new Date().toISOString() }),
        takeFault: (vendor, operation) => {
          const i = faults.findIndex((f) => f.vendor === vendor && (!f.operation || f.operation === operation));
          if (i === -1) return undefined;
          const f = faults[i]!;
          if ((f.count ?? 1) <= 1) faults.splice(i, 1);
          else f.count = (f.count ?? 1) - 1;
          return f;
        },
      };
      if (!(await sandbox.handle(req, res, Buffer.concat(chunks), ctx))) {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const client = (token = authToken, sid = accountSid) => createTwilioClient({ accountSid: sid, authToken: token, baseUrl, deadlineMs: 2000 });

async function rejects(p: Promise<unknown>, status: number, code: number) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TwilioApiError, String(e));
    assert.equal(e.status, status);
    assert.equal(e.code, code);
    assert.match(e.message, new RegExp(`code ${code}`));
    return true;
  });
}

describe('SMS through the Twilio sandbox', () => {
  test('sends To/From/Body/MediaUrl with HTTP Basic; the sandbox records them', async () => {
    const m = await sendSms(client(), { to: TO, from: FROM, body: 'Your address, please.', mediaUrls: ['https://example.com/a.png', 'https://example.com/b.png'] });
    assert.match(m.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(m.status, 'queued');
    assert.equal(m.num_media, '2');
    const last = sandbox.messages.at(-1)!;
    assert.deepEqual(last.mediaUrls, ['https://example.com/a.png', 'https://example.com/b.png']);
    assert.equal(last.body, 'Your address, please.');
    const ev = events.at(-1)!;
    assert.equal(ev.operation, 'Messages.create');
    assert.equal(ev.status, 201);
    assert.ok(!JSON.stringify(ev).includes(authToken), 'token not recorded');
  });

  test('MessagingServiceSid instead of From', async () => {
    const m = await sendSms(client(), { to: TO, messagingServiceSid: `MG${'a'.repeat(32)}`, body: 'hi' });
    assert.equal(m.status, 'accepted');
  });

  test('a 1600-character body passes; 1601 is refused locally and by the sandbox', async () => {
    await sendSms(client(), { to: TO, from: FROM, body: 'x'.repeat(1600) });
    await assert.rejects(sendSms(client(), { to: TO, from: FROM, body: 'x'.repeat(1601) }), SmsValidationError);
    await rejects(client().createMessage({ To: TO, From: FROM, Body: 'x'.repeat(1601) }), 400, 21617);
  });

  test('local validation: To, From/MessagingServiceSid, Body/MediaUrl', async () => {
    await assert.rejects(sendSms(client(), { to: '', from: FROM, body: 'x' }), /To is required/);
    await assert.rejects(sendSms(client(), { to: TO, body: 'x' }), /From or MessagingServiceSid/);
    await assert.rejects(sendSms(client(), { to: TO, from: FROM }), /Body or MediaUrl/);
    await assert.rejects(sendSms(client(), { to: TO, from: FROM, mediaUrls: ['ftp://x'] }), /http/);
  });

  test("Twilio's rejections surface with code and message", async () => {
    await rejects(client().createMessage({ To: '', From: FROM, Body: 'x' }), 400, 21604);
    await rejects(client().createMessage({ To: TO, Body: 'x' }), 400, 21603);
    await rejects(client().createMessage({ To: TO, From: FROM }), 400, 21602);
    await rejects(sendSms(client(), { to: '12345', from: FROM, body: 'x' }), 400, 21211);
    await rejects(sendSms(client('wrong-token'), { to: TO, from: FROM, body: 'x' }), 401, 20003);
    await rejects(sendSms(client(authToken, `AC${'0'.repeat(32)}`), { to: TO, from: FROM, body: 'x' }), 401, 20003);
  });

  test('429 and 500 are retried within the deadline; 400 is not', async () => {
    const before = sandbox.messages.length;
    faults.push({ vendor: 'twilio', operation: 'Messages.create', status: 429, count: 2, retryAfterSeconds: 0 });
    await sendSms(client(), { to: TO, from: FROM, body: 'after throttling' });
    assert.equal(sandbox.messages.length, before + 1);
    const n = events.length;
    await rejects(client().createMessage({ To: TO, From: FROM }), 400, 21602);
    assert.equal(events.length, n + 1, 'one attempt only');
  });

  test('no Basic auth at all -> 401 Authenticate', async () => {
    const r = await fetch(`${baseUrl}/2010-04-01/Accounts/${accountSid}/Messages.json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'To=%2B15550100001&From=%2B15550100009&Body=x' });
    assert.equal(r.status, 401);
    assert.deepEqual(await r.json(), { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
  });
});

describe('test connection', () => {
  test('valid credentials -> valid', async () => {
    const c = await testConnection(client());
    assert.equal(c.valid, true);
    assert.match(c.reason, /active/);
  });
  test('wrong token -> invalid with the reason, no token in it', async () => {
    const c = await testConnection(client('nope-token'));
    assert.equal(c.valid, false);
    assert.match(c.reason, /20003/);
    assert.ok(!c.reason.includes('nope-token'));
  });
  test('unreachable API -> invalid, no throw', async () => {
    const c = await testConnection(createTwilioClient({ accountSid, authToken, baseUrl: 'http://127.0.0.1:9', deadlineMs: 300 }));
    assert.equal(c.valid, false);
  });
});

describe('REST config', () => {
  test('names the offending variables', () => {
    assert.throws(() => loadTwilioRestConfig({ TWILIO_ACCOUNT_SID: 'XX1', TWILIO_AUTH_TOKEN: 't' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('TWILIO_ACCOUNT_SID'));
    assert.throws(() => loadTwilioRestConfig({ TWILIO_ACCOUNT_SID: accountSid }), (e: unknown) => e instanceof ConfigError && /TWILIO_AUTH_TOKEN/.test(e.message));
    assert.throws(() => loadTwilioRestConfig({ TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: 't', TWILIO_API_BASE_URL: 'nope' }), /TWILIO_API_BASE_URL/);
    assert.equal(loadTwilioRestConfig({ TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: 't' }).apiBaseUrl, 'https://api.twilio.com');
  });
});
