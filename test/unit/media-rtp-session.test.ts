import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { DigitEvent } from '../../media-core/call/types.ts';
import { RtpSession, type RtpSessionOptions } from '../../media-core/media/rtp-session.ts';
import { PortPool, PortPoolExhaustedError } from '../../media-core/media/port-pool.ts';
import { Scheduler } from '../../media-core/media/scheduler.ts';
import { decodeG711, type G711Codec } from '../../media-core/media/g711.ts';
import { parseRtpHeader, serializeRtp } from '../../media-core/media/rtp-packet.ts';
import { cidrList } from '../../media-core/media/latching.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { acquireRtpPacer, releaseRtpPacer } from '../../media-core/media/native/shared-pacer.ts';
import type { RtpPacer } from '../../media-core/media/native/rtp-pacer.ts';
import { until } from '../helpers/fake-call.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** PCM made of G.711 codeword values, so it survives encode/decode unchanged. */
function exactPcm(codec: G711Codec, samples: number): Int16Array {
  return decodeG711(codec, Uint8Array.from(randomBytes(samples)));
}

function collect(session: RtpSession): Int16Array[] {
  const frames: Int16Array[] = [];
  session.onAudio = (f) => frames.push(f);
  return frames;
}

const concat = (frames: Int16Array[]) => {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) { out.set(f, o); o += f.length; }
  return out;
};

function sniffer(address = '127.0.0.1'): Promise<{ socket: Socket; port: number; packets: Buffer[] }> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const packets: Buffer[] = [];
    socket.on('message', (m) => packets.push(m));
    socket.bind(0, address, () => resolve({ socket, port: socket.address().port, packets }));
  });
}

let pool: PortPool;
let scheduler: Scheduler;
const open: RtpSession[] = [];

async function session(opts: Partial<RtpSessionOptions> = {}): Promise<RtpSession> {
  const s = await RtpSession.open({ portPool: pool, scheduler, codec: 'PCMU', payloadType: 0, ...opts });
  open.push(s);
  return s;
}

async function pair(opts: Partial<RtpSessionOptions> = {}, optsB: Partial<RtpSessionOptions> = opts): Promise<[RtpSession, RtpSession]> {
  const a = await session(opts);
  const b = await session(optsB);
  a.setRemote('127.0.0.1', b.localPort);
  b.setRemote('127.0.0.1', a.localPort);
  return [a, b];
}

