/**
 * Every vendor path through the real local stack (dev/stack/stack.ts on free ports): SIPp
 * calls the media core as each contact center would, by DTMF, and the test reads where each
 * call ended on the SIP ladder, in the sandboxes and in Twilio's webhooks.
 *
 * Demo numbers (media-core/config/demo.json + demo-assistant.json): +15550100001 SIP trunk,
 * +15550100002 Twilio Flex, +15550100003 Amazon Connect, +15550100004 NICE CXone. The caller
 * enters an account number (collected by the welcome's dtmf collect), then presses 0 (agent
 * intent: connect_to_agent) or, on a second call, 9 (goodbye intent: end_session with the
 * header X-Call-Result: completed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { isSessionHistoryKey } from '../../adapters/agent-view/key.ts';
import { verifyViewToken } from '../../adapters/agent-view/link.ts';
import type { PlacedCall } from '../../dev/caller/place-call.ts';
import { decodeUserToUser, parseReferTo } from '../../dev/caller/sip-ladder.ts';
import { DEMO_CONNECT_INSTANCE_ARN } from '../../dev/stack/stack-env.ts';
import { verifyContactToken } from '../../lib/contact-token.ts';
import { connectTokenVendor } from '../../adapters/amazon-connect/contact-id.ts';
import { postSignedWebhook, twilioVoiceParams } from '../../dev/caller/twilio-emulation.ts';
import { contactEvents, header, receivedRequest, response, screenPop } from '../helpers/e2e-ladder.ts';
import { startTestStack, type TestStack } from '../helpers/e2e-stack.ts';
import { getStore } from '../../lib/store/client.ts';
import { listNumbers, replaceNumbers } from '../../lib/store/numbers.ts';

const NUMBERS = { sip: '+15550100001', twilio: '+15550100002', connect: '+15550100003', cxone: '+15550100004' } as const;
type Path = keyof typeof NUMBERS;
const PATHS = Object.keys(NUMBERS) as Path[];

/**
 * A fresh account number per run, so that custom data cannot come from an earlier run; it
 * starts with a repeated digit, which must arrive as two RFC 4733 events.
 */
const FIRST = randomInt(1, 10);
const ACCOUNT = `${FIRST}${FIRST}${randomInt(10, 100)}`;
/** Account number, pound, a 2 s pause (the "verified" prompt starts), then 0 (agent). */
const TRANSFER_DTMF = `${ACCOUNT}#,,0`;
/** The caller starts typing 1 s after the answer, during the 5.5 s greeting (barge-in). */
const TYPE_AFTER_MS = 1000;
const HANGUP_DTMF = '9';
/** The demo assistant's message_to_human_agent (demo-assistant.json, agent intent). */
const AGENT_MESSAGE = 'The caller asked for an agent.';
/** This run gives the message CXone's p9 (serverless.yml passes these to the CXone function). */
const CXONE_SLOTS = { CXONE_AGENT_MESSAGE_PARAM: 'p9', CXONE_CUSTOM_DATA_PARAMS: 'p2,p3,p4,p5,p6,p7,p8' };

