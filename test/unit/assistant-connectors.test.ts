import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WatsonAssistant } from '../../media-core/conversation/assistants/watson.ts';
import { WebhookAssistant } from '../../media-core/conversation/assistants/webhook.ts';
import { LocalAssistant } from '../../media-core/conversation/assistants/local.ts';
import { IamTokenSource } from '../../media-core/conversation/iam.ts';

const apiKey = randomBytes(12).toString('hex');
const token = randomBytes(12).toString('hex');
const seen: { method: string; url: string; auth?: string; body: string }[] = [];
let mode: 'ok' | 'slow' | 'bad' | '500' = 'ok';
let server: Server;
let base = '';

const body = (req: IncomingMessage) => new Promise<string>((r) => {
  let s = '';
  req.on('data', (d) => (s += d));
  req.on('end', () => r(s));
});

before(async () => {
  server = createServer(async (req, res) => {
    const b = await body(req);
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: b });
    const json = (code: number, o: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(o));
    if (req.url === '/identity/token') {
      const p = new URLSearchParams(b);
      return p.get('apikey') === apiKey && p.get('grant_type') === 'urn:ibm:params:oauth:grant-type:apikey' ? json(200, { access_token: token, expires_in: 3600 }) : json(400, {});
    }
    if (req.url?.startsWith('/v2/assistants/asst/sessions?')) return json(201, { session_id: 'sess-1' });
    if (req.url?.startsWith('/v2/assistants/asst/sessions/sess-1/message')) {
      const m = JSON.parse(b);
      return json(200, { output: { generic: [{ response_type: 'text', text: `echo ${m.input.text}` }] }, context: { skills: { 'main skill': { user_defined: { seen: m.context.skills['main skill'].user_defined.sip_call_id } } } } });
    }
    if (req.url?.startsWith('/v2/assistants/asst/sessions/sess-1')) return json(200, {});
    if (req.url === '/hook') {
      if (mode === 'slow') return setTimeout(() => json(200, {}), 500);
      if (mode === '500') return json(500, { error: 'x' });
      if (mode === 'bad') return json(200, { output: {} });
      const m = JSON.parse(b);
      return json(200, { output: { generic: [{ response_type: 'text', text: `hook ${m.input.text}` }] }, context: { n: (m.context.n ?? 0) + 1 } });
    }
    json(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

describe('assistant connectors', () => {
  test('Watson Assistant v2: IAM token cached, session, message with context, delete', async () => {
    const iam = new IamTokenSource(`${base}/identity/token`, apiKey);
    const w = new WatsonAssistant({ url: base, assistantId: 'asst', version: '2021-06-14', timeoutMs: 2000, iam });
    await w.startSession('c1');
    const r = await w.message('c1', { input: { text: 'hi' }, context: { sip_call_id: 'c1' } });
    await w.message('c1', { input: { text: 'again' }, context: {} });
    await w.endSession('c1');
    assert.equal(r.output.generic[0]!.text, 'echo hi');
    assert.equal(r.context.seen, 'c1');
    assert.equal(seen.filter((s) => s.url === '/identity/token').length, 1, 'token fetched once');
    const api = seen.filter((s) => s.url.startsWith('/v2/'));
    assert.ok(api.every((s) => s.auth === `Bearer ${token}`));
    assert.deepEqual(api.map((s) => s.method), ['POST', 'POST', 'POST', 'DELETE']);
    assert.ok(api.every((s) => s.url.includes('version=2021-06-14')));
  });

  test('Watson: a wrong API key is a clear error without the key', async () => {
    const w = new WatsonAssistant({ url: base, assistantId: 'asst', version: 'v', timeoutMs: 2000, iam: new IamTokenSource(`${base}/identity/token`, 'wrong') });
    await assert.rejects(w.message('c2', { input: { text: '' }, context: {} }), (e: Error) => /IAM token request failed: 400/.test(e.message) && !e.message.includes('wrong'));
  });

  test('webhook: turn JSON in, generic and context out; timeout, HTTP error and malformed replies are clear errors', async () => {
    const h = new WebhookAssistant({ url: `${base}/hook`, timeoutMs: 200 });
    mode = 'ok';
    const r = await h.message('c', { input: { text: 'x' }, context: { n: 1 } });
    assert.equal(r.output.generic[0]!.text, 'hook x');
    assert.equal(r.context.n, 2);
    mode = 'slow';
    await assert.rejects(h.message('c', { input: { text: '' }, context: {} }), /timed out after 200 ms/);
    mode = '500';
    await assert.rejects(h.message('c', { input: { text: '' }, context: {} }), /HTTP 500/);
    mode = 'bad';
    await assert.rejects(h.message('c', { input: { text: '' }, context: {} }), /malformed: output.generic/);
  });

  test('local demo assistant: welcome, account by DTMF, hours, agent on 0, goodbye on 9, system texts', async () => {
    const a = LocalAssistant.fromFile('media-core/config/demo-assistant.json');
    const w = await a.message('c', { input: { text: '' }, context: {} });
    assert.equal(w.output.generic[1]!.response_type, 'dtmf');
    assert.equal(w.context.post_response_timeout_count, 8000);
    const acc = await a.message('c', { input: { text: '12345' }, context: { ...w.context, is_dtmf: true, dtmf_collection_succeeded: true } });
    assert.match(String(acc.output.generic[0]!.text), /Account 12345 is verified/);
    assert.equal(acc.context.account_number, '12345');
    const ag = await a.message('c', { input: { text: '0' }, context: { ...acc.context, is_dtmf: true } });
    assert.equal(ag.output.generic[0]!.response_type, 'connect_to_agent');
    assert.deepEqual((ag.output.generic[0]!.transfer_info!.target as { nice_cxone: unknown }).nice_cxone, { custom_data: { p2: '12345' } });
    const spoken = await a.message('c', { input: { text: 'I want to speak to an agent' }, context: { ...acc.context, is_dtmf: false } });
    assert.equal(spoken.output.generic[0]!.response_type, 'connect_to_agent');
    const hours = await a.message('c', { input: { text: 'what are your opening hours' }, context: { is_dtmf: false } });
    assert.match(String(hours.output.generic[0]!.text), /Monday to Friday/);
    const bye = await a.message('c', { input: { text: '9' }, context: { is_dtmf: true } });
    assert.deepEqual(bye.output.generic.map((g) => g.response_type), ['text', 'end_session']);
    const t = await a.message('c', { input: { text: 'vgwCallTransferFailed' }, context: {} });
    assert.match(String(t.output.generic[0]!.text), /transfer did not work/);
    const f = await a.message('c', { input: { text: 'banana' }, context: { is_dtmf: false } });
    assert.match(String(f.output.generic[0]!.text), /did not understand/);
    const failed = await a.message('c', { input: { text: '12' }, context: { is_dtmf: true, dtmf_collection_succeeded: false } });
    assert.match(String(failed.output.generic[0]!.text), /did not get a full account number/);
  });
});
