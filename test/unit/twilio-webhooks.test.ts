import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash, createHmac } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { createReceiveCallHandler } from '../../functions/twilio/receive-call.ts';
import { createReferHandler } from '../../functions/twilio/refer-handler.ts';
import { twilioWebhookEvent, voiceParams, SAMPLE_PUBLIC_BASE_URL } from '../../events/twilio/webhook-event.ts';
import { isValidTwilioSignature } from '../../adapters/twilio/signature.ts';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';

const token = () => `fake-${randomBytes(8).toString('hex')}`;
const ctx = {} as Context;
const RC = '/twilio/receive-call';
const RH = '/twilio/refer-handler';
const STUDIO = 'https://webhooks.twilio.com/v1/Accounts/AC00000000000000000000000000000000/Flows/FW00000000000000000000000000000000';

function receiveCall(authToken: string, env: Record<string, string> = {}) {
  return createReceiveCallHandler({
    env: { PUBLIC_BASE_URL: SAMPLE_PUBLIC_BASE_URL, MEDIA_CORE_SIP_HOST: 'media.example.com', TWILIO_AUTH_TOKEN: authToken, ...env },
  });
}
function referHandler(authToken: string) {
  return createReferHandler({ env: { PUBLIC_BASE_URL: SAMPLE_PUBLIC_BASE_URL, STUDIO_FLOW_WEBHOOK_URL: STUDIO, TWILIO_AUTH_TOKEN: authToken } });
}

describe('receive-call signature', () => {
  const t = token();
  const h = receiveCall(t);

  test('valid signature -> TwiML Dial/Sip with answerOnBridge and referUrl', async () => {
    const r = await h(twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: t }), ctx);
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers?.['content-type']), /^text\/xml/);
    assert.equal(
      r.body,
      '<?xml version="1.0" encoding="UTF-8"?><Response><Dial answerOnBridge="true" referUrl="https://example.execute-api.us-east-1.amazonaws.com/twilio/refer-handler">' +
        '<Sip>sip:+15550100002@media.example.com;secure=true</Sip></Dial></Response>',
    );
  });

  test('forged signature (other token) -> 403', async () => {
    const r = await h(twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: token() }), ctx);
    assert.equal(r.statusCode, 403);
    assert.doesNotMatch(String(r.body), /Dial/);
  });

  test('tampered parameter after signing -> 403', async () => {
    const ev = twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: t });
    ev.body = String(ev.body).replace('%2B15550100002', '%2B15550109999');
    assert.equal((await h(ev, ctx)).statusCode, 403);
  });

  test('missing signature -> 403', async () => {
    const r = await h(twilioWebhookEvent({ path: RC, params: voiceParams() }), ctx);
    assert.equal(r.statusCode, 403);
  });

  test('base64 body (API Gateway) is decoded before validation', async () => {
    const r = await h(twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: t, base64: true }), ctx);
    assert.equal(r.statusCode, 200);
    assert.match(String(r.body), /<Sip>sip:\+15550100002@media\.example\.com;secure=true<\/Sip>/);
  });

  test('signature over the public URL passes even though the Host is internal', async () => {
    const r = await h(twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: t, host: '127.0.0.1:3000' }), ctx);
    assert.equal(r.statusCode, 200);
  });

  test('signature over the internal URL is rejected', async () => {
    const r = await h(
      twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: t, host: '127.0.0.1:3000', signedUrl: `http://127.0.0.1:3000${RC}` }),
      ctx,
    );
    assert.equal(r.statusCode, 403);
  });

  test('query string is part of the signed URL', async () => {
    const ok = await h(twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: t, rawQueryString: 'tenant=a%20b' }), ctx);
    assert.equal(ok.statusCode, 200);
    const ev = twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: t, rawQueryString: 'tenant=a%20b' });
    ev.rawQueryString = 'tenant=other';
    assert.equal((await h(ev, ctx)).statusCode, 403);
  });

  test('PUBLIC_BASE_URL with a base path (custom domain mapping) is honoured', async () => {
    const h2 = receiveCall(t, { PUBLIC_BASE_URL: 'https://voice.example.com/prod/' });
    const r = await h2(twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: t, publicBaseUrl: 'https://voice.example.com/prod' }), ctx);
    assert.equal(r.statusCode, 200);
    assert.match(String(r.body), /referUrl="https:\/\/voice\.example\.com\/prod\/twilio\/refer-handler"/);
  });
});