// Every behaviour below holds for both carriers of RTP: node:dgram from the event loop, and the
// native pacer thread with packets built 60 ms ahead in 4 phases (media-core/media/native/).
for (const io of ['dgram', 'native'] as const) describe(`RtpSession over real UDP on 127.0.0.1 (${io})`, () => {
  let pacer: RtpPacer | undefined;
  before(async () => {
    const base = (await freeSipPort()) & ~1;
    if (io === 'native') {
      pacer = acquireRtpPacer();
      assert.ok(pacer, 'the native pacer is built (npm test builds it first)');
      const p = pacer;
      // A loaded CI machine must not skip slots (timestamps are asserted).
      scheduler = new Scheduler({ maxCatchUp: 50, leadMs: 60, phases: 4, spinMs: 0, afterWake: () => p.kick() });
      pool = new PortPool({ address: '127.0.0.1', min: base, max: base + 80, open: async (address, port) => p.openSocket(address, port, scheduler) });
    } else {
      scheduler = new Scheduler({ maxCatchUp: 50 });
      pool = new PortPool({ address: '127.0.0.1', min: base, max: base + 80 });
    }
  });
  after(() => {
    for (const s of open) s.close();
    open.length = 0;
    pool.releaseAll();
    scheduler.dispose();
    if (pacer) releaseRtpPacer(pacer);
  });

  for (const codec of ['PCMU', 'PCMA'] as const) {
    test(`${codec}: audio both ways, sample-exact, last frame zero-padded`, async () => {
      const pt = codec === 'PCMU' ? 0 : 8;
      const [a, b] = await pair({ codec, payloadType: pt });
      const atB = collect(b);
      const atA = collect(a);
      const toB = exactPcm(codec, 160 * 12 + 37);
      const toA = exactPcm(codec, 160 * 9);
      const [ra, rb] = await Promise.all([a.play(toB), b.play(toA)]);
      assert.deepEqual(ra, { completed: true, playedMs: Math.round(toB.length / 8) });
      assert.equal(rb.completed, true);
      await until(() => atB.length === 13 && atA.length === 9, 'atB.length === 13 && atA.length === 9');
      const gotB = concat(atB);
      assert.deepEqual(Array.from(gotB.subarray(0, toB.length)), Array.from(toB));
      assert.ok(gotB.subarray(toB.length).every((v) => v === 0 || Math.abs(v) <= 8), 'zero padding decodes to silence');
      assert.deepEqual(Array.from(concat(atA)), Array.from(toA));
      assert.equal(a.stats.packetsSent, 13);
      assert.equal(b.stats.packetsReceived, 13);
      assert.equal(b.stats.lost, 0);
      assert.equal(b.stats.bytesReceived, 13 * 160);
      assert.ok(b.stats.jitterMs < 20);
      a.close();
      b.close();
    });
  }

  test('re-INVITE: updateCodec switches PCMU -> PCMA mid-call, audio stays exact', async () => {
    const [a, b] = await pair({ telephoneEventPt: 101 });
    const atB = collect(b);
    const x = exactPcm('PCMU', 160 * 3);
    await a.play(x);
    await until(() => atB.length === 3, 'atB.length === 3');
    a.updateCodec({ codec: 'PCMA', payloadType: 8 });
    b.updateCodec({ codec: 'PCMA', payloadType: 8 });
    const y = exactPcm('PCMA', 160 * 3);
    await a.play(y);
    await until(() => atB.length === 6, 'atB.length === 6');
    assert.deepEqual(Array.from(concat(atB)), [...x, ...y]);
    // In-band detection is on now that telephone-event is gone.
    const digits: DigitEvent[] = [];
    b.on('digit', (d: DigitEvent) => digits.push(d));
    await a.sendDigits('7', { durationMs: 80 });
    await until(() => digits.length === 1, 'digits.length === 1');
    assert.deepEqual([digits[0]!.digit, digits[0]!.source], ['7', 'inband']);
    a.close();
    b.close();
  });

  const hasSipp = spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;
  test('interop: SIPp -rtp_echo sends our PCMU stream back sample-exact', { skip: !hasSipp && 'sipp not installed' }, async () => {
    const sipPort = await freeSipPort();
    const mediaPort = (await freeSipPort()) & ~1;
    const sipp = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-mi', '127.0.0.1', '-p', String(sipPort), '-rtp_echo', '-mp', String(mediaPort), '-m', '1', '-nostdin', '-timeout', '20s'], { stdio: 'ignore' });
    try {
      const s = await session({ remote: { address: '127.0.0.1', port: mediaPort } });
      const frames = collect(s);
      const pcm = exactPcm('PCMU', 160 * 10);
      // SIPp binds its echo port shortly after start: resend until the echo comes back.
      for (let i = 0; i < 30 && frames.length === 0; i++) {
        await s.play(pcm.subarray(0, 160));
        await sleep(100);
      }
      assert.ok(frames.length > 0, 'no echo from SIPp');
      frames.length = 0;
      await s.play(pcm);
      await until(() => frames.length === 10, 'frames.length === 10');
      assert.deepEqual(Array.from(concat(frames)), Array.from(pcm));
      s.close();
    } finally {
      sipp.kill();
    }
  });

  test('header fields: SSRC, sequence +1, timestamp +160, marker after silence, timestamp follows wall time', async () => {
    const a = await session();
    const sniff = await sniffer();
    a.setRemote('127.0.0.1', sniff.port);
    await a.play(exactPcm('PCMU', 160 * 4));
    await sleep(200); // silence gap: nothing sent
    await until(() => sniff.packets.length === 4, 'sniff.packets.length === 4');
    await a.play(exactPcm('PCMU', 160 * 3));
    await until(() => sniff.packets.length === 7, 'sniff.packets.length === 7');
    const hs = sniff.packets.map((p) => parseRtpHeader(p)!);
    assert.ok(hs.every((h) => h && h.ssrc === a.ssrc && h.payloadType === 0 && h.payloadLength === 160));
    assert.deepEqual(hs.map((h) => h.marker), [true, false, false, false, true, false, false]);
    for (let i = 1; i < hs.length; i++) assert.equal(hs[i]!.sequenceNumber, (hs[i - 1]!.sequenceNumber + 1) & 0xffff);
    for (const i of [1, 2, 3, 5, 6]) assert.equal((hs[i]!.timestamp - hs[i - 1]!.timestamp) >>> 0, 160);
    const gap = (hs[4]!.timestamp - hs[3]!.timestamp) >>> 0;
    assert.ok(gap >= 160 * 10 && gap % 160 === 0, `timestamp advanced ${gap} over the silence`);
    sniff.socket.close();
    a.close();
  });

  test('SRTP both ways: exact audio, encrypted on the wire, wrong key discarded', async () => {
    const ka = randomBytes(30);
    const kb = randomBytes(30);
    const [a, b] = await pair({ srtp: { localKey: ka, remoteKey: kb } }, { srtp: { localKey: kb, remoteKey: ka } });
    const atA = collect(a);
    const atB = collect(b);
    const x = exactPcm('PCMU', 160 * 6);
    const y = exactPcm('PCMU', 160 * 6);
    await Promise.all([a.play(x), b.play(y)]);
    await until(() => atA.length === 6 && atB.length === 6, 'atA.length === 6 && atB.length === 6');
    assert.deepEqual(Array.from(concat(atB)), Array.from(x));
    assert.deepEqual(Array.from(concat(atA)), Array.from(y));
    // On the wire: 10-byte tag, payload not the plain codewords.
    const sniff = await sniffer();
    a.setRemote('127.0.0.1', sniff.port);
    await a.play(x.subarray(0, 160));
    await until(() => sniff.packets.length === 1, 'sniff.packets.length === 1');
    const wire = sniff.packets[0]!;
    assert.equal(wire.length, 12 + 160 + 10);
    const plain = Buffer.from(decodeG711('PCMU', wire.subarray(12, 172)).buffer);
    assert.notDeepEqual(plain, Buffer.from(x.slice(0, 160).buffer));
    // A peer with the wrong key is not heard.
    const c = await session({ srtp: { localKey: randomBytes(30), remoteKey: randomBytes(30) } });
    c.setRemote('127.0.0.1', b.localPort);
    const before = b.stats.discarded;
    await c.play(x.subarray(0, 480));
    await until(() => b.stats.discarded >= before + 3, 'b.stats.discarded >= before + 3');
    assert.equal(atB.length, 6);
    sniff.socket.close();
    for (const s of [a, b, c]) s.close();
  });

  test('RFC 4733 DTMF: digits sent and received one by one, playback paused meanwhile', async () => {
    const [a, b] = await pair({ telephoneEventPt: 101 });
    const digits: DigitEvent[] = [];
    b.on('digit', (d: DigitEvent) => digits.push(d));
    const audio = collect(b);
    const playing = a.play(exactPcm('PCMU', 8000 * 2));
    await sleep(100);
    const framesBefore = audio.length;
    const t0 = Date.now();
    await a.sendDigits('19#*', { durationMs: 60, intervalMs: 60 });
    const took = Date.now() - t0;
    await until(() => digits.length === 4, 'digits.length === 4');
    assert.deepEqual(digits.map((d) => d.digit), ['1', '9', '#', '*']);
    assert.ok(digits.every((d) => d.source === 'rfc4733' && d.durationMs === 60));
    // While digits went out (4 x (3 + 3 end packets) + gaps), audio frames stopped arriving.
    assert.ok(took >= 4 * 100, `sendDigits took ${took} ms`);
    assert.ok(audio.length - framesBefore <= 3 + Math.ceil((Date.now() - t0 - took) / 20) + 2, 'audio paused during digits');
    a.stopPlayback();
    const r = await playing;
    assert.equal(r.completed, false);
    await assert.rejects(a.sendDigits('1x'), /not a DTMF digit/);
    a.close();
    b.close();
  });

  test('in-band DTMF when no telephone-event: tones sent, Goertzel detects', async () => {
    const [a, b] = await pair({});
    const digits: DigitEvent[] = [];
    b.on('digit', (d: DigitEvent) => digits.push(d));
    await a.sendDigits('5D0', { durationMs: 80, intervalMs: 80 });
    await until(() => digits.length === 3, 'digits.length === 3');
    assert.deepEqual(digits.map((d) => [d.digit, d.source]), [['5', 'inband'], ['D', 'inband'], ['0', 'inband']]);
    a.close();
    b.close();
  });

  // Strict latching (issue 12; Asterisk AST-2017-005/008 "RTP bleed"): media-core/media/latching.ts.
  test('strict latching: a stranger on another address spraying the port is never learned and hears nothing; the SDP peer does', async () => {
    const b = await session();
    const peer = await sniffer(); // the SDP's address and port, which sends nothing yet
    b.setRemote('127.0.0.1', peer.port);
    const latched: unknown[] = [];
    b.on('latched', (r) => latched.push(r));
    const atB = collect(b);
    const stranger = await sniffer('127.0.0.2');
    // A run of 40 consecutive sequence numbers with our payload type, before and during our prompt.
    for (let seq = 1; seq <= 20; seq++) stranger.socket.send(serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 99 }, new Uint8Array(160).fill(0x55)), b.localPort, '127.0.0.1');
    await until(() => b.stats.discarded === 20, 'b.stats.discarded === 20');
    const playing = b.play(exactPcm('PCMU', 160 * 5));
    for (let seq = 21; seq <= 40; seq++) {
      stranger.socket.send(serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 99 }, new Uint8Array(160).fill(0x55)), b.localPort, '127.0.0.1');
      await sleep(5);
    }
    await playing;
    await until(() => peer.packets.length === 5 && b.stats.discarded === 40, 'peer.packets.length === 5 && b.stats.discarded === 40');
    await sleep(50);
    assert.equal(stranger.packets.length, 0, 'the stranger received nothing');
    assert.equal(atB.length, 0, 'nothing the stranger sent was heard');
    assert.deepEqual(latched, []);
    assert.deepEqual(b.remote, { address: '127.0.0.1', port: peer.port });
    stranger.socket.close();
    peer.socket.close();
    b.close();
  });

  test('strict latching: the SDP IP from another port (NAT) is learned after 4 consecutive sequence numbers, then answered there', async () => {
    const a = await session();
    const b = await session();
    a.setRemote('127.0.0.1', b.localPort);
    const wrong = await sniffer(); // SDP says this port, but A's packets come from A's port
    b.setRemote('127.0.0.1', wrong.port);
    const latched: Array<{ address: string; port: number }> = [];
    b.on('latched', (r: { address: string; port: number }) => latched.push(r));
    const atA = collect(a);
    const atB = collect(b);
    await a.play(exactPcm('PCMU', 160 * 6));
    await until(() => atB.length === 3, 'atB.length === 3');
    await sleep(50);
    assert.equal(atB.length, 3, 'packets 1-3 are the probation run, 4-6 are heard');
    assert.equal(b.stats.discarded, 3);
    assert.deepEqual(latched, [{ address: '127.0.0.1', port: a.localPort }]);
    await b.play(exactPcm('PCMU', 160 * 2));
    await until(() => atA.length === 2, 'atA.length === 2');
    assert.equal(wrong.packets.length, 0);
    wrong.socket.close();
    a.close();
    b.close();
  });

  test('strict latching: nothing is learned after the window; a re-INVITE opens a new one; the signalling source and trusted CIDRs may be learned', async () => {
    const a = await session();
    const b = await session({ latch: { learningWindowMs: 150 } });
    a.setRemote('127.0.0.1', b.localPort);
    const wrong = await sniffer();
    b.setRemote('127.0.0.1', wrong.port);
    const atB = collect(b);
    // Media flows from the SDP's source, then the window closes.
    wrong.socket.send(serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 8 }, new Uint8Array(160).fill(0x55)), b.localPort, '127.0.0.1');
    await until(() => atB.length === 1, 'atB.length === 1');
    await sleep(200);
    await a.play(exactPcm('PCMU', 160 * 5));
    await until(() => b.stats.discarded === 5, 'b.stats.discarded === 5');
    assert.equal(atB.length, 1, 'the window closed: not learned');
    b.setRemote('127.0.0.1', wrong.port); // re-INVITE
    await a.play(exactPcm('PCMU', 160 * 5));
    await until(() => atB.length === 3, 'atB.length === 3');
    assert.deepEqual(b.remote, { address: '127.0.0.1', port: a.localPort });
    // Another address: learned only when it is the signalling source or inside a trusted CIDR.
    for (const latch of [{ signallingAddress: '127.0.0.2' }, { trustedCidrs: ['127.0.0.0/30'] }, {}]) {
      const c = await session({ latch });
      c.setRemote('127.0.0.1', wrong.port);
      const atC = collect(c);
      const from2 = await sniffer('127.0.0.2');
      for (let seq = 7; seq < 13; seq++) from2.socket.send(serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 5 }, new Uint8Array(160).fill(0x55)), c.localPort, '127.0.0.1');
      await until(() => atC.length + c.stats.discarded === 6, 'atC.length + c.stats.discarded === 6');
      assert.equal(atC.length, 'signallingAddress' in latch || 'trustedCidrs' in latch ? 3 : 0, JSON.stringify(latch));
      from2.socket.close();
      c.close();
    }
    wrong.socket.close();
    a.close();
    b.close();
  });

  test('strict latching: a caller silent at first (our greeting) is still learned after the window, from a trusted IP only', async () => {
    const a = await session();
    const b = await session({ latch: { learningWindowMs: 100 } });
    a.setRemote('127.0.0.1', b.localPort);
    const wrong = await sniffer();
    b.setRemote('127.0.0.1', wrong.port);
    const atB = collect(b);
    await sleep(200);
    const stranger = await sniffer('127.0.0.2');
    for (let seq = 1; seq <= 8; seq++) stranger.socket.send(serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 9 }, new Uint8Array(160)), b.localPort, '127.0.0.1');
    await until(() => b.stats.discarded === 8, 'b.stats.discarded === 8');
    await a.play(exactPcm('PCMU', 160 * 6));
    await until(() => atB.length === 3, 'atB.length === 3');
    assert.deepEqual(b.remote, { address: '127.0.0.1', port: a.localPort });
    for (const s of [wrong, stranger]) s.socket.close();
    a.close();
    b.close();
  });

  test('strict latching: one authenticated SRTP packet counts as learned', async () => {
    const ka = randomBytes(30);
    const kb = randomBytes(30);
    const a = await session({ srtp: { localKey: ka, remoteKey: kb } });
    const b = await session({ srtp: { localKey: kb, remoteKey: ka } });
    a.setRemote('127.0.0.1', b.localPort);
    const wrong = await sniffer();
    b.setRemote('127.0.0.1', wrong.port);
    const atB = collect(b);
    await a.play(exactPcm('PCMU', 160 * 2));
    await until(() => atB.length === 2, 'atB.length === 2');
    assert.deepEqual(b.remote, { address: '127.0.0.1', port: a.localPort });
    assert.throws(() => cidrList(['127.0.0.1']), TypeError);
    assert.throws(() => cidrList(['example.com/8']), TypeError);
    wrong.socket.close();
    a.close();
    b.close();
  });

  test('playback stop, replacement by a new play, hold sends nothing', async () => {
    const [a, b] = await pair();
    const atB = collect(b);
    const long = exactPcm('PCMU', 8000 * 5);
    const first = a.play(long);
    await sleep(120);
    const second = a.play(exactPcm('PCMU', 160 * 5));
    const r1 = await first;
    assert.equal(r1.completed, false);
    assert.ok(r1.playedMs > 40 && r1.playedMs < 400, `played ${r1.playedMs} ms`);
    assert.deepEqual(await second, { completed: true, playedMs: 100 });
    const third = a.play(long);
    await sleep(100);
    a.stopPlayback();
    const r3 = await third;
    assert.equal(r3.completed, false);
    assert.ok(r3.playedMs < 400);
    await sleep(60);
    const received = atB.length;
    a.hold(true);
    const held = await a.play(exactPcm('PCMU', 160 * 5));
    assert.equal(held.completed, true);
    await sleep(60);
    assert.equal(atB.length, received, 'nothing sent on hold');
    a.hold(false);
    await a.play(exactPcm('PCMU', 160 * 2));
    await until(() => atB.length === received + 2, 'atB.length === received + 2');
    assert.equal(b.stats.lost, 0, 'no sequence numbers spent on hold');
    a.close();
    assert.deepEqual(await a.play(long), { completed: false, playedMs: 0 });
    b.close();
  });

  test('streaming source consumed as produced, sample-exact', async () => {
    const [a, b] = await pair({ codec: 'PCMA', payloadType: 8 });
    const atB = collect(b);
    const total = exactPcm('PCMA', 2000);
    let produced = 0;
    async function* chunks(): AsyncGenerator<Int16Array> {
      for (let o = 0; o < total.length; o += 333) {
        await sleep(15);
        produced = o + 333;
        yield total.slice(o, o + 333);
      }
    }
    const r = await a.play(chunks());
    assert.deepEqual(r, { completed: true, playedMs: 250 });
    assert.ok(produced >= total.length);
    await until(() => atB.length === Math.ceil(2000 / 160), 'atB.length === Math.ceil(2000 / 160)');
    const got = concat(atB);
    assert.deepEqual(Array.from(got.subarray(0, 2000)), Array.from(total));
    // A stopped stream tells its producer to stop.
    let returned = false;
    async function* endless(): AsyncGenerator<Int16Array> {
      try { for (let i = 0; i < 1000; i++) { await sleep(10); yield new Int16Array(160); } } finally { returned = true; }
    }
    const p = a.play(endless());
    await sleep(100);
    a.stopPlayback();
    assert.equal((await p).completed, false);
    await until(() => returned, 'returned');
    a.close();
    b.close();
  });

  test('port exhaustion rejects with PortPoolExhaustedError; close releases the port (idempotent)', async () => {
    const base = (await freeSipPort()) & ~1;
    const small = new PortPool({ address: '127.0.0.1', min: base, max: base + 1 });
    const s1 = await RtpSession.open({ portPool: small, scheduler, codec: 'PCMU', payloadType: 0 });
    await assert.rejects(RtpSession.open({ portPool: small, scheduler, codec: 'PCMU', payloadType: 0 }), PortPoolExhaustedError);
    s1.close();
    s1.close();
    const s2 = await RtpSession.open({ portPool: small, scheduler, codec: 'PCMU', payloadType: 0 });
    assert.equal(s2.localPort, s1.localPort);
    s2.close();
  });

  test('RTP inactivity: comfort noise (PT 13) and RTCP on the RTP port + 1 count as activity; no timeout while the peer holds', async () => {
    // Sends every 100 ms against a 600 ms timeout: a loaded machine's timer slips are tolerated.
    const b = await session({ rtpTimeoutMs: 600 });
    const peer = await sniffer();
    b.setRemote('127.0.0.1', peer.port);
    let timedOut = 0;
    b.on('rtp-timeout', () => timedOut++);
    const cn = (seq: number) => serializeRtp({ payloadType: 13, sequenceNumber: seq, timestamp: seq * 160, ssrc: 3 }, new Uint8Array([40]));
    // RTCP RR (RFC 3550 section 6.4.2) with no report blocks: V=2, PT=201, length 1 (8 bytes).
    const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 3]);
    for (let i = 0; i < 12; i++) {
      if (i % 2) peer.socket.send(cn(i), b.localPort, '127.0.0.1');
      else peer.socket.send(rr, b.localPort + 1, '127.0.0.1');
      await sleep(100);
    }
    assert.equal(timedOut, 0, 'kept alive by comfort noise and RTCP for 1.2 s');
    assert.equal(b.stats.discarded, 0);
    // RTCP from a stranger's address keeps nothing alive.
    const stranger = await sniffer('127.0.0.2');
    for (let i = 0; i < 40 && timedOut === 0; i++) {
      stranger.socket.send(rr, b.localPort + 1, '127.0.0.1');
      await sleep(100);
    }
    assert.equal(timedOut, 1);
    // On hold the peer may send nothing: no report however long it lasts.
    b.expectMedia(false);
    await sleep(1000);
    assert.equal(timedOut, 1);
    b.expectMedia(true);
    await until(() => timedOut === 2, 'timedOut === 2', 3000);
    stranger.socket.close();
    peer.socket.close();
    b.close();
  });

  test('a destination the carrier cannot reach (IPv6, hostname, 0.0.0.0) is never sent to, and nothing throws', async () => {
    const s = await session();
    for (const [address, port] of [['::1', 40000], ['localhost', 40000], ['0.0.0.0', 40000], ['127.0.0.1', 70000]] as const) {
      s.setRemote(address, port);
      assert.equal(s.remote, undefined, `${address}:${port}`);
      const r = await s.play(exactPcm('PCMU', 160 * 2));
      assert.equal(r.completed, true);
    }
    assert.equal(s.stats.packetsSent, 0);
    s.close();
  });

  test('garbage is discarded without harm; loss counted from sequence gaps; rtp-timeout', async () => {
    const b = await session({ rtpTimeoutMs: 150 });
    const atB = collect(b);
    const sniff = await sniffer();
    b.setRemote('127.0.0.1', sniff.port);
    const send = (m: Buffer) => sniff.socket.send(m, b.localPort, '127.0.0.1');
    send(Buffer.from('not rtp at all'));
    send(Buffer.alloc(0));
    send(serializeRtp({ payloadType: 18, sequenceNumber: 1, timestamp: 0, ssrc: 7 }, new Uint8Array(20)));
    await until(() => b.stats.discarded === 3, 'b.stats.discarded === 3');
    for (const seq of [65533, 65534, 1, 2]) { // 65535 and 0 lost across the wrap
      send(serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 7 }, new Uint8Array(160).fill(0xff)));
      await sleep(5);
    }
    await until(() => atB.length === 4, 'atB.length === 4');
    assert.equal(b.stats.lost, 2);
    assert.equal(b.stats.packetsReceived, 4);
    // Short payloads (10 ms) are re-framed into 20 ms frames.
    for (const seq of [3, 4]) send(serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: 0, ssrc: 7 }, new Uint8Array(80).fill(0xff)));
    await until(() => atB.length === 5, 'atB.length === 5');
    assert.equal(atB[4]!.length, 160);
    let timedOut = 0;
    b.on('rtp-timeout', () => timedOut++);
    await until(() => timedOut === 1, 'timedOut === 1', 2000);
    await sleep(200);
    assert.equal(timedOut, 1, 'emitted once per silence');
    sniff.socket.close();
    b.close();
  });
});
