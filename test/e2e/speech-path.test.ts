/**
 * The speech path through the real local stack: espeak-ng says "I want to speak to an agent"
 * into an Amazon Connect call (SIPp rtp_stream of 8 kHz mu-law, as `npm run call --say`
 * does), pocketsphinx in the media core recognizes it, the demo assistant's agent intent
 * answers connect_to_agent, and the Amazon Connect adapter writes the session history key with
 * UpdateContactAttributes before the BYE.
 *
 * Prints the recognition time: from the end of the spoken audio (the SIPp timeline: ACK, then
 * the wait, the 0.2 s lead-in and the voice) to the media core's "turn input" log line
 * (debug), and to the BYE the caller received.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isSessionHistoryKey } from '../../adapters/agent-view/key.ts';
import type { PlacedCall } from '../../dev/caller/place-call.ts';
import { contactEvents, header, receivedRequest, screenPop } from '../helpers/e2e-ladder.ts';
import { startTestStack, type TestStack } from '../helpers/e2e-stack.ts';

const PHRASE = 'I want to speak to an agent';
/** Speak 1 s after the answer, over the greeting (barge-in). */
const SPEAK_AFTER_MS = 1000;
/** espeak-ng's lead-in added by caller-media.ts synthesizeSpeech (sox pad 0.2). */
const LEAD_IN_MS = 200;

describe('speech path: "I want to speak to an agent" -> Amazon Connect transfer', { timeout: 120_000 }, () => {
  let stack: TestStack;
  let call: PlacedCall;

  before(async () => {
    stack = await startTestStack({ logLevel: 'debug' });
    call = await stack.call({ to: '+15550100003', say: PHRASE, afterMs: SPEAK_AFTER_MS });
  });
  after(async () => {
    await stack?.stop();
  });

  test('recognized and transferred: UpdateContactAttributes with the key before the BYE', () => {
    assert.equal(call.sipp.code, 0, stack.explain(call));
    const bye = receivedRequest(call, 'BYE');
    assert.ok(bye, stack.explain(call));
    assert.equal(header(bye, 'x-call-result'), undefined, 'not the goodbye intent');
    const events = contactEvents(call);
    assert.equal(events.length, 1, stack.explain(call));
    const attributes = events[0]!.params.Attributes as Record<string, string>;
    assert.ok(isSessionHistoryKey(attributes.SessionHistoryKey ?? ''), JSON.stringify(attributes));
    assert.equal(call.sandbox?.kind, 'queued');
    assert.ok(Date.parse(events[0]!.at) <= bye.at, 'attributes before the BYE');
  });

  test('the screen pop shows the recognized words as the caller turn', async () => {
    assert.equal(call.sandbox?.kind, 'queued', stack.explain(call));
    const key = call.sandbox?.kind === 'queued' ? call.sandbox.sessionHistoryKey : '';
    const r = await screenPop(stack.env.urls.agentScreenPop, key, stack.env.offline.SCREEN_POP_SECRET!);
    assert.equal(r.status, 200);
    const callerTurns = [...r.body.matchAll(/<li class="turn caller"[^>]*>.*?<p class="text">(.*?)<\/p>/g)].map((m) => m[1]!.toLowerCase());
    assert.ok(callerTurns.some((t) => /speak to an agent/.test(t)), `caller turns: ${JSON.stringify(callerTurns)}`);
  });

  test('recognition time', () => {
    const ack = call.messages.find((m) => m.direction === 'sent' && m.method === 'ACK');
    const bye = receivedRequest(call, 'BYE');
    assert.ok(ack && bye && call.speechMs && call.voiceEndMs! > 0, stack.explain(call));
    // Where the voice ends, not where the audio does: espeak-ng ends with ~250 ms of its own silence.
    const voiceEnd = ack.at + SPEAK_AFTER_MS + call.voiceEndMs!;
    const callId = call.messages[0]?.headers.get('call-id')?.[0];
    // The turn that carried the words: the media core's debug line with the input's length.
    const turn = stack
      .log('media-core')
      .filter((l) => callId && l.includes(`"${callId}"`) && l.includes('"turn input"'))
      .map((l) => JSON.parse(l) as { time: number; isDtmf: boolean; inputChars: number })
      .find((j) => !j.isDtmf && j.inputChars > 0);
    assert.ok(turn, 'the media core logged the recognized turn');
    const recognitionMs = turn.time - voiceEnd;
    console.log(
      `speech: ${call.voiceEndMs! - LEAD_IN_MS} ms of voice; recognized ${recognitionMs} ms after the voice ended ` +
        `(includes the VAD's 240 ms end-of-speech hangover); BYE ${bye.at - voiceEnd} ms after (the "please hold" prompt, then UpdateContactAttributes)`,
    );
    assert.ok(recognitionMs > 0 && recognitionMs < 10_000, `recognition took ${recognitionMs} ms`);
  });
});
