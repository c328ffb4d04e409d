/**
 * Engine drain with a drain action (issue 12 item 7): at the deadline each remaining call gets
 * the action (here a BYE carrying a marker, standing for the integration's transfer or error
 * outcome) instead of a bare BYE; an action that does not finish within its budget is
 * followed by the last-resort BYE.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Uas } from '../../media-core/engine/uas.ts';
import type { Call } from '../../media-core/call/types.ts';
import { getHeader, type SipMessage } from '../../media-core/sip/message.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { RawSipPeer, newTestDialog, offerSdp, requestText, toTagOf } from './sip-client.ts';

const isBye = (m: SipMessage) => m.kind === 'request' && m.method === 'BYE';

describe('engine drain action', { timeout: 60_000 }, () => {
  let engine: Uas;
  let port: number;
  const calls: Call[] = [];

  before(async () => {
    port = await freeSipPort();
    engine = await Uas.start({ sip: { address: '127.0.0.1', udpPort: port }, rtp: { address: '127.0.0.1', portMin: 42720, portMax: 42727 }, maxCalls: 'trial', t1Ms: 40 }, (c) => {
      calls.push(c);
      void c.answer().catch(() => undefined);
    });
  });
  after(async () => {
    await engine?.close();
  });

  async function establish(rtpPort: number): Promise<RawSipPeer> {
    const peer = await RawSipPeer.udp(port);
    const d = newTestDialog('UDP', peer.localPort, port);
    peer.send(requestText(d, 'INVITE', { body: offerSdp(rtpPort) }));
    const ok = await peer.waitFor((m) => m.kind === 'response' && m.status === 200);
    assert.ok(ok);
    d.toTag = toTagOf(ok);
    peer.send(requestText(d, 'ACK', { branch: 'z9hG4bKack' + rtpPort }));
    return peer;
  }

  test('each remaining call gets the drain action, not a bare BYE; a stuck action is cut at its budget', async () => {
    const quick = await establish(43200);
    const stuck = await establish(43202);
    await new Promise((r) => setTimeout(r, 100));
    const [quickCall, stuckCall] = calls.slice(-2);
    const acted: string[] = [];
    const t0 = Date.now();
    await engine.drain(200, {
      actionMs: 600,
      action: async (c) => {
        acted.push(c.info.callId);
        if (c === stuckCall) return new Promise<void>(() => undefined); // never finishes
        await c.hangup([{ name: 'X-Drain-Action', value: 'transfer' }]);
      },
    });
    const took = Date.now() - t0;
    assert.equal(acted.length, 2, 'both calls got the action');
    const bye1 = await quick.waitFor(isBye);
    assert.equal(getHeader(bye1!, 'x-drain-action'), 'transfer');
    assert.equal(getHeader(bye1!, 'reason'), undefined, 'not the bare drain BYE');
    const bye2 = await stuck.waitFor(isBye);
    assert.match(getHeader(bye2!, 'reason') ?? '', /cause=503/, 'the last-resort BYE after the budget');
    assert.ok(took >= 700 && took < 5000, `deadline 200 ms + action budget 600 ms, took ${took} ms`);
    assert.equal(quickCall!.state, 'ended');
    assert.equal(engine.activeCalls(), 0);
    quick.close();
    stuck.close();
  });
});
