import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { offlinePorts, startOffline, type Offline } from '../helpers/offline.ts';
import { voiceParams } from '../../events/twilio/webhook-event.ts';

const token = `fake-${randomBytes(8).toString('hex')}`;
const STUDIO = 'https://webhooks.twilio.com/v1/Accounts/AC00000000000000000000000000000000/Flows/FW00000000000000000000000000000000';

describe('Twilio webhooks under serverless offline (real esbuild bundles)', { timeout: 90_000 }, () => {
  let off: Offline;

  before(async () => {
    const ports = await offlinePorts();
    off = await startOffline({
      ...ports,
      env: {
        PUBLIC_BASE_URL: ports.httpUrl,
        TWILIO_AUTH_TOKEN: token,
        MEDIA_CORE_SIP_HOST: 'media.example.com',
        STUDIO_FLOW_WEBHOOK_URL: STUDIO,
        LOG_LEVEL: 'silent',
      },
    });
  });
  after(async () => {
    await off?.stop();
  });

  const post = (path: string, params: Record<string, string>, signWith?: string) => {
    const url = `${off.httpUrl}${path}`;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (signWith) headers['x-twilio-signature'] = getExpectedTwilioSignature(signWith, url, params);
    return fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  };

  test('signed receive-call -> 200 TwiML Dial/Sip', async () => {
    const r = await post('/twilio/receive-call', voiceParams(), token);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/xml/);
    const body = await r.text();
    assert.match(body, /<Dial answerOnBridge="true" referUrl="http:\/\/127\.0\.0\.1:\d+\/twilio\/refer-handler"><Sip>sip:\+15550100002@media\.example\.com;secure=true<\/Sip><\/Dial>/);
  });

  test('forged receive-call -> 403', async () => {
    const r = await post('/twilio/receive-call', voiceParams(), `fake-${randomBytes(8).toString('hex')}`);
    assert.equal(r.status, 403);
    assert.doesNotMatch(await r.text(), /Dial/);
  });

  test('unsigned receive-call -> 403', async () => {
    assert.equal((await post('/twilio/receive-call', voiceParams())).status, 403);
  });

  test('signed refer-handler -> Redirect to Studio with the key', async () => {
    const r = await post('/twilio/refer-handler', voiceParams({ ReferTransferTarget: '<sip:queue@flex.twilio.com?X-Watson-Assistant-Session-History-Key=e2e-key>' }), token);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), `<?xml version="1.0" encoding="UTF-8"?><Response><Redirect method="POST">${STUDIO}?FlowEvent=return&amp;SessionHistoryKey=e2e-key</Redirect></Response>`);
  });
});
