import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parse } from 'sdp-transform';
import { negotiateAnswer, createOffer, acceptAnswer, isRejection, destinationProblem, type SdpNegotiation, type SdpRejection } from '../../media-core/media/sdp.ts';

const offer = (media: string, extra = '', c = '192.0.2.10') =>
  ['v=0', 'o=peer 123 7 IN IP4 ' + c, 's=call', `c=IN IP4 ${c}`, 't=0 0', media, extra].filter(Boolean).join('\r\n') + '\r\n';

const local = { address: '127.0.0.1', port: 20000, sessionId: '4242', allowLoopback: true };

function ok(r: SdpNegotiation | SdpRejection): SdpNegotiation {
  if (isRejection(r)) assert.fail(`rejected: ${r.reason}`);
  return r;
}

describe('negotiateAnswer (RFC 3264)', () => {
  test('PCMU + telephone-event, remote from c= and m=', () => {
    const r = ok(negotiateAnswer(offer('m=audio 30000 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16'), local));
    assert.equal(r.codec, 'PCMU');
    assert.equal(r.payloadType, 0);
    assert.equal(r.telephoneEventPt, 101);
    assert.deepEqual(r.remote, { address: '192.0.2.10', port: 30000 });
    assert.equal(r.direction, 'sendrecv');
    assert.equal(r.ptime, 20);
    assert.equal(r.srtp, undefined);
    const a = parse(r.answerSdp);
    assert.equal(a.origin!.address, '127.0.0.1');
    assert.equal(String(a.origin!.sessionId), '4242');
    assert.equal(a.origin!.sessionVersion, 1);
    assert.equal(a.connection!.ip, '127.0.0.1');
    assert.equal(a.media[0]!.port, 20000);
    assert.equal(a.media[0]!.protocol, 'RTP/AVP');
    assert.equal(String(a.media[0]!.payloads), '0 101');
    assert.equal(a.media[0]!.ptime, 20);
    assert.equal(a.media[0]!.direction, 'sendrecv');
    assert.ok(a.media[0]!.rtp.some((x) => x.codec === 'telephone-event' && x.payload === 101));
    assert.match(r.answerSdp, /\r\n$/);
  });

  test('first offered G.711 wins; dynamic telephone-event PT kept; static PT without rtpmap', () => {
    const r = ok(negotiateAnswer(offer('m=audio 30000 RTP/AVP 18 8 0 96', 'a=rtpmap:18 G729/8000\r\na=rtpmap:96 telephone-event/8000'), local));
    assert.equal(r.codec, 'PCMA');
    assert.equal(r.payloadType, 8);
    assert.equal(r.telephoneEventPt, 96);
    assert.equal(String(parse(r.answerSdp).media[0]!.payloads), '8 96');
  });

  test('no telephone-event offered: none answered', () => {
    const r = ok(negotiateAnswer(offer('m=audio 30000 RTP/AVP 0'), local));
    assert.equal(r.telephoneEventPt, undefined);
    assert.doesNotMatch(r.answerSdp, /telephone-event/);
  });

  test('media-level c= beats session-level', () => {
    const r = ok(negotiateAnswer(offer('m=audio 30000 RTP/AVP 0', 'c=IN IP4 198.51.100.7'), local));
    assert.equal(r.remote.address, '198.51.100.7');
  });

  test('no acceptable codec -> 488', () => {
    const r = negotiateAnswer(offer('m=audio 30000 RTP/AVP 18 9', 'a=rtpmap:18 G729/8000\r\na=rtpmap:9 G722/8000'), local);
    assert.ok(isRejection(r));
    assert.equal(r.status, 488);
    assert.match(r.reason, /codec/);
    const wideband = negotiateAnswer(offer('m=audio 30000 RTP/AVP 97', 'a=rtpmap:97 PCMU/16000'), local);
    assert.ok(isRejection(wideband));
  });

  test('garbage, no audio, port 0 -> 488 without throwing', () => {
    for (const sdp of ['', 'hello', 'v=0\r\n', offer('m=video 3000 RTP/AVP 31'), offer('m=audio 0 RTP/AVP 0'), offer('m=audio 3000 UDP/TLS/RTP/SAVPF 0')]) {
      const r = negotiateAnswer(sdp, local);
      assert.ok(isRejection(r), sdp);
      assert.equal(r.status, 488);
    }
    assert.ok(isRejection(negotiateAnswer(undefined as unknown as string, local)));
  });

  test('other streams are refused with port 0, in order', () => {
    const sdp = offer('m=video 4000 RTP/AVP 31\r\nm=audio 30000 RTP/AVP 0');
    const r = ok(negotiateAnswer(sdp, local));
    const a = parse(r.answerSdp);
    assert.equal(a.media.length, 2);
    assert.equal(a.media[0]!.type, 'video');
    assert.equal(a.media[0]!.port, 0);
    assert.equal(a.media[1]!.port, 20000);
  });

  test('directions are mirrored; hold by c=0.0.0.0; unhold', () => {
    const dir = (attr: string, c?: string) => ok(negotiateAnswer(offer('m=audio 30000 RTP/AVP 0', attr, c), { ...local, version: 2 })).direction;
    assert.equal(dir('a=sendrecv'), 'sendrecv');
    assert.equal(dir('a=sendonly'), 'recvonly');
    assert.equal(dir('a=recvonly'), 'sendonly');
    assert.equal(dir('a=inactive'), 'inactive');
    assert.equal(dir('', '0.0.0.0'), 'recvonly');
    assert.equal(dir('a=inactive', '0.0.0.0'), 'inactive');
    const hold = ok(negotiateAnswer(offer('m=audio 30000 RTP/AVP 0', 'a=sendonly'), { ...local, version: 2 }));
    assert.equal(parse(hold.answerSdp).media[0]!.direction, 'recvonly');
    assert.equal(parse(hold.answerSdp).origin!.sessionVersion, 2);
    const session = ['v=0', 'o=p 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'a=sendonly', 'm=audio 30000 RTP/AVP 0'].join('\r\n') + '\r\n';
    assert.equal(ok(negotiateAnswer(session, local)).direction, 'recvonly', 'session-level direction');
  });

  test('SRTP: SDES answered with our key under the same tag and suite', () => {
    const remoteKey = randomBytes(30);
    const localKey = randomBytes(30);
    const sdp = offer('m=audio 30000 RTP/SAVP 0 101',
      `a=rtpmap:101 telephone-event/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${randomBytes(30).toString('base64')}\r\na=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${remoteKey.toString('base64')}|2^31`);
    const r = ok(negotiateAnswer(sdp, { ...local, srtpKey: localKey }));
    assert.ok(r.srtp);
    assert.deepEqual(r.srtp.remoteKey, remoteKey);
    assert.deepEqual(r.srtp.localKey, localKey);
    assert.equal(r.srtp.suite, 'AES_CM_128_HMAC_SHA1_80');
    const m = parse(r.answerSdp).media[0]!;
    assert.equal(m.protocol, 'RTP/SAVP');
    assert.equal(m.crypto!.length, 1);
    assert.equal(m.crypto![0]!.id, 2);
    assert.equal(m.crypto![0]!.suite, 'AES_CM_128_HMAC_SHA1_80');
    assert.equal(m.crypto![0]!.config, `inline:${localKey.toString('base64')}`);
    // Without a key of our own, one is generated.
    const gen = ok(negotiateAnswer(sdp, local));
    assert.equal(gen.srtp!.localKey.length, 30);
  });

  test('SRTP without an acceptable crypto line -> 488', () => {
    const noCrypto = negotiateAnswer(offer('m=audio 30000 RTP/SAVP 0'), local);
    assert.ok(isRejection(noCrypto));
    assert.equal(noCrypto.status, 488);
    const onlyOther = negotiateAnswer(offer('m=audio 30000 RTP/SAVP 0', `a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:${randomBytes(46).toString('base64')}`), local);
    assert.ok(isRejection(onlyOther));
    const mki = negotiateAnswer(offer('m=audio 30000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${randomBytes(30).toString('base64')}|2^20|1:4`), local);
    assert.ok(isRejection(mki));
    const shortKey = negotiateAnswer(offer('m=audio 30000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${randomBytes(20).toString('base64')}`), local);
    assert.ok(isRejection(shortKey));
  });
});

describe('createOffer / acceptAnswer (offer in 200 OK, answer in ACK)', () => {
  test('plain offer and answer', () => {
    const o = createOffer({ ...local, version: 1 });
    const m = parse(o).media[0]!;
    assert.equal(m.protocol, 'RTP/AVP');
    assert.equal(String(m.payloads), '0 8 101');
    assert.equal(m.direction, 'sendrecv');
    // The peer answers by the same rules.
    const peer = ok(negotiateAnswer(o, { address: '127.0.0.2', port: 40000, allowLoopback: true }));
    const r = ok(acceptAnswer(o, peer.answerSdp, true));
    assert.equal(r.codec, 'PCMU');
    assert.equal(r.telephoneEventPt, 101);
    assert.deepEqual(r.remote, { address: '127.0.0.2', port: 40000 });
    assert.equal(r.direction, 'sendrecv');
    assert.equal(r.sessionId, '4242');
  });

  test('answer picking PCMA only; recvonly answer means we only send', () => {
    const o = createOffer(local);
    const answer = offer('m=audio 40000 RTP/AVP 8', 'a=recvonly');
    const r = ok(acceptAnswer(o, answer, true));
    assert.equal(r.codec, 'PCMA');
    assert.equal(r.telephoneEventPt, undefined);
    assert.equal(r.direction, 'sendonly');
  });

  test('SRTP offer: keys come back from both sides', () => {
    const myKey = randomBytes(30);
    const o = createOffer({ ...local, srtp: true, srtpKey: myKey });
    assert.equal(parse(o).media[0]!.protocol, 'RTP/SAVP');
    const peerKey = randomBytes(30);
    const peer = ok(negotiateAnswer(o, { address: '127.0.0.2', port: 40000, srtpKey: peerKey, allowLoopback: true }));
    assert.deepEqual(peer.srtp!.remoteKey, myKey);
    const r = ok(acceptAnswer(o, peer.answerSdp, true));
    assert.deepEqual(r.srtp!.localKey, myKey);
    assert.deepEqual(r.srtp!.remoteKey, peerKey);
  });

  test('bad answers are rejected', () => {
    const o = createOffer(local);
    assert.ok(isRejection(acceptAnswer(o, 'nonsense')));
    assert.ok(isRejection(acceptAnswer(o, offer('m=audio 0 RTP/AVP 0'))));
    assert.ok(isRejection(acceptAnswer(o, offer('m=audio 4000 RTP/AVP 18', 'a=rtpmap:18 G729/8000'))));
    const so = createOffer({ ...local, srtp: true });
    assert.ok(isRejection(acceptAnswer(so, offer('m=audio 4000 RTP/AVP 0'))));
  });
});

describe('media destinations (issue 12: SDP validation)', () => {
  const production = { address: '203.0.113.5', port: 20000 };
  const reason = (r: SdpNegotiation | SdpRejection) => (isRejection(r) ? r.reason : 'accepted');

  test('an SDP pointing to 127.0.0.1:22 is refused outside development, and for its port in development too', () => {
    assert.match(reason(negotiateAnswer(offer('m=audio 22 RTP/AVP 0', '', '127.0.0.1'), production)), /port 22/);
    assert.match(reason(negotiateAnswer(offer('m=audio 30000 RTP/AVP 0', '', '127.0.0.1'), production)), /loopback/);
    assert.equal(reason(negotiateAnswer(offer('m=audio 30000 RTP/AVP 0', '', '127.0.0.1'), { ...production, allowLoopback: true })), 'accepted');
    assert.match(reason(negotiateAnswer(offer('m=audio 22 RTP/AVP 0', '', '127.0.0.1'), { ...production, allowLoopback: true })), /port 22/);
  });

  test('IP literals only, ports 1024-65535; no multicast, link-local, reserved or IPv6 destinations', () => {
    for (const [c, port, want] of [
      ['media.example.com', 30000, /not an IP literal/],
      ['198.51.100.7', 70000, /outside 1024-65535/],
      ['198.51.100.7', 1023, /outside 1024-65535/],
      ['224.2.1.1', 30000, /multicast/],
      ['239.255.255.250', 30000, /multicast/],
      ['169.254.169.254', 30000, /link-local/],
      ['255.255.255.255', 30000, /broadcast/],
      ['0.1.2.3', 30000, /reserved/],
    ] as const) {
      assert.match(reason(negotiateAnswer(offer(`m=audio ${port} RTP/AVP 0`, '', c), production)), want, `${c}:${port}`);
    }
    const v6 = ['v=0', 'o=p 1 1 IN IP6 2001:db8::1', 's=-', 'c=IN IP6 2001:db8::1', 't=0 0', 'm=audio 30000 RTP/AVP 0'].join('\r\n') + '\r\n';
    assert.match(reason(negotiateAnswer(v6, production)), /only IPv4/);
    assert.equal(destinationProblem('198.51.100.7', 65535), undefined);
    assert.equal(destinationProblem('10.1.2.3', 1024), undefined, 'private addresses are fine (NAT, learned by latching)');
  });

  test('c=0.0.0.0 (RFC 2543 hold) and a declined stream (port 0) stay legal', () => {
    const hold = negotiateAnswer(offer('m=audio 30000 RTP/AVP 0', '', '0.0.0.0'), production);
    assert.equal(reason(hold), 'accepted');
    assert.equal((hold as SdpNegotiation).direction, 'recvonly');
    const declinedVideo = negotiateAnswer(offer('m=audio 30000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96'), production);
    assert.equal(reason(declinedVideo), 'accepted');
    assert.equal(parse((declinedVideo as SdpNegotiation).answerSdp).media[1]!.port, 0);
  });

  test('an answer in the ACK is held to the same rules', () => {
    const o = createOffer(production);
    assert.match(reason(acceptAnswer(o, offer('m=audio 22 RTP/AVP 0'))), /port 22/);
    assert.match(reason(acceptAnswer(o, offer('m=audio 30000 RTP/AVP 0', '', '127.0.0.1'))), /loopback/);
    assert.equal(reason(acceptAnswer(o, offer('m=audio 30000 RTP/AVP 0'))), 'accepted');
  });
});
