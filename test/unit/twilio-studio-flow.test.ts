import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const flow = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'infra', 'twilio', 'studio-flow.json'), 'utf8')) as {
  initial_state: string;
  states: Array<{ name: string; type: string; transitions: Array<{ event: string; next?: string }>; properties: Record<string, unknown> }>;
};
const state = (name: string) => flow.states.find((s) => s.name === name);

test('Studio flow: Trigger -> redirect_to_watson (TwiML Redirect to receive-call) -> Enqueue Call with sessionHistoryKey, messageToHumanAgent and the signed screenPopUrl', () => {
  assert.equal(flow.initial_state, 'Trigger');
  const trigger = state('Trigger')!;
  assert.equal(trigger.transitions.find((t) => t.event === 'incomingCall')?.next, 'redirect_to_watson');
  const redirect = state('redirect_to_watson')!;
  assert.equal(redirect.type, 'add-twiml-redirect');
  assert.equal(redirect.properties.method, 'POST');
  assert.match(String(redirect.properties.url), /^https:\/\/.+\/twilio\/receive-call$/);
  const next = redirect.transitions.find((t) => t.event === 'return')?.next;
  const enqueue = state(next!)!;
  assert.equal(enqueue.type, 'enqueue-call');
  const attrs = JSON.parse(String(enqueue.properties.task_attributes));
  assert.deepEqual(attrs, {
    sessionHistoryKey: '{{widgets.redirect_to_watson.SessionHistoryKey}}',
    messageToHumanAgent: '{{widgets.redirect_to_watson.MessageToHumanAgent}}',
    // The refer-handler's ScreenPopUrl parameter (functions/twilio/refer-handler.ts): the signed link, not one built from the key.
    screenPopUrl: '{{widgets.redirect_to_watson.ScreenPopUrl}}',
  });
  assert.doesNotMatch(String(enqueue.properties.task_attributes), /session_history_key=/);
});
