/**
 * Contact identity through the whole local stack (npm start's components on free ports): the
 * Connect flow function and the CXone mint endpoint issue contact tokens, the media core
 * verifies them when the INVITE arrives. A forged X-ContactID or User-to-User gets 403 and no
 * signal; a replayed token gets 403; two simultaneous calls from the same caller to the same
 * Connect number each write to their own contact.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { PlacedCall } from '../../dev/caller/place-call.ts';
import { contactEvents } from '../helpers/e2e-ladder.ts';
import { startTestStack, type TestStack } from '../helpers/e2e-stack.ts';

const CONNECT = '+15550100003';
const CXONE = '+15550100004';

describe('contact identity through the local stack', { timeout: 150_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.stop();
  });

  const rejected403 = (call: PlacedCall) => {
    assert.equal(call.sip.kind, 'rejected', stack.explain(call));
    assert.equal(call.sip.kind === 'rejected' && call.sip.status, 403);
    assert.deepEqual(contactEvents(call), [], 'no signal, no attributes');
  };

  test('NICE CXone: a forged X-ContactID (no token, or a made-up one) is refused with 403 and produces no signal', async () => {
    const [none, made] = await Promise.all([
      stack.call({ to: CXONE, dtmf: '9', contactTokens: undefined }),
      stack.call({ to: CXONE, dtmf: '9', contactToken: `ct1.${randomInt(1e6, 1e9)}.${Math.floor(Date.now() / 1000) + 60}.${'A'.repeat(22)}` }),
    ]);
    rejected403(none);
    rejected403(made);
  });

  test('Amazon Connect: without the flow (no token) and with no registration to fall back on, the call is refused', async () => {
    const call = await stack.call({ to: CONNECT, dtmf: '9', contactTokens: undefined, from: `+1555${randomInt(1_000_000, 9_999_999)}` });
    rejected403(call);
  });

  test('a replayed token is refused: it is bound to the call that presented it first', async () => {
    const first = await stack.call({ to: CXONE, dtmf: '9' });
    assert.equal(first.sandbox?.kind, 'hung-up', stack.explain(first));
    const token = first.messages.find((m) => m.direction === 'sent' && m.method === 'INVITE')?.headers.get('x-contact-token')?.[0];
    assert.ok(token);
    const replay = await stack.call({ to: CXONE, dtmf: '9', contactId: first.ids.contactId, contactToken: token });
    assert.equal(replay.sip.kind, 'rejected', stack.explain(replay));
    assert.equal(contactEvents(replay).length, 0, 'no second signal');
  });

  test('Amazon Connect: two simultaneous calls from the same caller to the same number land on their own contacts', async () => {
    const from = `+1555${randomInt(1_000_000, 9_999_999)}`;
    const [a, b] = await Promise.all([stack.call({ to: CONNECT, dtmf: '9', from }), stack.call({ to: CONNECT, dtmf: '9', from })]);
    for (const call of [a, b]) {
      const events = contactEvents(call);
      assert.equal(events.length, 1, stack.explain(call));
      assert.deepEqual(events[0]!.params.Attributes, { SessionHistoryKey: 'hangup' });
    }
    assert.notEqual(a.ids.contactId, b.ids.contactId);
  });
});
