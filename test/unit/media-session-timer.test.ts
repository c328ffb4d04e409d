/** RFC 4028 session timers at the engine (UAS), with 1 s of interval scaled to 20 ms. */
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Uas } from '../../media-core/engine/uas.ts';
import type { HangupEvent } from '../../media-core/call/types.ts';
import { buildResponse, serializeMessage } from '../../media-core/sip/serialize.ts';
import { getHeader, type SipMessage, type SipRequest } from '../../media-core/sip/message.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { RawSipPeer, newTestDialog, offerSdp, requestText, toTagOf } from '../sip/sip-client.ts';

const isResp = (status: number, cseq?: string) => (m: SipMessage) => m.kind === 'response' && m.status === status && (!cseq || getHeader(m, 'cseq') === cseq);
const isReq = (method: string) => (m: SipMessage) => m.kind === 'request' && m.method === method;

describe('RFC 4028 session timers', { timeout: 60_000 }, () => {
  let engine: Uas;
  let port: number;
  const hangups: HangupEvent[] = [];
  before(async () => {
    port = await freeSipPort();
    const rtpBase = (await freeSipPort()) & ~1;
    engine = await Uas.start(
      { sip: { address: '127.0.0.1', udpPort: port }, rtp: { address: '127.0.0.1', portMin: rtpBase, portMax: rtpBase + 9 }, maxCalls: 5, t1Ms: 50, sessionTimer: { unitMs: 20 } },
      (c) => {
        c.on('hangup', (h: HangupEvent) => hangups.push(h));
        void c.answer().catch(() => undefined);
      },
    );
  });
  after(async () => {
    await engine?.close();
  });

  async function call(extra: string[]) {
    const peer = await RawSipPeer.udp(port);
    const d = newTestDialog('UDP', peer.localPort, port);
    peer.send(requestText(d, 'INVITE', { body: offerSdp(43000), extra }));
    const final = await peer.waitFor((m) => m.kind === 'response' && m.status >= 200);
    return { peer, d, final: final?.kind === 'response' ? final : undefined };
  }

  test('an interval below our Min-SE gets 422 with Min-SE: 90', async () => {
    const { peer, final } = await call(['Supported: timer', 'Session-Expires: 60']);
    assert.equal(final?.status, 422);
    assert.equal(getHeader(final!, 'min-se'), '90');
    peer.close();
  });

  test('refresher uac: the 200 carries the timer; refreshes keep the call; a missing refresh ends it with BYE', async () => {
    const { peer, d, final } = await call(['Supported: timer', 'Session-Expires: 90;refresher=uac']);
    assert.equal(final?.status, 200);
    assert.equal(getHeader(final!, 'session-expires'), '90;refresher=uac');
    assert.equal(getHeader(final!, 'require'), 'timer');
    d.toTag = toTagOf(final!);
    peer.send(requestText(d, 'ACK', { branch: 'z9hG4bKack1' }));
    // BYE would come 1200 ms after the last refresh (90 s - 30 s, scaled): refresh at 500 ms.
    await new Promise((r) => setTimeout(r, 500));
    d.cseq = 2;
    peer.send(requestText(d, 'UPDATE', { branch: 'z9hG4bKupd2', extra: ['Supported: timer', 'Session-Expires: 90;refresher=uac'] }));
    const ok = await peer.waitFor(isResp(200, '2 UPDATE'));
    assert.equal(getHeader(ok!, 'session-expires'), '90;refresher=uac');
    assert.equal(await peer.waitFor(isReq('BYE'), 900), undefined, 'no BYE 1400 ms after the answer: the refresh counted');
    const bye = await peer.waitFor(isReq('BYE'), 3000);
    assert.ok(bye, 'BYE once the refresh is overdue');
    assert.deepEqual(hangups.at(-1), { by: 'error', reason: 'session-expired' });
    peer.close();
  });

  test('refresher uas (caller without timer support): we refresh by UPDATE; a dead peer (481) gets BYE', async () => {
    const { peer, d, final } = await call(['Session-Expires: 90', 'Allow: INVITE, ACK, BYE, UPDATE']);
    assert.equal(final?.status, 200);
    assert.equal(getHeader(final!, 'session-expires'), '90;refresher=uas');
    assert.equal(getHeader(final!, 'require'), undefined);
    d.toTag = toTagOf(final!);
    peer.send(requestText(d, 'ACK', { branch: 'z9hG4bKack1' }));
    const first = (await peer.waitFor(isReq('UPDATE'), 3000)) as SipRequest | undefined;
    assert.ok(first, 'our refresh at half the interval (900 ms)');
    assert.equal(getHeader(first, 'session-expires'), '90;refresher=uas');
    peer.send(serializeMessage(buildResponse(first, 200, {})));
    const second = (await peer.waitFor(isReq('UPDATE'), 3000)) as SipRequest | undefined;
    assert.ok(second, 'refreshed again');
    peer.send(serializeMessage(buildResponse(second, 481, {})));
    assert.ok(await peer.waitFor(isReq('BYE'), 2000), 'BYE after the failed refresh');
    assert.deepEqual(hangups.at(-1), { by: 'error', reason: 'session refresh failed' });
    peer.close();
  });
});
