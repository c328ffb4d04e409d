/**
 * The media plane's defences at the engine (issue 12): strict RTP latching against a stranger
 * spraying the RTP range, SDP destinations validated (488), the per-integration SRTP policy,
 * and the RTP inactivity timeout with its hold exception.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { Uas, type UasOptions } from '../../media-core/engine/uas.ts';
import type { Call, HangupEvent } from '../../media-core/call/types.ts';
import { getHeader, type SipMessage } from '../../media-core/sip/message.ts';
import { serializeRtp } from '../../media-core/media/rtp-packet.ts';
import type { MediaPolicy } from '../../media-core/media/media-policy.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { RawSipPeer, newTestDialog, offerSdp, requestText, toTagOf } from '../sip/sip-client.ts';

const isResp = (status: number, cseq?: string) => (m: SipMessage) => m.kind === 'response' && m.status === status && (!cseq || getHeader(m, 'cseq') === cseq);
const isBye = (m: SipMessage) => m.kind === 'request' && m.method === 'BYE';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function udp(address = '127.0.0.1'): Promise<{ socket: Socket; port: number; packets: Buffer[] }> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const packets: Buffer[] = [];
    socket.on('message', (m) => packets.push(m));
    socket.bind(0, address, () => resolve({ socket, port: socket.address().port, packets }));
  });
}

const engines: Uas[] = [];
after(async () => {
  for (const e of engines) await e.close();
});

/** An engine whose calls are answered and hear a 2 s prompt; RTP on `rtpBase`..+9. */
async function engine(rtp: Partial<UasOptions['rtp']>, policies: Record<string, MediaPolicy> = {}, onCall: (c: Call) => void = (c) => {
  void c.answer().then(() => c.play(new Int16Array(16000).fill(3000))).catch(() => undefined);
}): Promise<{ engine: Uas; port: number; rtpBase: number }> {
  const port = await freeSipPort();
  const rtpBase = ((await freeSipPort()) & ~1);
  const e = await Uas.start(
    { sip: { address: '127.0.0.1', udpPort: port }, rtp: { address: '127.0.0.1', portMin: rtpBase, portMax: rtpBase + 9, ...rtp }, maxCalls: 5, t1Ms: 50, mediaPolicy: (user) => policies[user] },
    onCall,
  );
  engines.push(e);
  return { engine: e, port, rtpBase };
}

async function invite(port: number, body: string, user?: string) {
  const peer = await RawSipPeer.udp(port);
  const d = newTestDialog('UDP', peer.localPort, port);
  peer.send(requestText(d, 'INVITE', { body, user }));
  const m = await peer.waitFor((r) => r.kind === 'response' && r.status >= 200, 3000);
  const final = m?.kind === 'response' ? m : undefined;
  return { peer, d, final };
}

