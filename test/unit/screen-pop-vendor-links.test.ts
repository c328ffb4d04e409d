/**
 * Signed screen-pop links for the two vendors whose agents used to get the unsigned
 * `?session_history_key=` link (403 since links are signed): Twilio Flex (the refer-handler
 * passes ScreenPopUrl to the Studio flow) and NICE CXone (POST /nice-cxone/screen-pop-link,
 * the script's REST action). Every secret and API key is generated per run.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import { verifyViewToken, agentPageUrl } from '../../adapters/agent-view/link.ts';
import { studioRedirectTwiml } from '../../adapters/twilio/studio-redirect.ts';
import { screenPopLinkForRequest } from '../../adapters/nice-cxone/screen-pop-link.ts';
import { twilioWebhookEvent, voiceParams, SAMPLE_PUBLIC_BASE_URL } from '../../events/twilio/webhook-event.ts';
import { createReferHandler, type ReferHandlerDeps } from '../../functions/twilio/refer-handler.ts';

const KEY = 'q3VdT1xO8mC0rJvY2kQm9A';
const STUDIO = 'https://webhooks.twilio.com/v1/Accounts/AC00000000000000000000000000000000/Flows/FW00000000000000000000000000000000';
const ctx = {} as Context;
const fake = (n = 32) => randomBytes(n).toString('base64url');

describe('Twilio Flex: the refer-handler hands the Studio flow a signed ScreenPopUrl', () => {
  const authToken = `fake-${randomBytes(8).toString('hex')}`;
  const secret = fake();
  const handler = (env: Record<string, string>, deps: Omit<ReferHandlerDeps, 'env'> = {}) =>
    createReferHandler({ env: { PUBLIC_BASE_URL: SAMPLE_PUBLIC_BASE_URL, STUDIO_FLOW_WEBHOOK_URL: STUDIO, TWILIO_AUTH_TOKEN: authToken, ...env }, readAgentMessage: async () => undefined, ...deps });
  const refer = (target = `<sip:queue@flex.twilio.com?X-Watson-Assistant-Session-History-Key=${KEY}>`) =>
    twilioWebhookEvent({ path: '/twilio/refer-handler', params: voiceParams({ ReferTransferTarget: target }), authToken });
  const redirectUrl = (r: APIGatewayProxyStructuredResultV2) => new URL(/<Redirect method="POST">([^<]+)<\/Redirect>/.exec(String(r.body))![1]!.replace(/&amp;/g, '&'));

  test('ScreenPopUrl: PUBLIC_BASE_URL/agent?view=<token> that verifies for the key, valid SCREEN_POP_LINK_TTL_SECONDS after the transfer', async () => {
    const now = Date.now();
    const r = await handler({ SCREEN_POP_SECRET: secret, SCREEN_POP_LINK_TTL_SECONDS: '900' }, { now: () => now })(refer(), ctx);
    assert.equal(r.statusCode, 200, String(r.body));
    const url = redirectUrl(r);
    assert.equal(url.searchParams.get('SessionHistoryKey'), KEY);
    const link = new URL(url.searchParams.get('ScreenPopUrl') ?? 'x:');
    assert.equal(`${link.origin}${link.pathname}`, `${SAMPLE_PUBLIC_BASE_URL}/agent`);
    assert.equal(link.searchParams.get('session_history_key'), null, 'no unsigned link');
    const check = verifyViewToken(link.searchParams.get('view') ?? '', secret, now);
    assert.ok(check.ok && check.key === KEY, JSON.stringify(check));
    assert.equal(check.ok && check.expiresAt, Math.floor(now / 1000) + 900);
    assert.equal(verifyViewToken(link.searchParams.get('view') ?? '', fake(), now).ok, false, 'signed with the configured secret only');
  });

  test('AGENT_SCREEN_POP_BASE_URL wins; a page URL ending in /agent is not doubled', async () => {
    for (const base of ['https://agent.example.test/', 'http://127.0.0.1:3000/agent']) {
      const r = await handler({ SCREEN_POP_SECRET: secret, AGENT_SCREEN_POP_BASE_URL: base })(refer(), ctx);
      const link = new URL(redirectUrl(r).searchParams.get('ScreenPopUrl')!);
      assert.equal(`${link.origin}${link.pathname}`, agentPageUrl(base));
      assert.match(link.pathname, /^\/agent$/);
    }
  });

  test('the secret from SSM (SCREEN_POP_SECRET_PARAM) through the fetcher the auth token uses; read once per container', async () => {
    const asked: string[] = [];
    const h = handler({ SCREEN_POP_SECRET_PARAM: '/open-phone-integration/dev/screen-pop/link-secret' }, { fetchParameter: async (name) => (asked.push(name), secret) });
    for (let i = 0; i < 2; i++) {
      const link = new URL(redirectUrl(await h(refer(), ctx)).searchParams.get('ScreenPopUrl')!);
      assert.ok(verifyViewToken(link.searchParams.get('view')!, secret).ok);
    }
    assert.deepEqual(asked, ['/open-phone-integration/dev/screen-pop/link-secret']);
  });

  test('no secret configured, the secret unreadable or too short, or no key in the Refer-To: the redirect goes on without ScreenPopUrl', async () => {
    const none = await handler({})(refer(), ctx);
    assert.equal(none.statusCode, 200);
    assert.equal(redirectUrl(none).searchParams.get('ScreenPopUrl'), null);
    for (const fetchParameter of [async () => { throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' }); }, async () => 'short']) {
      const r = await handler({ SCREEN_POP_SECRET_PARAM: '/p/screen-pop' }, { fetchParameter })(refer(), ctx);
      assert.equal(r.statusCode, 200);
      assert.equal(redirectUrl(r).searchParams.get('SessionHistoryKey'), KEY);
      assert.equal(redirectUrl(r).searchParams.get('ScreenPopUrl'), null);
    }
    const noKey = await handler({ SCREEN_POP_SECRET: secret })(refer('<sip:queue@flex.twilio.com>'), ctx);
    assert.equal(noKey.statusCode, 200);
    assert.equal(redirectUrl(noKey).searchParams.get('ScreenPopUrl'), null);
  });

  test('the hand-built <Redirect> is the document twilio-node\'s VoiceResponse writes', () => {
    for (const extra of [{}, { messageToHumanAgent: 'a & b <c> \r d', screenPopUrl: `https://x.example/agent?view=${KEY}.1.sig` }]) {
      const v = new VoiceResponse();
      v.redirect({ method: 'POST' }, new URL(studioRedirectTwiml(STUDIO, KEY, extra).match(/>(https[^<]+)</)![1]!.replace(/&amp;/g, '&')).toString());
      assert.equal(studioRedirectTwiml(STUDIO, KEY, extra), v.toString());
    }
  });
});

describe('NICE CXone: POST /nice-cxone/screen-pop-link', () => {
  const apiKey = fake();
  const secret = fake();
  const settings = { apiKey, secret, pageUrl: 'https://api.example.test/agent', ttlSeconds: 3600 };

  test('the right API key and a session history key: 200 with a signed link that verifies', () => {
    const now = Date.now();
    const r = screenPopLinkForRequest({ apiKey, body: JSON.stringify({ sessionHistoryKey: KEY }) }, { ...settings, nowMs: now });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const b = r.body as { screenPopUrl: string; expiresAt: number };
    const link = new URL(b.screenPopUrl);
    assert.equal(`${link.origin}${link.pathname}`, settings.pageUrl);
    const check = verifyViewToken(link.searchParams.get('view')!, secret, now);
    assert.ok(check.ok && check.key === KEY && check.expiresAt === b.expiresAt, JSON.stringify(check));
    assert.equal(b.expiresAt, Math.floor(now / 1000) + 3600);
  });

  test('a missing or wrong API key: 403, whatever the body', () => {
    for (const k of [undefined, '', fake(), apiKey.slice(1), `${apiKey} `]) {
      for (const body of [JSON.stringify({ sessionHistoryKey: KEY }), 'not json']) {
        const r = screenPopLinkForRequest({ apiKey: k, body }, settings);
        assert.equal(r.status, 403);
        assert.doesNotMatch(JSON.stringify(r.body), /view=/);
      }
    }
  });

  test('a malformed body or key: 400 (the hang-up value "hangup" included)', () => {
    for (const body of [undefined, '', 'not json', '{}', JSON.stringify({ sessionHistoryKey: 'hangup' }), JSON.stringify({ sessionHistoryKey: `${KEY}x` }), JSON.stringify({ sessionHistoryKey: 'q3VdT1xO8mC0rJvY2kQm9!' }), JSON.stringify({ sessionHistoryKey: 12 }), JSON.stringify({ sessionHistoryKey: KEY, pad: 'x'.repeat(2000) })]) {
      assert.equal(screenPopLinkForRequest({ apiKey, body }, settings).status, 400, String(body));
    }
  });

  test('the handler: API key and secret from the environment, base64 bodies, 500 (no detail) when not configured', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { CXONE_MINT_API_KEY: apiKey, SCREEN_POP_SECRET: secret, PUBLIC_BASE_URL: 'https://api.example.test', LOG_LEVEL: 'silent' });
      delete process.env.AGENT_SCREEN_POP_BASE_URL;
      delete process.env.SCREEN_POP_SECRET_PARAM;
      const { handler } = await import('../../functions/nice-cxone/screen-pop-link.ts');
      const call = (headers: Record<string, string>, body: string, isBase64Encoded = false) =>
        handler({ headers, body, isBase64Encoded, rawPath: '/nice-cxone/screen-pop-link', requestContext: { http: { method: 'POST' } } } as unknown as APIGatewayProxyEventV2, ctx) as Promise<APIGatewayProxyStructuredResultV2>;
      const body = JSON.stringify({ sessionHistoryKey: KEY });
      const ok = await call({ 'X-Api-Key': apiKey }, Buffer.from(body).toString('base64'), true);
      assert.equal(ok.statusCode, 200, String(ok.body));
      const link = new URL((JSON.parse(String(ok.body)) as { screenPopUrl: string }).screenPopUrl);
      assert.equal(link.origin + link.pathname, 'https://api.example.test/agent');
      assert.ok(verifyViewToken(link.searchParams.get('view')!, secret).ok);
      assert.equal((await call({ 'x-api-key': fake() }, body)).statusCode, 403);
      assert.equal((await call({ 'x-api-key': apiKey }, '{"sessionHistoryKey":"hangup"}')).statusCode, 400);
      delete process.env.PUBLIC_BASE_URL;
      const unset = await call({ 'x-api-key': apiKey }, body);
      assert.equal(unset.statusCode, 500);
      assert.doesNotMatch(String(unset.body), /PUBLIC_BASE_URL|SECRET/);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
