/**
 * Engine behaviour with a raw SIP peer: offer/answer variants (no SDP in INVITE, 488),
 * re-INVITE hold on the same port, INFO dtmf-relay, 2xx retransmission until ACK,
 * INVITE retransmissions absorbed, stream bounds (absurd Content-Length, endless header,
 * too many headers), RTP port exhaustion 503, drain (503 + Retry-After, BYE at deadline).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Uas } from '../../media-core/engine/uas.ts';
import type { Call, DigitEvent, HangupEvent } from '../../media-core/call/types.ts';
import { getHeader, type SipMessage } from '../../media-core/sip/message.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { RawSipPeer, newTestDialog, offerSdp, requestText, toTagOf, type TestDialog } from './sip-client.ts';

const isResp = (status: number, cseq?: string) => (m: SipMessage) => m.kind === 'response' && m.status === status && (!cseq || getHeader(m, 'cseq') === cseq);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('engine with a raw peer', { timeout: 60_000 }, () => {
  let engine: Uas;
  let port: number;
  let behaviour: (c: Call) => void = (c) => void c.answer().catch(() => undefined).catch(() => undefined);
  const calls: Call[] = [];

  before(async () => {
    port = await freeSipPort();
    engine = await Uas.start(
      { sip: { address: '127.0.0.1', udpPort: port, tcpPort: port, idleTimeoutMs: 2000 }, rtp: { address: '127.0.0.1', portMin: 42600, portMax: 42603 }, maxCalls: 'trial', t1Ms: 40 },
      (c) => {
        calls.push(c);
        behaviour(c);
      },
    );
  });
  after(async () => {
    await engine?.close();
  });

  /** INVITE + 200 + ACK on a fresh UDP peer. */
  async function establish(body = offerSdp(43000)): Promise<{ peer: RawSipPeer; d: TestDialog; ok: SipMessage }> {
    const peer = await RawSipPeer.udp(port);
    const d = newTestDialog('UDP', peer.localPort, port);
    peer.send(requestText(d, 'INVITE', { body }));
    const ok = await peer.waitFor(isResp(200, '1 INVITE'));
    assert.ok(ok, 'INVITE answered');
    d.toTag = toTagOf(ok);
    return { peer, d, ok };
  }

  test('INVITE without SDP: our offer in the 200, the answer in the ACK', async () => {
    behaviour = (c) => void c.answer().catch(() => undefined).catch(() => undefined);
    const { peer, d, ok } = await establish('');
    const offer = ok.body.toString();
    assert.match(offer, /m=audio \d+ RTP\/AVP 0 8 101/);
    const answered = new Promise((r) => calls.at(-1)!.once('answered', r));
    peer.send(requestText(d, 'ACK', { branch: 'z9hG4bKa1', body: offerSdp(43002).replace('RTP/AVP 0 8 101', 'RTP/AVP 8 101') }));
    await answered;
    assert.equal(calls.at(-1)!.state, 'answered');
    await calls.at(-1)!.hangup();
    assert.ok(await peer.waitFor((m) => m.kind === 'request' && m.method === 'BYE'));
    peer.close();
  });

  test('no acceptable codec: 488', async () => {
    const peer = await RawSipPeer.udp(port);
    const d = newTestDialog('UDP', peer.localPort, port);
    peer.send(requestText(d, 'INVITE', { body: offerSdp(43004).replace('RTP/AVP 0 8 101', 'RTP/AVP 18').replace(/a=rtpmap:(0|8|101).*\r\n/g, '').replace('a=fmtp:101 0-15\r\n', '') }));
    assert.ok(await peer.waitFor(isResp(488)));
    assert.equal(engine.activeCalls(), 0);
    peer.close();
  });

  test('re-INVITE to hold: 200 with recvonly on the same port; INFO dtmf-relay gives a digit; retransmitted INVITE absorbed', async () => {
    const digits: DigitEvent[] = [];
    let offered = 0;
    behaviour = (c) => {
      offered++;
      c.on('digit', (dg: DigitEvent) => digits.push(dg));
      void c.answer().catch(() => undefined);
    };
    const { peer, d, ok } = await establish();
    // A retransmission of the INVITE (same branch) gets the 200 again, not a second call.
    peer.send(requestText({ ...d, toTag: undefined }, 'INVITE', { body: offerSdp(43000) }));
    assert.ok(await peer.waitFor(isResp(200, '1 INVITE')));
    assert.equal(offered, 1);
    peer.send(requestText(d, 'ACK', { branch: 'z9hG4bKa2' }));
    const firstPort = /m=audio (\d+)/.exec(ok.body.toString())![1];
    d.cseq = 2;
    peer.send(requestText(d, 'INVITE', { branch: 'z9hG4bKre2', body: offerSdp(43000).replace('a=sendrecv', 'a=sendonly') }));
    const re = await peer.waitFor(isResp(200, '2 INVITE'));
    assert.ok(re);
    assert.match(re.body.toString(), /a=recvonly/);
    assert.equal(/m=audio (\d+)/.exec(re.body.toString())![1], firstPort);
    peer.send(requestText(d, 'ACK', { branch: 'z9hG4bKa3', cseq: 2 }));
    d.cseq = 3;
    peer.send(requestText(d, 'INFO', { branch: 'z9hG4bKinfo3', body: 'Signal=5\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' }));
    assert.ok(await peer.waitFor(isResp(200, '3 INFO')));
    assert.deepEqual(digits, [{ digit: '5', durationMs: 160, source: 'info' }]);
    d.cseq = 4;
    peer.send(requestText(d, 'BYE', { branch: 'z9hG4bKbye4' }));
    assert.ok(await peer.waitFor(isResp(200, '4 BYE')));
    peer.close();
  });

  test('the 200 is retransmitted until ACK; without ACK the call ends with BYE after 64*T1', async () => {
    const hangups: HangupEvent[] = [];
    behaviour = (c) => {
      c.on('hangup', (h: HangupEvent) => hangups.push(h));
      void c.answer().catch(() => undefined);
    };
    const { peer } = await establish();
    await sleep(64 * 40 + 300);
    const oks = peer.received.filter(isResp(200, '1 INVITE')).length;
    assert.ok(oks >= 4, `${oks + 1} copies of the 200`);
    assert.ok(peer.received.some((m) => m.kind === 'request' && m.method === 'BYE'), 'BYE sent');
    assert.deepEqual(hangups, [{ by: 'error', reason: 'no ACK' }]);
    peer.close();
  });

  test('RTP port exhaustion: 503, calls in progress untouched', async () => {
    behaviour = (c) => void c.answer().catch(() => undefined).catch(() => undefined);
    const a = await establish();
    const b = await establish();
    const peer = await RawSipPeer.udp(port);
    const d = newTestDialog('UDP', peer.localPort, port);
    peer.send(requestText(d, 'INVITE', { body: offerSdp(43010) }));
    const res = await peer.waitFor((m) => m.kind === 'response' && m.status >= 300);
    assert.equal(res?.kind === 'response' && res.status, 503);
    assert.equal(engine.activeCalls(), 2);
    for (const x of [a, b]) {
      x.d.cseq = 2;
      x.peer.send(requestText(x.d, 'BYE', { branch: 'z9hG4bKb' + x.d.fromTag }));
      assert.ok(await x.peer.waitFor(isResp(200, '2 BYE')));
      x.peer.close();
    }
    peer.close();
  });

  test('stream bounds: absurd Content-Length gets 400 and a close; endless header and too many headers too', async () => {
    const tcp = await RawSipPeer.tcp(port);
    const d = newTestDialog('TCP', tcp.localPort, port);
    tcp.send(requestText(d, 'OPTIONS').replace('Content-Length: 0', 'Content-Length: 999999999'));
    const bad = await tcp.waitFor(isResp(400));
    assert.ok(bad, '400 for the absurd Content-Length');
    await sleep(100);
    assert.ok(tcp.closed, 'connection closed');

    const endless = connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => endless.on('close', () => r()));
    endless.on('error', () => undefined);
    const chunk = Buffer.from('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n' + 'X-Junk: ' + 'a'.repeat(1000) + '\r\n'.repeat(1));
    let sent = 0;
    while (sent < 200_000 && !endless.destroyed) {
      endless.write(Buffer.from('X-Junk: ' + 'a'.repeat(1000) + '\r\n'));
      sent += 1010;
    }
    void chunk;
    await Promise.race([closed, sleep(3000)]);
    assert.ok(endless.destroyed || endless.readableEnded, 'endless header section closed the connection');
    endless.destroy();

    const many = await RawSipPeer.udp(port);
    const d2 = newTestDialog('UDP', many.localPort, port);
    many.send(requestText(d2, 'OPTIONS', { extra: Array.from({ length: 300 }, (_, i) => `X-H${i}: v`) }));
    assert.ok(await many.waitFor(isResp(400)), '400 for 300 headers');
    many.close();
  });

  test('idle TCP connections are closed', async () => {
    const tcp = await RawSipPeer.tcp(port);
    await sleep(2500);
    assert.ok(tcp.closed);
  });

  test('drain: new INVITEs get 503 + Retry-After, the call in progress gets BYE at the deadline', async () => {
    const hangups: HangupEvent[] = [];
    behaviour = (c) => {
      c.on('hangup', (h: HangupEvent) => hangups.push(h));
      void c.answer().catch(() => undefined);
    };
    const { peer, d } = await establish();
    peer.send(requestText(d, 'ACK', { branch: 'z9hG4bKad' }));
    const draining = engine.drain(400);
    const late = await RawSipPeer.udp(port);
    const d2 = newTestDialog('UDP', late.localPort, port);
    late.send(requestText(d2, 'INVITE', { body: offerSdp(43020) }));
    const r503 = await late.waitFor(isResp(503));
    assert.ok(r503);
    assert.ok(getHeader(r503, 'retry-after'));
    await draining;
    assert.ok(await peer.waitFor((m) => m.kind === 'request' && m.method === 'BYE'));
    assert.deepEqual(hangups, [{ by: 'error', reason: 'drain deadline' }]);
    assert.equal(engine.activeCalls(), 0);
    peer.close();
    late.close();
  });
});
