/**
 * SRTCP (RFC 3711 section 3.4) and SRTP against libsrtp, a reference implementation we did not
 * write (Debian libsrtp2 through python3-pylibsrtp, test/helpers/libsrtp-peer.py): what we
 * protect, libsrtp unprotects, and the other way round; tampering and replays are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SrtcpContext, SrtpContext } from '../../media-core/media/srtp.ts';
import { buildRtcpReport } from '../../media-core/media/rtcp.ts';
import { serializeRtp } from '../../media-core/media/rtp-packet.ts';
import { createSocket, type Socket } from 'node:dgram';
import { openCarrier } from '../../media-core/media/carrier.ts';
import { parseRtcp } from '../../media-core/media/rtcp.ts';
import type { RtpSession } from '../../media-core/media/rtp-session.ts';
import { freeSipPort } from '../../dev/free-ports.ts';

type Op = 'protect' | 'unprotect' | 'protect_rtcp' | 'unprotect_rtcp';

// Debian python3-pylibsrtp; CI installs it (.ci/run), so there a missing peer fails instead.
const noPeer = spawnSync('/usr/bin/python3', ['-c', 'import pylibsrtp']).status !== 0 && !process.env.CI && 'needs python3-pylibsrtp (Debian)';

/** libsrtp in a child process; `call` resolves with its packet or its refusal. */
function libsrtp() {
  const child = spawn('/usr/bin/python3', [fileURLToPath(new URL('../helpers/libsrtp-peer.py', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  return {
    call(op: Op, key: Buffer, packet: Buffer): Promise<Buffer | string> {
      return new Promise((resolve) => {
        waiting.push((l) => {
          const r = JSON.parse(l) as { packet?: string; error?: string };
          resolve(r.packet !== undefined ? Buffer.from(r.packet, 'hex') : `refused: ${r.error}`);
        });
        child.stdin!.write(`${JSON.stringify({ op, key: key.toString('hex'), packet: packet.toString('hex') })}\n`);
      });
    },
    close: () => child.kill(),
  };
}

const report = (ssrc: number) =>
  buildRtcpReport(ssrc, { wallMs: Date.now(), rtpTimestamp: 123456, packets: 500, octets: 80_000 }, { ssrc: 0x1234, fractionLost: 0, cumulativeLost: 2, extHighestSeq: 700, jitter: 40, lsr: 0, dlsr: 0 }, 'test@media-core');

test('SRTCP: libsrtp unprotects what we protect, and we unprotect what libsrtp protects', { skip: noPeer }, async (t) => {
  const peer = libsrtp();
  t.after(() => peer.close());
  const key = randomBytes(30);
  const ours = new SrtcpContext(key);
  for (let i = 0; i < 3; i++) {
    const rtcp = report(0xdeadbeef);
    const srtcp = ours.protect(rtcp)!;
    assert.notDeepEqual(srtcp.subarray(8, rtcp.length), rtcp.subarray(8), 'encrypted after the first 8 bytes');
    assert.deepEqual(await peer.call('unprotect_rtcp', key, srtcp), rtcp, `libsrtp reads our packet ${i}`);
  }
  const theirs = new SrtcpContext(key);
  for (let i = 0; i < 3; i++) {
    const rtcp = report(0xcafef00d);
    const srtcp = (await peer.call('protect_rtcp', key, rtcp)) as Buffer;
    assert.deepEqual(theirs.unprotect(srtcp), rtcp, `we read libsrtp's packet ${i}`);
    assert.equal(theirs.unprotect(srtcp), undefined, 'a replay is refused');
    const tampered = Buffer.from(srtcp);
    tampered[12]! ^= 1;
    assert.equal(new SrtcpContext(key).unprotect(tampered), undefined, 'a changed byte fails authentication');
  }
  assert.equal(new SrtcpContext(randomBytes(30)).unprotect((await peer.call('protect_rtcp', key, report(0xcafef00d))) as Buffer), undefined, 'another key fails authentication');
});

test('SRTP: libsrtp and our SRTP read each other', { skip: noPeer }, async (t) => {
  const peer = libsrtp();
  t.after(() => peer.close());
  const key = randomBytes(30);
  const out = new SrtpContext(key);
  const inn = new SrtpContext(key);
  for (let seq = 65534; seq < 65540; seq++) {
    const rtp = serializeRtp({ payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: seq * 160, ssrc: 0x11223344 }, randomBytes(160));
    const buf = Buffer.alloc(rtp.length + 10);
    rtp.copy(buf);
    const n = out.protect(buf, rtp.length);
    assert.deepEqual(await peer.call('unprotect', key, buf.subarray(0, n)), rtp, `libsrtp reads our seq ${seq & 0xffff}`);
    const theirs = (await peer.call('protect', key, rtp)) as Buffer;
    const copy = Buffer.from(theirs);
    assert.equal(inn.unprotect(copy, copy.length), rtp.length);
    assert.deepEqual(copy.subarray(0, rtp.length), rtp, `we read libsrtp's seq ${seq & 0xffff}`);
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bind = (port: number) =>
  new Promise<Socket | undefined>((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => (sock.close(), resolve(undefined)));
    sock.bind(port, '127.0.0.1', () => resolve(sock));
  });

for (const io of ['dgram', 'native'] as const)
  test(`an SRTP call (${io} carrier) reports over SRTCP that libsrtp reads, and reads libsrtp's SRTCP reports`, { skip: noPeer || (io === 'native' && process.platform !== 'linux' && 'Linux only') }, async (t) => {
    const peer = libsrtp();
    t.after(() => peer.close());
    let rtp: Socket | undefined;
    let rtcp: Socket | undefined;
    for (let i = 0; i < 20 && !(rtp && rtcp); i++) {
      rtp?.close();
      const p = (await freeSipPort()) & ~1;
      rtp = await bind(p);
      rtcp = rtp && (await bind(p + 1));
    }
    assert.ok(rtp && rtcp, 'a free port pair');
    const wire: Buffer[] = [];
    rtcp.on('message', (m) => wire.push(m));
    const base = (await freeSipPort()) & ~1;
    const carrier = openCarrier({ io, address: '127.0.0.1', portMin: base, portMax: base + 1 });
    const ourKey = randomBytes(30);
    const peerKey = randomBytes(30);
    try {
      const s = (await carrier.open({ codec: 'PCMU', payloadType: 0, rtcpIntervalMs: 200, srtp: { localKey: ourKey, remoteKey: peerKey } })) as RtpSession;
      s.setRemote('127.0.0.1', rtp.address().port);
      await s.play(new Int16Array(160 * 3));
      for (let i = 0; i < 300 && wire.length === 0; i++) await sleep(10);
      assert.ok(wire.length > 0, 'a report came');
      const plain = await peer.call('unprotect_rtcp', ourKey, wire[0]!);
      assert.ok(Buffer.isBuffer(plain), `libsrtp reads our report: ${String(plain)}`);
      assert.equal(wire[0]!.length, plain.length + 14, 'SRTCP index and tag appended');
      assert.ok(!wire[0]!.subarray(8, plain.length).equals(plain.subarray(8)), 'encrypted after the first 8 bytes on the wire');
      assert.equal(parseRtcp(plain)!.sr!.ssrc, s.ssrc, 'an SR from our SSRC');
      // The peer's RR, protected by libsrtp with its key: we read its view of our stream.
      const rr = buildRtcpReport(777, undefined, { ssrc: s.ssrc, fractionLost: 25, cumulativeLost: 1, extHighestSeq: 3, jitter: 80, lsr: 0, dlsr: 0 }, 'peer');
      rtcp.send((await peer.call('protect_rtcp', peerKey, rr)) as Buffer, s.localPort + 1, '127.0.0.1');
      for (let i = 0; i < 300 && !s.rtcpStats?.peer; i++) await sleep(10);
      assert.equal(s.rtcpStats?.peer?.fractionLost, 25);
      // The same RR in the clear is not taken on an SRTP call.
      rtcp.send(buildRtcpReport(777, undefined, { ssrc: s.ssrc, fractionLost: 99, cumulativeLost: 1, extHighestSeq: 3, jitter: 80, lsr: 0, dlsr: 0 }, 'peer'), s.localPort + 1, '127.0.0.1');
      await sleep(200);
      assert.equal(s.rtcpStats?.peer?.fractionLost, 25);
      assert.equal(s.rtcpStats?.reportsReceived, 1);
      s.close();
    } finally {
      carrier.close();
      rtp.close();
      rtcp.close();
    }
  });