describe('JSON-body webhooks (bodySHA256)', () => {
  test('validateRequestWithBody: URL signature plus body hash', () => {
    const t = token();
    const body = JSON.stringify({ hello: 'world' });
    const url = `${SAMPLE_PUBLIC_BASE_URL}/hook?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
    const signature = createHmac('sha1', t).update(url).digest('base64');
    assert.equal(isValidTwilioSignature(t, { url, signature, rawBody: body, contentType: 'application/json' }), true);
    assert.equal(isValidTwilioSignature(t, { url, signature, rawBody: body.replace('world', 'WORLD'), contentType: 'application/json' }), false);
  });
});

describe('receive-call Called and SIP URI', () => {
  const t = token();
  const call = (h: ReturnType<typeof receiveCall>, Called: string) => h(twilioWebhookEvent({ path: RC, params: voiceParams({ Called }), authToken: t }), ctx);

  test('E.164 and SIP user parts are accepted', async () => {
    const h = receiveCall(t);
    for (const called of ['+442071838750', 'alice', 'queue.main-1', 'a%40b', "o'neil"]) {
      const r = await call(h, called);
      assert.equal(r.statusCode, 200, called);
      assert.match(String(r.body), /@media\.example\.com;secure=true<\/Sip>/, called);
      if (/^[\w+.-]+$/.test(called)) assert.ok(String(r.body).includes(`<Sip>sip:${called}@media.example.com;secure=true</Sip>`), called);
    }
  });

  test('a Called that is neither E.164 nor a SIP user -> 400', async () => {
    const h = receiveCall(t);
    for (const called of ['', 'alice smith', 'sip:alice@x', '<x>', 'a%zz', 'ali"ce']) {
      const r = await call(h, called);
      assert.equal(r.statusCode, 400, JSON.stringify(called));
      assert.doesNotMatch(String(r.body), /<Response>/);
    }
  });

  test('a URI over 255 characters -> 400 with a clear message, no TwiML', async () => {
    const r = await call(receiveCall(t), 'a'.repeat(240));
    assert.equal(r.statusCode, 400);
    assert.match(String(r.body), /at most 255/);
  });

  test('a URI of exactly 255 characters passes', async () => {
    const fixed = 'sip:@media.example.com;secure=true'.length;
    const r = await call(receiveCall(t), 'b'.repeat(255 - fixed));
    assert.equal(r.statusCode, 200);
  });

  test('SIP_SECURE=false uses ;transport from SIP_TRANSPORT (default tcp)', async () => {
    const udp = await call(receiveCall(t, { SIP_SECURE: 'false', SIP_TRANSPORT: 'udp', MEDIA_CORE_SIP_HOST: '192.0.2.5:5080' }), '+15550100002');
    assert.match(String(udp.body), /<Sip>sip:\+15550100002@192\.0\.2\.5:5080;transport=udp<\/Sip>/);
    const tcp = await call(receiveCall(t, { SIP_SECURE: 'false' }), '+15550100002');
    assert.match(String(tcp.body), /;transport=tcp<\/Sip>/);
    assert.doesNotMatch(String(tcp.body), /secure=true/);
  });
});

describe('refer-handler', () => {
  const t = token();
  const h = referHandler(t);
  const refer = (target?: string, authToken = t) =>
    h(twilioWebhookEvent({ path: RH, params: voiceParams(target === undefined ? {} : { ReferTransferTarget: target }), authToken }), ctx);

  test('key from the Refer-To header -> Redirect POST to Studio with FlowEvent and SessionHistoryKey', async () => {
    const r = await refer('<sip:queue@flex.twilio.com?X-Watson-Assistant-Session-History-Key=abc-123>');
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, `<?xml version="1.0" encoding="UTF-8"?><Response><Redirect method="POST">${STUDIO}?FlowEvent=return&amp;SessionHistoryKey=abc-123</Redirect></Response>`);
  });

  test('no key -> no SessionHistoryKey parameter', async () => {
    const r = await refer('sip:queue@flex.twilio.com');
    assert.equal(r.statusCode, 200);
    assert.match(String(r.body), /FlowEvent=return<\/Redirect>/);
    assert.doesNotMatch(String(r.body), /SessionHistoryKey/);
  });

  test('missing ReferTransferTarget -> 400', async () => {
    const r = await refer(undefined);
    assert.equal(r.statusCode, 400);
    assert.match(String(r.body), /ReferTransferTarget/);
  });

  test('forged and missing signatures -> 403', async () => {
    assert.equal((await refer('sip:queue@flex.twilio.com', token())).statusCode, 403);
    const r = await h(twilioWebhookEvent({ path: RH, params: voiceParams({ ReferTransferTarget: 'sip:q@x' }) }), ctx);
    assert.equal(r.statusCode, 403);
  });

  test('non-form content type with a valid URL-only signature -> 415', async () => {
    const ev = twilioWebhookEvent({ path: RH, params: {}, signature: getExpectedTwilioSignature(t, `${SAMPLE_PUBLIC_BASE_URL}${RH}`, {}) });
    ev.headers['Content-Type'] = 'text/plain';
    ev.body = 'ReferTransferTarget=sip:q@x';
    const r = await h(ev, ctx);
    assert.equal(r.statusCode, 415);
  });
});

describe('configuration', () => {
  const event = () => twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: 'x' });

  test('missing variables -> 500, and the log names them, nothing else runs', async () => {
    const lines: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    const prev = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'info';
    (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => (lines.push(String(s)), true);
    try {
      const h = createReceiveCallHandler({ env: { TWILIO_AUTH_TOKEN: 'x' } });
      const r = await h(event(), ctx);
      assert.equal(r.statusCode, 500);
      assert.doesNotMatch(String(r.body), /Dial/);
    } finally {
      (process.stdout as unknown as { write: typeof original }).write = original;
      if (prev === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = prev;
    }
    const logged = lines.join('');
    assert.match(logged, /PUBLIC_BASE_URL/);
    assert.match(logged, /MEDIA_CORE_SIP_HOST/);
  });

  test('auth token from SSM parameter when TWILIO_AUTH_TOKEN is unset; env wins when set', async () => {
    const t = token();
    const asked: string[] = [];
    const fetchParameter = async (name: string) => (asked.push(name), t);
    const env = { PUBLIC_BASE_URL: SAMPLE_PUBLIC_BASE_URL, MEDIA_CORE_SIP_HOST: 'media.example.com', TWILIO_AUTH_TOKEN_PARAM: '/svc/dev/twilio/auth-token' };
    const h = createReceiveCallHandler({ env, fetchParameter });
    const ev = () => twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: t });
    assert.equal((await h(ev(), ctx)).statusCode, 200);
    assert.equal((await h(ev(), ctx)).statusCode, 200);
    assert.deepEqual(asked, ['/svc/dev/twilio/auth-token'], 'fetched once per container');

    const other = token();
    const h2 = createReceiveCallHandler({ env: { ...env, TWILIO_AUTH_TOKEN: other }, fetchParameter });
    assert.equal((await h2(twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: other }), ctx)).statusCode, 200);
    assert.equal(asked.length, 1);
  });

  test('SSM failure -> 500, retried on the next request', async () => {
    const t = token();
    let calls = 0;
    const fetchParameter = async () => {
      if (++calls === 1) throw new Error('ThrottlingException');
      return t;
    };
    const h = createReceiveCallHandler({
      env: { PUBLIC_BASE_URL: SAMPLE_PUBLIC_BASE_URL, MEDIA_CORE_SIP_HOST: 'media.example.com', TWILIO_AUTH_TOKEN_PARAM: '/p' },
      fetchParameter,
    });
    const ev = () => twilioWebhookEvent({ path: RC, params: voiceParams(), authToken: t });
    assert.equal((await h(ev(), ctx)).statusCode, 500);
    assert.equal((await h(ev(), ctx)).statusCode, 200);
  });
});