describe('media plane security at the engine', { timeout: 60_000 }, () => {
  test('a stranger on another address spraying the RTP range does not latch and receives nothing; the caller does', async () => {
    const { port, rtpBase } = await engine({});
    const caller = await udp(); // the SDP's media port; it sends no RTP (the case of issue 12's reproduction)
    const { peer, d, final } = await invite(port, offerSdp(caller.port));
    assert.equal(final?.status, 200);
    d.toTag = toTagOf(final!);
    peer.send(requestText(d, 'ACK', { branch: 'z9hG4bKack1' }));
    const stranger = await udp('127.0.0.2');
    // 10 rounds over the whole range, consecutive sequence numbers per port, our payload type.
    for (let round = 0; round < 10; round++) {
      for (let p = rtpBase; p <= rtpBase + 9; p += 2) {
        stranger.socket.send(serializeRtp({ payloadType: 0, sequenceNumber: 1000 + round, timestamp: round * 160, ssrc: 0x5eed }, new Uint8Array(160).fill(0x7f)), p, '127.0.0.1');
      }
      await sleep(20);
    }
    await sleep(300);
    assert.ok(caller.packets.length >= 10, `the caller hears the prompt (${caller.packets.length} packets)`);
    assert.equal(stranger.packets.length, 0, 'the stranger received nothing');
    d.cseq = 2;
    peer.send(requestText(d, 'BYE', { branch: 'z9hG4bKbye2' }));
    assert.ok(await peer.waitFor(isResp(200, '2 BYE')));
    for (const s of [caller, stranger]) s.socket.close();
    peer.close();
  });

  test('an SDP pointing to 127.0.0.1:22 (or any loopback) is refused with 488 outside development', async () => {
    const { port, engine: e } = await engine({ allowLoopback: false });
    for (const mediaPort of [22, 43000]) {
      const { peer, final } = await invite(port, offerSdp(mediaPort));
      assert.equal(final?.status, 488, `127.0.0.1:${mediaPort}`);
      peer.close();
    }
    const { peer, final } = await invite(port, offerSdp(43000).replaceAll('127.0.0.1', 'media.example.com'));
    assert.equal(final?.status, 488, 'hostname');
    peer.close();
    assert.equal(e.activeCalls(), 0);
  });

  test('per-integration SRTP policy: required refuses plain RTP, sdesOverTlsOnly refuses SDES over UDP, off refuses RTP/SAVP', async () => {
    const savp = offerSdp(43000).replace('RTP/AVP', 'RTP/SAVP').replace('a=sendrecv', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${randomBytes(30).toString('base64')}\r\na=sendrecv`);
    const { port } = await engine({}, {
      '15550100001': { srtp: 'required', sdesOverTlsOnly: false, trustedCidrs: [] },
      '15550100002': { srtp: 'optional', sdesOverTlsOnly: true, trustedCidrs: [] },
      '15550100003': { srtp: 'off', sdesOverTlsOnly: false, trustedCidrs: [] },
    });
    const cases: Array<[string, string, number]> = [
      ['15550100001', offerSdp(43000), 488],
      ['15550100001', savp, 200],
      ['15550100002', savp, 488],
      ['15550100002', offerSdp(43000), 200],
      ['15550100003', savp, 488],
      ['15550100003', offerSdp(43000), 200],
    ];
    for (const [user, body, want] of cases) {
      const { peer, d, final } = await invite(port, body, user);
      assert.equal(final?.status, want, `${user} ${body.includes('SAVP') ? 'RTP/SAVP' : 'RTP/AVP'}`);
      if (final?.status === 200) {
        d.toTag = toTagOf(final);
        peer.send(requestText(d, 'ACK', { branch: 'z9hG4bKack', user }));
        d.cseq = 2;
        peer.send(requestText(d, 'BYE', { branch: 'z9hG4bKbye', user }));
        assert.ok(await peer.waitFor(isResp(200, '2 BYE')));
      }
      peer.close();
    }
  });

  test('RTP inactivity: a silent caller gets BYE after rtpTimeoutMs; a caller on hold (a=inactive) does not', async () => {
    const hangups: HangupEvent[] = [];
    const { port } = await engine({ rtpTimeoutMs: 600 }, {}, (c) => {
      c.on('hangup', (h: HangupEvent) => hangups.push(h));
      void c.answer().catch(() => undefined);
    });
    // Silent caller: BYE after about 600 ms.
    const silent = await invite(port, offerSdp(43000));
    silent.d.toTag = toTagOf(silent.final!);
    silent.peer.send(requestText(silent.d, 'ACK', { branch: 'z9hG4bKack1' }));
    assert.ok(await silent.peer.waitFor(isBye, 3000), 'BYE to the silent caller');
    assert.deepEqual(hangups.at(-1), { by: 'error', reason: 'rtp-timeout' });
    silent.peer.close();
    // Held caller: a re-INVITE with a=inactive right after the ACK; no BYE while held.
    const held = await invite(port, offerSdp(43002));
    held.d.toTag = toTagOf(held.final!);
    held.peer.send(requestText(held.d, 'ACK', { branch: 'z9hG4bKack2' }));
    held.d.cseq = 2;
    held.peer.send(requestText(held.d, 'INVITE', { branch: 'z9hG4bKre2', body: offerSdp(43002).replace('a=sendrecv', 'a=inactive') }));
    assert.ok(await held.peer.waitFor(isResp(200, '2 INVITE')));
    held.peer.send(requestText(held.d, 'ACK', { branch: 'z9hG4bKack3', cseq: 2 }));
    assert.equal(await held.peer.waitFor(isBye, 1500), undefined, 'no BYE while on hold');
    // Off hold and still silent: BYE again.
    held.d.cseq = 3;
    held.peer.send(requestText(held.d, 'INVITE', { branch: 'z9hG4bKre3', body: offerSdp(43002) }));
    assert.ok(await held.peer.waitFor(isResp(200, '3 INVITE')));
    held.peer.send(requestText(held.d, 'ACK', { branch: 'z9hG4bKack4', cseq: 3 }));
    assert.ok(await held.peer.waitFor(isBye, 3000), 'BYE once off hold and silent');
    held.peer.close();
  });
});