describe('vendor paths through the local stack, by DTMF', { timeout: 150_000 }, () => {
  let stack: TestStack;
  const transfers = {} as Record<Path, PlacedCall>;
  const hangups = {} as Record<Path, PlacedCall>;
  let wallMs = { start: 0, transfers: 0, hangups: 0 };

  const savedEnv = Object.fromEntries(Object.keys(CXONE_SLOTS).map((k) => [k, process.env[k]]));
  before(async () => {
    let t = Date.now();
    Object.assign(process.env, CXONE_SLOTS);
    // debug: the media core logs each digit and turn, shown when an assertion fails (a few lines per call).
    stack = await startTestStack({ logLevel: 'debug' });
    wallMs.start = Date.now() - t;
    // Four calls at a time: within the trial plan's 5 concurrent calls (MAX_CALLS default).
    t = Date.now();
    const placed = await Promise.all(PATHS.map((p) => stack.call({ to: NUMBERS[p], dtmf: TRANSFER_DTMF, afterMs: TYPE_AFTER_MS })));
    PATHS.forEach((p, i) => (transfers[p] = placed[i]!));
    wallMs.transfers = Date.now() - t;
    t = Date.now();
    const placed2 = await Promise.all(PATHS.map((p) => stack.call({ to: NUMBERS[p], dtmf: HANGUP_DTMF })));
    PATHS.forEach((p, i) => (hangups[p] = placed2[i]!));
    wallMs.hangups = Date.now() - t;
    console.log(`stack start ${wallMs.start} ms; 4 transfer calls ${wallMs.transfers} ms; 4 hang-up calls ${wallMs.hangups} ms (wall clock, in parallel)`);
  });
  after(async () => {
    await stack?.stop();
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** The transfer's key, as the vendor received it. */
  const keyOf = (call: PlacedCall): string | undefined => {
    if (call.sandbox?.kind === 'queued') return call.sandbox.sessionHistoryKey;
    return call.sip.kind === 'transferred' ? call.sip.sessionHistoryKey : undefined;
  };

  /** The caller completed the scenario, and the media core's BYE came last. */
  function assertEndedByMediaCore(call: PlacedCall): TracedBye {
    assert.equal(call.sipp.killed, false, stack.explain(call));
    assert.equal(call.sipp.code, 0, stack.explain(call));
    const bye = receivedRequest(call, 'BYE');
    assert.ok(bye, `no BYE from the media core\n${stack.explain(call)}`);
    assert.ok(response(call, 'BYE', 'sent'), 'the caller answered the BYE');
    return bye;
  }
  type TracedBye = NonNullable<ReturnType<typeof receivedRequest>>;

  describe('transfer by DTMF 0', () => {
    test('generic SIP trunk: REFER to the agent URI with the transfer headers and the key, 202 + NOTIFY 200, then BYE', () => {
      const call = transfers.sip;
      const bye = assertEndedByMediaCore(call);
      const refer = receivedRequest(call, 'REFER');
      assert.ok(refer, stack.explain(call));
      const referTo = parseReferTo(header(refer, 'refer-to') ?? '');
      assert.equal(referTo.uri, 'sip:agent@127.0.0.1:5090', 'the configured agentUri');
      assert.equal(header(refer, 'x-account-number'), ACCOUNT, `transfer_headers with {{account_number}} filled\n${stack.explain(call)}`);
      assert.equal(header(refer, 'x-message-to-human-agent'), AGENT_MESSAGE, 'message_to_human_agent in the configured header (demo.json agentMessageHeader)');
      const uui = header(refer, 'user-to-user');
      assert.ok(uui, 'User-to-User carries the key');
      const key = decodeUserToUser(uui);
      assert.ok(isSessionHistoryKey(key), `a session history key: ${uui}`);
      assert.equal(keyOf(call), key);
      const accepted = response(call, 'REFER', 'sent');
      assert.equal(accepted?.status, 202);
      const notify = call.messages.find((m) => m.direction === 'sent' && m.method === 'NOTIFY');
      assert.match(notify?.body ?? '', /^SIP\/2\.0 200 OK/);
      assert.equal(response(call, 'NOTIFY', 'received')?.status, 200, 'the media core accepted the NOTIFY');
      assert.ok(call.messages.indexOf(bye) > call.messages.indexOf(notify!), 'BYE after the NOTIFY');
    });

    test('Twilio Flex: signed receive-call -> <Dial><Sip>, REFER with the key in Refer-To, signed refer-handler -> Redirect to Studio with the same key', () => {
      const call = transfers.twilio;
      const tw = call.twilio;
      assert.ok(tw, 'the Twilio webhooks were emulated');
      assert.equal(tw.receiveCall.status, 200, tw.receiveCall.body);
      const sipHost = `127.0.0.1:${stack.ports.sip}`;
      assert.match(
        tw.receiveCall.body,
        new RegExp(`<Dial answerOnBridge="true" referUrl="${stack.twilio.publicBaseUrl.replace(/\./g, '\\.')}/twilio/refer-handler"><Sip>sip:\\+15550100002@${sipHost.replace(/\./g, '\\.')}[^<]*</Sip></Dial>`),
      );
      assert.equal(call.calledUser, '+15550100002', 'the INVITE went to the <Sip> URI user');
      const invite = call.messages.find((m) => m.direction === 'sent' && m.method === 'INVITE');
      assert.match(invite?.startLine ?? '', /^INVITE sip:\+15550100002@127\.0\.0\.1:\d+ SIP\/2\.0$/);
      assertEndedByMediaCore(call);
      const refer = receivedRequest(call, 'REFER');
      assert.ok(refer, stack.explain(call));
      const referTo = parseReferTo(header(refer, 'refer-to') ?? '');
      assert.equal(referTo.uri, 'sip:queue@flex.twilio.com');
      const key = referTo.headers['X-Watson-Assistant-Session-History-Key'];
      assert.ok(key && isSessionHistoryKey(key), `key in the Refer-To: ${header(refer, 'refer-to')}`);
      assert.equal(referTo.headers['X-Account-Number'], ACCOUNT, stack.explain(call));
      assert.equal(tw.referHandler?.status, 200, tw.referHandler?.body);
      assert.ok(tw.redirect, tw.referHandler?.body);
      assert.equal(tw.redirect.method, 'POST');
      assert.ok(tw.redirect.url.startsWith(`${stack.env.offline.STUDIO_FLOW_WEBHOOK_URL}?`), tw.redirect.url);
      assert.equal(tw.redirect.flowEvent, 'return');
      assert.equal(tw.redirect.sessionHistoryKey, key);
      assert.equal(new URL(tw.redirect.url).searchParams.get('MessageToHumanAgent'), AGENT_MESSAGE, 'read from the session history by key, passed to the Studio flow');
    });

    test('Twilio Flex: an unsigned or forged receive-call is refused with 403', async () => {
      const url = `${stack.twilio.publicBaseUrl}/twilio/receive-call`;
      const params = twilioVoiceParams({ accountSid: stack.twilio.accountSid, callSid: `CA${randomBytes(16).toString('hex')}`, called: NUMBERS.twilio, caller: '+15557654321' });
      const forged = await postSignedWebhook(url, params, randomBytes(16).toString('hex'));
      assert.equal(forged.status, 403);
      assert.doesNotMatch(forged.body, /<Dial/);
    });

    test('Amazon Connect: INVITE with the flow-minted contact token in User-to-User; UpdateContactAttributes {SessionHistoryKey, AccountNumber} on the configured instance before the BYE', () => {
      const call = transfers.connect;
      const invite = call.messages.find((m) => m.direction === 'sent' && m.method === 'INVITE');
      const token = decodeUserToUser(header(invite, 'user-to-user') ?? '');
      assert.equal(token.split('.')[1], call.ids.contactId, `the token names the contact: ${token}`);
      const verified = verifyContactToken(token, { vendor: connectTokenVendor, secrets: [stack.env.mediaCore.CONTACT_TOKEN_SECRET!] });
      assert.ok(verified.ok, JSON.stringify(verified));
      assert.equal(header(invite, 'x-amzn-connectcontactid'), call.ids.contactId);
      const bye = assertEndedByMediaCore(call);
      assert.equal(receivedRequest(call, 'REFER'), undefined, 'no REFER: Connect resumes its flow after the BYE');
      const events = contactEvents(call);
      assert.equal(events.length, 1, stack.explain(call));
      const e = events[0]!;
      assert.equal(e.status, 200);
      assert.equal(e.params.InstanceId, DEMO_CONNECT_INSTANCE_ARN.split('/')[1], 'the instance from configuration');
      const attributes = e.params.Attributes as Record<string, string>;
      assert.ok(isSessionHistoryKey(attributes.SessionHistoryKey ?? ''), JSON.stringify(attributes));
      assert.equal(attributes.AccountNumber, ACCOUNT, `custom_data with {{account_number}} filled\n${stack.explain(call)}`);
      assert.equal(attributes.MessageToHumanAgent, AGENT_MESSAGE, 'message_to_human_agent as a contact attribute');
      assert.equal(call.sandbox?.kind, 'queued');
      assert.ok(Date.parse(e.at) <= bye.at, `attributes written (${e.at}) before the BYE reached the caller (${new Date(bye.at).toISOString()})`);
    });

    test('NICE CXone: INVITE with X-ContactID and the minted X-Contact-Token; signal p1 = key, p2 = account number, before the BYE', () => {
      const call = transfers.cxone;
      const invite = call.messages.find((m) => m.direction === 'sent' && m.method === 'INVITE');
      assert.equal(header(invite, 'x-contactid'), call.ids.contactId);
      assert.equal(header(invite, 'x-contact-token')?.split('.')[1], call.ids.contactId);
      const bye = assertEndedByMediaCore(call);
      const events = contactEvents(call);
      assert.equal(events.length, 1, stack.explain(call));
      const e = events[0]!;
      assert.ok(e.status >= 200 && e.status < 300, `signal status ${e.status}`);
      assert.ok(isSessionHistoryKey(String(e.params.p1)), JSON.stringify(e.params));
      assert.equal(e.params.p2, ACCOUNT, `custom_data p2 with {{account_number}} filled\n${stack.explain(call)}`);
      assert.equal(e.params.p9, AGENT_MESSAGE, 'message_to_human_agent in the configured slot');
      for (const p of ['p3', 'p4', 'p5', 'p6', 'p7', 'p8']) assert.equal(e.params[p], undefined, `${p} not set by the demo`);
      assert.ok(Date.parse(e.at) <= bye.at, `signal (${e.at}) before the BYE (${new Date(bye.at).toISOString()})`);
    });

    test('each transfer has its own session history key', () => {
      const keys = PATHS.map((p) => keyOf(transfers[p]));
      assert.ok(keys.every((k) => k && isSessionHistoryKey(k)), JSON.stringify(keys));
      assert.equal(new Set(keys).size, 4);
    });
  });

  describe('hang-up by DTMF 9', () => {
    for (const p of ['sip', 'twilio'] as const) {
      test(`${p === 'sip' ? 'generic SIP trunk' : 'Twilio Flex'}: BYE with the end_session headers, no REFER`, () => {
        const call = hangups[p];
        const bye = assertEndedByMediaCore(call);
        assert.equal(header(bye, 'x-call-result'), 'completed', stack.explain(call));
        assert.equal(receivedRequest(call, 'REFER'), undefined);
        assert.equal(call.sip.kind, 'hung-up');
      });
    }

    test('Amazon Connect: UpdateContactAttributes SessionHistoryKey = "hangup", then BYE', () => {
      const call = hangups.connect;
      const bye = assertEndedByMediaCore(call);
      const events = contactEvents(call);
      assert.equal(events.length, 1, stack.explain(call));
      assert.deepEqual(events[0]!.params.Attributes, { SessionHistoryKey: 'hangup' });
      assert.ok(Date.parse(events[0]!.at) <= bye.at, 'attribute written before the BYE');
      assert.equal(call.sandbox?.kind, 'hung-up');
    });

    test('NICE CXone: signal p1 = "hangup", then BYE', () => {
      const call = hangups.cxone;
      const bye = assertEndedByMediaCore(call);
      const events = contactEvents(call);
      assert.equal(events.length, 1, stack.explain(call));
      assert.equal(events[0]!.params.p1, 'hangup');
      assert.ok(Date.parse(events[0]!.at) <= bye.at, 'signal before the BYE');
    });
  });

  describe('agent screen pop', () => {
    test('GET /agent with a signed link for a transfer key: 200 HTML with the DTMF turns, masked', async () => {
      const key = keyOf(transfers.sip)!;
      const r = await screenPop(stack.env.urls.agentScreenPop, key, stack.env.offline.SCREEN_POP_SECRET!);
      assert.equal(r.status, 200, r.body.slice(0, 300));
      assert.match(r.type, /text\/html/, `${r.status} ${r.type}: ${r.body.slice(0, 500)}`);
      const dtmfTurns = [...r.body.matchAll(/<p class="text dtmf">(.*?)<\/p>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, '').replace(/^DTMF( \(masked\))?\s*/, ''));
      // SCREEN_POP_MASK_DTMF defaults to true: the agent sees how many keys, not which.
      assert.ok(dtmfTurns.includes('\u2022'), `the DTMF 0 turn, masked: ${JSON.stringify(dtmfTurns)}`);
      assert.ok(dtmfTurns.includes('\u2022'.repeat(ACCOUNT.length)), `the account number turn, masked: ${JSON.stringify(dtmfTurns)}`);
      assert.ok(!r.body.includes(`<kbd>${ACCOUNT[0]}</kbd>`), 'no DTMF digit on the page');
      assert.ok(r.body.includes(`Account ${ACCOUNT} is verified`), 'the assistant turns too');
    });

    test('each vendor\'s screen pop shows message_to_human_agent first', async () => {
      for (const p of PATHS) {
        const key = keyOf(transfers[p]);
        assert.ok(key, p);
        const r = await screenPop(stack.env.urls.agentScreenPop, key, stack.env.offline.SCREEN_POP_SECRET!);
        assert.equal(r.status, 200, `${p}: ${r.body.slice(0, 300)}`);
        const at = r.body.indexOf(`<section class="agent-message"`);
        assert.ok(at > 0 && r.body.indexOf(AGENT_MESSAGE, at) > at, `${p}: message section`);
        assert.ok(at < r.body.indexOf('class="facts"'), `${p}: before the call facts`);
      }
    });

    test('Twilio Flex and NICE CXone: the link the contact center received is signed for the transfer\'s key and opens the screen pop', async () => {
      for (const p of ['twilio', 'cxone'] as const) {
        const call = transfers[p];
        const key = keyOf(call)!;
        // Twilio: the refer-handler's ScreenPopUrl to the Studio flow; CXone: the script's REST action POST /nice-cxone/screen-pop-link.
        assert.ok(call.screenPopUrl, `${p}: no link handed to the contact center\n${call.notes.join('\n')}`);
        const link = new URL(call.screenPopUrl);
        assert.equal(`${link.origin}${link.pathname}`, stack.env.urls.agentScreenPop, `${p}: ${call.screenPopUrl}`);
        assert.equal(link.searchParams.get('session_history_key'), null, `${p}: not the unsigned link`);
        const check = verifyViewToken(link.searchParams.get('view') ?? '', stack.env.offline.SCREEN_POP_SECRET!);
        assert.ok(check.ok && check.key === key, `${p}: ${JSON.stringify(check)}`);
        const r = await fetch(call.screenPopUrl, { signal: AbortSignal.timeout(10_000) });
        const body = await r.text();
        assert.equal(r.status, 200, `${p}: ${body.slice(0, 300)}`);
        assert.ok(body.includes(AGENT_MESSAGE), `${p}: the conversation's page`);
      }
      assert.equal(new URL(transfers.twilio.twilio!.redirect!.url).searchParams.get('ScreenPopUrl'), transfers.twilio.screenPopUrl);
    });

    test('GET /agent with an unknown key: 404; the old unsigned link: 403', async () => {
      const r = await screenPop(stack.env.urls.agentScreenPop, randomBytes(16).toString('base64url'), stack.env.offline.SCREEN_POP_SECRET!);
      assert.equal(r.status, 404);
      const unsigned = await fetch(`${stack.env.urls.agentScreenPop}?session_history_key=${keyOf(transfers.sip)!}`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(unsigned.status, 403);
    });
  });

  describe('numbers list (state table)', () => {
    test('seeded from demo.json; an import is answered within the cache TTL without a restart, and a number no longer listed gets 404', async () => {
      const store = getStore({ table: stack.env.mediaCore.STATE_TABLE!, endpoint: stack.env.mediaCore.DYNAMODB_ENDPOINT! });
      const seeded = await listNumbers(store);
      assert.deepEqual(seeded.entries.map((e) => `${e.phoneNumber} ${e.integration}`), ['+15550100001 sip-trunk', '+15550100002 twilio-flex', '+15550100003 amazon-connect', '+15550100004 nice-cxone']);
      const added = '+15550100099';
      await replaceNumbers(store, [...seeded.entries.filter((e) => e.phoneNumber !== NUMBERS.sip), { phoneNumber: added, description: 'added by the e2e test', integration: 'sip-trunk' }]);
      await new Promise((r) => setTimeout(r, 5200)); // numbers.cacheTtlMs (5 s) passes
      const [moved, removed] = await Promise.all([stack.call({ to: added, dtmf: HANGUP_DTMF }), stack.call({ to: NUMBERS.sip, dtmf: HANGUP_DTMF })]);
      assert.equal(moved.sip.kind, 'hung-up', stack.explain(moved));
      assert.equal(header(receivedRequest(moved, 'BYE'), 'x-call-result'), 'completed', 'the sip-trunk integration answered the imported number');
      assert.ok(removed.sip.kind === 'rejected' && removed.sip.status === 404, stack.explain(removed));
    });
  });

  test('stopping the stack leaves no SIPp or serverless process behind', async () => {
    const pids = Object.values(stack.pids());
    await stack.stop();
    assert.deepEqual(stack.leftovers(), []);
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    assert.deepEqual(alive, [], 'every child exited');
  });
});
