/**
 * message_to_human_agent (connect_to_agent's summary for the agent) carried to every contact
 * center the way each shows agent context, fitted to each vendor's length and character
 * rules, stored with the session history and shown first on the screen pop.
 * The end-to-end paths through the sandboxes are in test/e2e/vendor-paths.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { agentMessageFrom, MAX_AGENT_MESSAGE_CHARS, TRUNCATION_MARK, truncateMarked, utf8Bytes, withoutControls } from '../../adapters/common/agent-message.ts';
import { translateOutcome as connectTranslate } from '../../adapters/amazon-connect/translate.ts';
import { loadAmazonConnectConfig } from '../../adapters/amazon-connect/config.ts';
import { translateOutcome as cxoneTranslate } from '../../adapters/nice-cxone/translate.ts';
import { loadNiceCxoneConfig } from '../../adapters/nice-cxone/config.ts';
import { translateTransfer } from '../../adapters/sip-trunk/translate.ts';
import { studioSafeAgentMessage, MAX_STUDIO_PARAM_ENCODED } from '../../adapters/twilio/agent-message.ts';
import { renderTranscriptPage } from '../../adapters/agent-view/page.ts';
import { OutcomeEvent, type OutcomeEventInput } from '../../events/outcome.ts';
import { twilioWebhookEvent, voiceParams, SAMPLE_PUBLIC_BASE_URL } from '../../events/twilio/webhook-event.ts';
import { createReferHandler } from '../../functions/twilio/refer-handler.ts';
import { ConfigError } from '../../lib/env.ts';
import { getStore, type Store } from '../../lib/store/client.ts';
import { readSession } from '../../lib/store/session-history.ts';
import { makeRuntime, ScriptedTestAssistant, startCall, stubInvoker } from '../helpers/conversation-harness.ts';
import type { GenericResponse } from '../../media-core/conversation/types.ts';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { connectInviteHeaders, connectVendor, cxoneInviteHeaders, testContactVerifier } from '../helpers/contact-tokens.ts';

const KEY = randomBytes(16).toString('base64url');
const outcome = (over: Partial<OutcomeEventInput>): OutcomeEvent =>
  OutcomeEvent.parse({ version: 1, outcomeId: randomUUID(), sipCallId: 'c@x', vendor: 'amazon_connect', kind: 'transfer', sessionHistoryKey: KEY, occurredAt: new Date().toISOString(), amazonConnect: { InstanceId: 'i-1', InitialContactId: 'c-1' }, niceCxone: { ContactId: '42' }, ...over });

const connectEnv = (over: Record<string, string> = {}) => loadAmazonConnectConfig(over);
const cxoneEnv = (over: Record<string, string> = {}) =>
  loadNiceCxoneConfig({ CXONE_ISSUER_URL: 'http://127.0.0.1:9', CXONE_CLIENT_ID: 'c', CXONE_CLIENT_SECRET: 's', CXONE_ACCESS_KEY_ID: 'k', CXONE_ACCESS_KEY_SECRET: `fake-${randomBytes(4).toString('hex')}`, ...over });

describe('fitting the summary (adapters/common/agent-message.ts)', () => {
  test('controls, CR and LF become one space; blank or non-string is no message', () => {
    assert.equal(withoutControls('a\r\nb\tc\u0000\u0085d  '), 'a b c d');
    assert.equal(agentMessageFrom(' \r\n '), undefined);
    assert.equal(agentMessageFrom(42), undefined);
    assert.equal(agentMessageFrom(undefined), undefined);
  });
  test('overlong text is cut at a character boundary and marked; the result fits the limit in the vendor unit', () => {
    const text = 'é'.repeat(600);
    const cut = truncateMarked(text, 100, utf8Bytes);
    assert.ok(cut.endsWith(TRUNCATION_MARK));
    assert.ok(utf8Bytes(cut) <= 100);
    assert.ok(!cut.includes('\ufffd'));
    assert.equal(truncateMarked('short', 100, utf8Bytes), 'short');
    const emoji = truncateMarked('😀'.repeat(50), 20);
    assert.ok([...emoji].length <= 20 && emoji.startsWith('😀'));
  });
  test('the integration keeps at most 4,000 characters, marked; a huge message costs bounded work', () => {
    const m = agentMessageFrom('x'.repeat(5_000_000))!;
    assert.equal([...m].length, MAX_AGENT_MESSAGE_CHARS);
    assert.ok(m.endsWith(TRUNCATION_MARK));
  });
});

describe('Amazon Connect: a contact attribute with a configurable name', () => {
  test('transfer: MessageToHumanAgent by default; hangup: none', () => {
    const t = connectTranslate(outcome({ messageToHumanAgent: 'Caller wants to cancel.', customData: { AccountNumber: '12' } }));
    assert.ok(t.action === 'update');
    assert.deepEqual(t.request.Attributes, { AccountNumber: '12', SessionHistoryKey: KEY, MessageToHumanAgent: 'Caller wants to cancel.' });
    const h = connectTranslate(outcome({ kind: 'hangup', sessionHistoryKey: undefined, messageToHumanAgent: 'x' }));
    assert.ok(h.action === 'update');
    assert.deepEqual(h.request.Attributes, { SessionHistoryKey: 'hangup' });
  });
  test('configured name and byte bound; cut and marked; within the contact\'s 32,768 bytes together with custom_data', () => {
    const c = connectEnv({ AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE: 'Summary', AMAZON_CONNECT_AGENT_MESSAGE_MAX_BYTES: '64' });
    const t = connectTranslate(outcome({ messageToHumanAgent: 'ü'.repeat(100) }), { attribute: c.AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE, maxBytes: c.AMAZON_CONNECT_AGENT_MESSAGE_MAX_BYTES });
    assert.ok(t.action === 'update');
    assert.ok(t.request.Attributes.Summary!.endsWith(TRUNCATION_MARK));
    assert.ok(utf8Bytes(t.request.Attributes.Summary!) <= 64);
    const big = { Notes: 'n'.repeat(32_000) };
    const t2 = connectTranslate(outcome({ customData: big, messageToHumanAgent: 'm'.repeat(2000) }), { maxBytes: 32_767 });
    assert.ok(t2.action === 'update');
    const total = Object.entries(t2.request.Attributes).reduce((n, [k, v]) => n + utf8Bytes(k) + utf8Bytes(v), 0);
    assert.ok(total <= 32_768, `${total}`);
    assert.ok(t2.request.Attributes.MessageToHumanAgent!.endsWith(TRUNCATION_MARK));
  });
  test('custom_data naming the message attribute is refused; the configuration refuses a bad name', () => {
    const t = connectTranslate(outcome({ messageToHumanAgent: 'x', customData: { MessageToHumanAgent: 'mine' } }));
    assert.equal(t.action, 'invalid');
    assert.throws(() => connectEnv({ AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE: 'Has space' }), ConfigError);
    assert.throws(() => connectEnv({ AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE: 'SessionHistoryKey' }), ConfigError);
  });
});

describe('NICE CXone: an optional signal slot, refused at configuration time when it collides with custom_data', () => {
  test('no slot configured: p1 and custom_data only (the PopURL screen pop shows the message)', () => {
    const c = cxoneEnv();
    const t = cxoneTranslate(outcome({ vendor: 'nice_cxone', messageToHumanAgent: 'hi', customData: { p2: '7' } }), { agentMessageParam: c.CXONE_AGENT_MESSAGE_PARAM, customDataParams: c.CXONE_CUSTOM_DATA_PARAMS });
    assert.ok(t.action === 'signal');
    assert.deepEqual(t.params, { p1: KEY, p2: '7' });
  });
  test('p9 taken out of custom_data\'s slots carries the message, controls removed, cut and marked', () => {
    const c = cxoneEnv({ CXONE_AGENT_MESSAGE_PARAM: 'p9', CXONE_CUSTOM_DATA_PARAMS: 'p2,p3,p4,p5,p6,p7,p8', CXONE_AGENT_MESSAGE_MAX_CHARS: '40' });
    const o = { agentMessageParam: c.CXONE_AGENT_MESSAGE_PARAM, customDataParams: c.CXONE_CUSTOM_DATA_PARAMS, agentMessageMaxChars: c.CXONE_AGENT_MESSAGE_MAX_CHARS };
    const t = cxoneTranslate(outcome({ vendor: 'nice_cxone', messageToHumanAgent: 'line one\nline two', customData: { p2: '7' } }), o);
    assert.ok(t.action === 'signal');
    assert.deepEqual(t.params, { p1: KEY, p2: '7', p9: 'line one line two' });
    const long = cxoneTranslate(outcome({ vendor: 'nice_cxone', messageToHumanAgent: 'w'.repeat(100) }), o);
    assert.ok(long.action === 'signal' && long.params.p9!.length <= 40 && long.params.p9!.endsWith(TRUNCATION_MARK));
    assert.equal(cxoneTranslate(outcome({ vendor: 'nice_cxone', customData: { p9: 'assistant' } }), o).action, 'invalid', 'custom_data may not use the message slot');
    const hangup = cxoneTranslate(outcome({ vendor: 'nice_cxone', kind: 'hangup', sessionHistoryKey: undefined, messageToHumanAgent: 'x' }), o);
    assert.ok(hangup.action === 'signal' && hangup.params.p9 === undefined);
  });
  test('configuration: p1 refused; a slot still among custom_data\'s refused (p2..p9 stay the assistant\'s)', () => {
    assert.throws(() => cxoneEnv({ CXONE_AGENT_MESSAGE_PARAM: 'p1' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('CXONE_AGENT_MESSAGE_PARAM'));
    assert.throws(() => cxoneEnv({ CXONE_AGENT_MESSAGE_PARAM: 'p9' }), (e: unknown) => e instanceof ConfigError && /collides with custom_data/.test((e as Error).message));
    assert.throws(() => cxoneEnv({ CXONE_CUSTOM_DATA_PARAMS: 'p2,p1' }), ConfigError);
  });
});

describe('SIP trunk: a configured SIP header', () => {
  test('the header goes with the transfer headers; CR/LF replaced; over 1024 bytes cut and marked', () => {
    const a = translateTransfer({ uri: 'sip:agent@pbx.example' }, KEY, { agentMessageHeader: 'X-Agent-Message' }, 'Wants\r\nBYE sip:x SIP/2.0\r\nVia: evil');
    assert.ok(a.kind === 'refer');
    const h = a.headers.find((x) => x.name === 'X-Agent-Message')!;
    assert.equal(h.value, 'Wants BYE sip:x SIP/2.0 Via: evil');
    const long = translateTransfer({ uri: 'sip:agent@pbx.example', transfer_headers_send_method: 'refer_to_header' }, KEY, { agentMessageHeader: 'X-Agent-Message' }, 'ж'.repeat(2000));
    assert.ok(long.kind === 'refer');
    const v = long.referToHeaders.find((x) => x.name === 'X-Agent-Message')!.value;
    assert.ok(utf8Bytes(v) <= 1024 && v.endsWith(TRUNCATION_MARK));
    const none = translateTransfer({ uri: 'sip:agent@pbx.example' }, KEY, {}, 'not configured');
    assert.ok(none.kind === 'refer' && !none.headers.some((x) => x.name === 'X-Agent-Message'));
  });
});

describe('Twilio Flex: from the session history by key to the Studio flow', () => {
  const STUDIO = 'https://webhooks.twilio.com/v1/Accounts/AC00000000000000000000000000000000/Flows/FW00000000000000000000000000000000';
  test('Studio-safe: quotes and backslashes cannot break the task attributes JSON; bounded in the URL', () => {
    const s = studioSafeAgentMessage('He said "cancel" \\ now\n')!;
    assert.equal(s, "He said 'cancel' / now");
    const template = `{ "messageToHumanAgent": "${s}" }`;
    assert.equal(JSON.parse(template).messageToHumanAgent, s);
    const long = studioSafeAgentMessage('€'.repeat(2000))!;
    assert.ok(encodeURIComponent(long).length <= MAX_STUDIO_PARAM_ENCODED && long.endsWith(TRUNCATION_MARK));
  });
  test('refer-handler reads the message by the Refer-To key and passes MessageToHumanAgent; a failed read leaves it out', async () => {
    const t = `fake-${randomBytes(8).toString('hex')}`;
    const asked: string[] = [];
    let fail = false;
    const h = createReferHandler({
      env: { PUBLIC_BASE_URL: SAMPLE_PUBLIC_BASE_URL, STUDIO_FLOW_WEBHOOK_URL: STUDIO, TWILIO_AUTH_TOKEN: t },
      readAgentMessage: async (key) => {
        asked.push(key);
        if (fail) throw new Error('table down');
        return 'Caller "Ann" wants a refund';
      },
    });
    const ev = () => twilioWebhookEvent({ path: '/twilio/refer-handler', params: voiceParams({ ReferTransferTarget: `<sip:queue@flex.twilio.com?X-Watson-Assistant-Session-History-Key=${KEY}>` }), authToken: t });
    const r = await h(ev(), {} as Context);
    assert.equal(r.statusCode, 200);
    assert.deepEqual(asked, [KEY]);
    const url = new URL(/<Redirect method="POST">([^<]+)<\/Redirect>/.exec(String(r.body))![1]!.replace(/&amp;/g, '&'));
    assert.equal(url.searchParams.get('SessionHistoryKey'), KEY);
    assert.equal(url.searchParams.get('MessageToHumanAgent'), "Caller 'Ann' wants a refund");
    fail = true;
    const r2 = await h(ev(), {} as Context);
    assert.equal(r2.statusCode, 200);
    assert.doesNotMatch(String(r2.body), /MessageToHumanAgent/);
    assert.match(String(r2.body), /SessionHistoryKey=/);
  });
});

describe('screen pop: the message first, escaped', () => {
  test('shown above the call facts and the transcript', () => {
    const html = renderTranscriptPage({
      meta: { startedAt: '2026-12-01T10:00:00Z', calledNumber: '+15550100001', vendor: 'sip_trunk', messageToHumanAgent: 'Wants <b>refund</b>' },
      turns: [{ seq: 1, at: '2026-12-01T10:00:01Z', who: 'caller', text: 'refund' }],
    });
    const at = html.indexOf('Wants &lt;b&gt;refund&lt;/b&gt;');
    assert.ok(at > 0, 'escaped message present');
    assert.ok(at < html.indexOf('class="facts"') && at < html.indexOf('class="turns"'), 'before the facts and turns');
    assert.doesNotMatch(html, /<b>refund/);
  });
});

describe('media core: the summary in the outcome, the SIP header and the session history', () => {
  let db: LocalDynamo;
  let store: Store;
  before(async () => {
    db = await startDynalite('agent-message');
    store = getStore({ table: db.table, endpoint: db.endpoint });
  });
  after(() => db.stop());

  const transfer = (message: string): GenericResponse => ({ response_type: 'connect_to_agent', transfer_info: { target: {} }, message_to_human_agent: message });

  test('SIP trunk: REFER carries the configured header; the session history stores the message before the REFER', async () => {
    const a = new ScriptedTestAssistant(() => [transfer('Caller asked about\r\nbilling.')]);
    const { runtime } = makeRuntime(a, { vendor: { vendor: 'sip_trunk', agentUri: 'sip:agent@127.0.0.1:5090', agentMessageHeader: 'X-Agent-Message' }, deps: { store } });
    const call = startCall(runtime);
    let storedBeforeRefer: string | undefined;
    const session = () => runtime.recent.at(-1)!;
    const key = () => (session() as unknown as { d: { sessionHistoryKey: string } }).d.sessionHistoryKey;
    const origRefer = call.refer.bind(call);
    call.refer = async (target, opts) => {
      storedBeforeRefer = (await readSession(store, key()))?.meta.messageToHumanAgent;
      return origRefer(target, opts);
    };
    await runtime.idle();
    assert.equal(call.refers.length, 1);
    assert.deepEqual(call.refers[0]!.opts?.headers?.find((h) => h.name === 'X-Agent-Message'), { name: 'X-Agent-Message', value: 'Caller asked about billing.' });
    assert.equal(storedBeforeRefer, 'Caller asked about billing.');
  });

  test('Amazon Connect / NICE CXone: the outcome event carries messageToHumanAgent; hang-ups do not', async () => {
    for (const vendor of ['amazon_connect', 'nice_cxone'] as const) {
      const { invoke, events } = stubInvoker();
      const a = new ScriptedTestAssistant(() => [transfer('Needs a supervisor.')]);
      const { runtime } = makeRuntime(a, { vendor: vendor === 'amazon_connect' ? connectVendor('f') : { vendor, functionName: 'f' }, deps: { invoke, contacts: testContactVerifier() } });
      startCall(runtime, { inviteHeaders: vendor === 'amazon_connect' ? connectInviteHeaders() : cxoneInviteHeaders('42') });
      await runtime.idle();
      assert.equal(events.length, 1, vendor);
      assert.equal(events[0]!.event.messageToHumanAgent, 'Needs a supervisor.', vendor);
      assert.equal(OutcomeEvent.safeParse(events[0]!.event).success, true);
    }
  });
});
