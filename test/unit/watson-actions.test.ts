/**
 * The Watson Assistant connector with an Actions assistant: the context travels in
 * `skills["actions skill"].skill_variables` (cloud.ibm.com/apidocs/assistant/assistant-v2#message),
 * chosen by configuration or detected from the reply. A stub Watson server on 127.0.0.1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WatsonAssistant, type WatsonSkill } from '../../media-core/conversation/assistants/watson.ts';
import { IamTokenSource } from '../../media-core/conversation/iam.ts';
import { parseConfig } from '../../media-core/config/load.ts';

const apiKey = randomBytes(12).toString('hex');
let server: Server;
let base = '';
/** What each stub assistant is: `actions` answers in skill_variables, `dialog` in user_defined. */
const kindOf: Record<string, 'actions' | 'dialog'> = { act: 'actions', dlg: 'dialog' };
const bodies: { assistant: string; skills: Record<string, Record<string, Record<string, unknown>>> }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      const json = (code: number, o: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(o));
      if (req.url === '/identity/token') return json(200, { access_token: 'tok', expires_in: 3600 });
      const m = /^\/v2\/assistants\/(\w+)\/sessions(?:\/([\w-]+)(\/message)?)?\?/.exec(req.url ?? '');
      if (!m) return json(404, {});
      const [, assistant, sid, message] = m;
      if (!sid) return json(201, { session_id: `s-${randomBytes(4).toString('hex')}` });
      if (!message) return json(200, {});
      const skills = JSON.parse(b).context.skills;
      bodies.push({ assistant: assistant!, skills });
      const kind = kindOf[assistant!];
      // An Actions assistant reads skill_variables only; a dialog assistant user_defined only.
      const vars = kind === 'actions' ? skills['actions skill']?.skill_variables : skills['main skill']?.user_defined;
      const turns = Number(vars?.turns ?? 0) + 1;
      const out = { post_response_timeout_count: 4000, turns, saw_call_id: vars?.sip_call_id ?? null };
      const context = kind === 'actions' ? { skills: { 'actions skill': { skill_variables: out } } } : { skills: { 'main skill': { user_defined: out } } };
      json(200, { output: { generic: [{ response_type: 'text', text: `turn ${turns}` }] }, context });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const connector = (assistantId: string, skill?: WatsonSkill) =>
  new WatsonAssistant({ url: base, assistantId, version: '2023-06-15', timeoutMs: 2000, iam: new IamTokenSource(`${base}/identity/token`, apiKey), skill });

async function twoTurns(w: WatsonAssistant, callId: string) {
  const r1 = await w.message(callId, { input: { text: '' }, context: { sip_call_id: callId } });
  const r2 = await w.message(callId, { input: { text: 'hi' }, context: r1.context });
  await w.endSession(callId);
  return [r1, r2] as const;
}

describe('Watson Assistant: Actions skills', () => {
  test('skill "actions": context sent as skill_variables, table-2 variables read back from it', async () => {
    bodies.length = 0;
    const [r1, r2] = await twoTurns(connector('act', 'actions'), 'call-a');
    assert.deepEqual(Object.keys(bodies[0]!.skills), ['actions skill']);
    assert.equal(r1.context.saw_call_id, 'call-a', 'the assistant got the integration variables');
    assert.equal(r1.context.post_response_timeout_count, 4000, 'the runtime got the assistant variables');
    assert.equal(r2.context.turns, 2, 'skill variables carried into the next turn');
  });

  test('skill "auto" (default): detects the Actions assistant from the first reply, then sends only skill_variables', async () => {
    bodies.length = 0;
    const [r1, r2] = await twoTurns(connector('act'), 'call-b');
    assert.deepEqual(Object.keys(bodies[0]!.skills).sort(), ['actions skill', 'main skill'], 'first turn: both');
    assert.deepEqual(Object.keys(bodies[1]!.skills), ['actions skill'], 'then the detected skill');
    assert.equal(r1.context.post_response_timeout_count, 4000);
    assert.equal(r2.context.turns, 2);
  });

  test('skill "auto" with a dialog assistant keeps to main skill user_defined', async () => {
    bodies.length = 0;
    const [r1, r2] = await twoTurns(connector('dlg'), 'call-c');
    assert.deepEqual(Object.keys(bodies[1]!.skills), ['main skill']);
    assert.equal(r1.context.saw_call_id, 'call-c');
    assert.equal(r2.context.turns, 2);
  });

  test('skill "dialog" against an Actions assistant gets none of its variables (why the option exists)', async () => {
    bodies.length = 0;
    const [r1] = await twoTurns(connector('act', 'dialog'), 'call-d');
    assert.deepEqual(Object.keys(bodies[0]!.skills), ['main skill']);
    assert.equal(r1.context.post_response_timeout_count, undefined);
  });

  test('the configuration takes skill auto|dialog|actions, default auto', () => {
    const cfg = (skill?: string) => ({
      assistants: { w: { type: 'watson', url: base, assistantId: 'act', apiKeyEnv: 'K', ...(skill ? { skill } : {}) } },
      speech: { s: { tts: { provider: 'espeak' }, stt: { provider: 'pocketsphinx' } } },
      integrations: [{ number: '+15550100001', assistant: 'w', speech: 's', contactCenter: { vendor: 'sip_trunk' } }],
    });
    const a = parseConfig(cfg(), '/tmp').config.assistants.w!;
    assert.equal(a.type === 'watson' && a.skill, 'auto');
    const b = parseConfig(cfg('actions'), '/tmp').config.assistants.w!;
    assert.equal(b.type === 'watson' && b.skill, 'actions');
    assert.throws(() => parseConfig(cfg('search'), '/tmp'), /skill/);
  });
});
