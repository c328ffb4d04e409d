/**
 * The error path through the real local stack: the assistant is unreachable (an HTTP webhook
 * assistant on a closed 127.0.0.1 port), so the media core speaks the integration's failure
 * message and hangs up with a plain BYE, and no outcome reaches the contact center (for
 * Amazon Connect: no UpdateContactAttributes, so the flow's error branch takes over).
 *
 * The caller's SDP points the media core's RTP at a socket of this test, which measures the
 * failure message's audio.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlacedCall } from '../../dev/caller/place-call.ts';
import { header, receivedRequest } from '../helpers/e2e-ladder.ts';
import { freeTcpPort } from '../../dev/free-ports.ts';
import { startRtpSink, type RtpSink } from '../helpers/e2e-rtp.ts';
import { startTestStack, type TestStack } from '../helpers/e2e-stack.ts';

const FAILURE_MESSAGE = 'Sorry, the assistant cannot be reached. Please call again later.';

/** A media core config whose two numbers use an assistant nobody answers for. */
function unreachableAssistantConfig(assistantPort: number): object {
  const integration = { assistant: 'unreachable', speech: 'embedded', failureMessage: FAILURE_MESSAGE };
  return {
    assistants: { unreachable: { type: 'webhook', url: `http://127.0.0.1:${assistantPort}/assistant`, timeoutMs: 2000 } },
    speech: { embedded: { tts: { provider: 'espeak', voice: 'en-us', rate: 175 }, stt: { provider: 'pocketsphinx' } } },
    integrations: [
      { ...integration, number: '+15550100003', contactCenter: { vendor: 'amazon_connect', functionName: 'open-phone-integration-dev-amazonConnectOutcome' } },
      { ...integration, number: '+15550100001', contactCenter: { vendor: 'sip_trunk', agentUri: 'sip:agent@127.0.0.1:5090' } },
    ],
    lambda: { region: 'us-east-1', timeoutMs: 10000 },
    media: { allowLoopbackMedia: true }, // local development: SIPp on 127.0.0.1
  };
}

describe('error path: the assistant is unreachable', { timeout: 120_000 }, () => {
  let dir: string;
  let stack: TestStack;
  const sinks: RtpSink[] = [];
  let connect: PlacedCall;
  let trunk: PlacedCall;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'e2e-error-path-'));
    // Bound and released: nothing listens there during the test.
    const closedPort = await freeTcpPort();
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(unreachableAssistantConfig(closedPort), null, 2));
    stack = await startTestStack({ configFile });
    sinks.push(await startRtpSink(), await startRtpSink());
    [connect, trunk] = await Promise.all([
      stack.call({ to: '+15550100003', afterMs: 0, rtpSinkPort: sinks[0]!.port, timeoutMs: 30_000 }),
      stack.call({ to: '+15550100001', afterMs: 0, rtpSinkPort: sinks[1]!.port, timeoutMs: 30_000 }),
    ]);
  });
  after(async () => {
    for (const s of sinks) await s.close();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('Amazon Connect number: the caller hears the failure message, then a BYE; no UpdateContactAttributes', () => {
    assert.equal(connect.vendor, 'amazon_connect');
    assert.equal(connect.sipp.code, 0, stack.explain(connect));
    const bye = receivedRequest(connect, 'BYE');
    assert.ok(bye, stack.explain(connect));
    assert.equal(receivedRequest(connect, 'REFER'), undefined);
    assert.deepEqual([...bye.headers.keys()].filter((h) => h.startsWith('x-') || h === 'user-to-user'), [], 'a plain BYE');
    const { pcmu, audible } = sinks[0]!.stats();
    const answered = connect.messages.find((m) => m.direction === 'received' && m.status === 200)?.at ?? 0;
    console.log(`failure message: ${audible} audible of ${pcmu} PCMU packets (20 ms each); BYE ${bye.at - answered} ms after the answer`);
    // The message is about 4 s of speech: 50 packets per second, some of them pauses.
    assert.ok(audible >= 50, `audible PCMU packets: ${audible} of ${pcmu}`);
    const updates = connect.sandboxEvents.filter((e) => e.vendor === 'amazon_connect' && e.operation === 'UpdateContactAttributes');
    assert.deepEqual(updates, [], 'no attribute written: the flow takes its error branch');
    assert.equal(connect.sandbox?.kind, 'none');
  });

  test('SIP trunk number: failure message, then a BYE without headers, no REFER', () => {
    assert.equal(trunk.sipp.code, 0, stack.explain(trunk));
    const bye = receivedRequest(trunk, 'BYE');
    assert.ok(bye, stack.explain(trunk));
    assert.equal(header(bye, 'x-call-result'), undefined);
    assert.equal(receivedRequest(trunk, 'REFER'), undefined);
    assert.ok(sinks[1]!.stats().audible >= 50, JSON.stringify(sinks[1]!.stats()));
  });

  test('the media core logged the failure and ended both calls', () => {
    const log = stack.log('media-core');
    for (const call of [connect, trunk]) {
      const callId = call.messages[0]?.headers.get('call-id')?.[0];
      assert.ok(callId);
      const mine = log.filter((l) => l.includes(`"${callId}"`));
      assert.ok(mine.some((l) => l.includes('conversation failed')), `failure logged for ${callId}:\n${mine.join('\n')}`);
      assert.ok(mine.some((l) => l.includes('"call ended"')), `call ended for ${callId}:\n${mine.join('\n')}`);
    }
  });

  test('nothing left running after stop', async () => {
    await stack.stop();
    assert.deepEqual(stack.leftovers(), []);
  });
});
