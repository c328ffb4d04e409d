/**
 * RTP sessions in worker threads (media-core/media/worker) behave like in-process
 * RtpSessions: the same checks run against both (audio both ways sample-exact, SRTP, RFC 4733
 * and in-band DTMF, stop/replace playback, hold, streaming playback), then worker-only ones:
 * audio crosses only while listened, ports split and released, a dead worker ends its own
 * sessions only.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { serializeRtp } from '../../media-core/media/rtp-packet.ts';
import type { DigitEvent } from '../../media-core/call/types.ts';
import { RtpSession } from '../../media-core/media/rtp-session.ts';
import { PortPool, PortPoolExhaustedError } from '../../media-core/media/port-pool.ts';
import { Scheduler } from '../../media-core/media/scheduler.ts';
import { decodeG711, type G711Codec } from '../../media-core/media/g711.ts';
import { RtpWorkerPool } from '../../media-core/media/worker/rtp-worker-pool.ts';
import type { RtpSessionProxy } from '../../media-core/media/worker/rtp-session-proxy.ts';
import type { MediaSession, MediaSessionOptions } from '../../media-core/media/worker/media-session.ts';
import { freeSipPort } from '../helpers/ports.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A plain UDP socket on 127.0.0.1 that records what it receives. */
function udpPeer(): Promise<{ socket: Socket; port: number; packets: Buffer[] }> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const packets: Buffer[] = [];
    socket.on('message', (m) => packets.push(m));
    socket.bind(0, '127.0.0.1', () => resolve({ socket, port: socket.address().port, packets }));
  });
}

/** PCM made of G.711 codeword values, so it survives encode/decode unchanged. */
const exactPcm = (codec: G711Codec, samples: number) => decodeG711(codec, Uint8Array.from(randomBytes(samples)));

function collect(s: MediaSession): Int16Array[] {
  const frames: Int16Array[] = [];
  s.on('audio', (f: Int16Array) => frames.push(Int16Array.from(f)));
  return frames;
}

const concat = (frames: Int16Array[]) => {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) { out.set(f, o); o += f.length; }
  return out;
};

async function until(cond: () => boolean, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** A way to open sessions: in-process or in RTP workers. */
interface Mode {
  name: string;
  start(base: number): Promise<void>;
  open(o: Partial<MediaSessionOptions>): Promise<MediaSession>;
  stop(): Promise<void>;
}

function inProcess(): Mode {
  let pool: PortPool;
  let scheduler: Scheduler;
  return {
    name: 'in-process',
    async start(base) {
      pool = new PortPool({ address: '127.0.0.1', min: base, max: base + 60 });
      scheduler = new Scheduler({ maxCatchUp: 50 });
    },
    open: (o) => RtpSession.open({ portPool: pool, scheduler, codec: 'PCMU', payloadType: 0, ...o }),
    async stop() {
      pool.releaseAll();
      scheduler.dispose();
    },
  };
}

function inWorkers(): Mode & { pool?: RtpWorkerPool } {
  const m: Mode & { pool?: RtpWorkerPool } = {
    name: 'rtpWorkers 2',
    async start(base) {
      m.pool = new RtpWorkerPool({ workers: 2, address: '127.0.0.1', portMin: base, portMax: base + 60 });
    },
    open: (o) => m.pool!.open({ codec: 'PCMU', payloadType: 0, ...o }),
    stop: async () => m.pool?.close(),
  };
  return m;
}

for (const mode of [inProcess(), inWorkers()]) {
  describe(`media session equivalence: ${mode.name}`, { timeout: 60_000 }, () => {
    const open: MediaSession[] = [];
    const session = async (o: Partial<MediaSessionOptions> = {}) => {
      const s = await mode.open(o);
      open.push(s);
      return s;
    };
    const pair = async (o: Partial<MediaSessionOptions> = {}, ob: Partial<MediaSessionOptions> = o) => {
      const a = await session(o);
      const b = await session(ob);
      a.setRemote('127.0.0.1', b.localPort);
      b.setRemote('127.0.0.1', a.localPort);
      return [a, b] as const;
    };
    before(async () => mode.start((await freeSipPort()) & ~1));
    after(async () => {
      for (const s of open) s.close();
      await mode.stop();
    });

    for (const codec of ['PCMU', 'PCMA'] as const) {
      test(`${codec}: audio both ways, sample-exact, last frame zero-padded, counters`, async () => {
        const [a, b] = await pair({ codec, payloadType: codec === 'PCMU' ? 0 : 8 });
        const atB = collect(b);
        const atA = collect(a);
        const toB = exactPcm(codec, 160 * 12 + 37);
        const toA = exactPcm(codec, 160 * 9);
        const [ra, rb] = await Promise.all([a.play(toB), b.play(toA)]);
        assert.deepEqual(ra, { completed: true, playedMs: Math.round(toB.length / 8) });
        assert.equal(rb.completed, true);
        assert.equal(toB.length, 160 * 12 + 37, 'the caller keeps its buffer');
        await until(() => atB.length === 13 && atA.length === 9);
        const gotB = concat(atB);
        assert.deepEqual(Array.from(gotB.subarray(0, toB.length)), Array.from(toB));
        assert.ok(gotB.subarray(toB.length).every((v) => Math.abs(v) <= 8), 'zero padding decodes to silence');
        assert.deepEqual(Array.from(concat(atA)), Array.from(toA));
        assert.equal(a.stats.packetsSent, 13);
        await until(() => b.stats.packetsReceived === 13, 1000);
        assert.equal(b.stats.lost, 0);
        assert.equal(b.stats.bytesReceived, 13 * 160);
        a.close();
        b.close();
      });
    }

    test('SRTP both ways: exact audio; a peer with the wrong key is discarded', async () => {
      const ka = randomBytes(30);
      const kb = randomBytes(30);
      const [a, b] = await pair({ srtp: { localKey: ka, remoteKey: kb } }, { srtp: { localKey: kb, remoteKey: ka } });
      const atA = collect(a);
      const atB = collect(b);
      const x = exactPcm('PCMU', 160 * 6);
      const y = exactPcm('PCMU', 160 * 6);
      await Promise.all([a.play(x), b.play(y)]);
      await until(() => atA.length === 6 && atB.length === 6);
      assert.deepEqual(Array.from(concat(atB)), Array.from(x));
      assert.deepEqual(Array.from(concat(atA)), Array.from(y));
      // A peer with the wrong key is not heard (a fresh session: nothing latched yet).
      const c = await session({ srtp: { localKey: randomBytes(30), remoteKey: randomBytes(30) } });
      const d = await session({ srtp: { localKey: kb, remoteKey: ka } });
      const atD = collect(d);
      c.setRemote('127.0.0.1', d.localPort);
      await c.play(x.subarray(0, 480));
      await until(() => d.stats.discarded >= 3, 2000);
      assert.equal(atD.length, 0);
      assert.equal(d.remote, undefined, 'nothing latched');
      assert.throws(() => a.updateCodec({ codec: 'PCMU', payloadType: 0, srtp: { localKey: randomBytes(29), remoteKey: kb } }), RangeError);
      for (const s of [a, b, c, d]) s.close();
    });

    test('RFC 4733 digits both ways (digits cross without audio listeners); in-band after updateCodec', async () => {
      const [a, b] = await pair({ telephoneEventPt: 101 });
      const digits: DigitEvent[] = [];
      b.on('digit', (d: DigitEvent) => digits.push(d));
      await a.sendDigits('19#', { durationMs: 60, intervalMs: 60 });
      await until(() => digits.length === 3);
      assert.deepEqual(digits.map((d) => [d.digit, d.source, d.durationMs]), [['1', 'rfc4733', 60], ['9', 'rfc4733', 60], ['#', 'rfc4733', 60]]);
      await assert.rejects(a.sendDigits('1x'), /not a DTMF digit/);
      a.updateCodec({ codec: 'PCMA', payloadType: 8 });
      b.updateCodec({ codec: 'PCMA', payloadType: 8 });
      await a.sendDigits('5D', { durationMs: 80, intervalMs: 80 });
      await until(() => digits.length === 5);
      assert.deepEqual(digits.slice(3).map((d) => [d.digit, d.source]), [['5', 'inband'], ['D', 'inband']]);
      a.close();
      b.close();
    });

    test('symmetric RTP: latch to the real source, ignore others, re-latch after silence', async () => {
      const a = await session();
      const b = await session({ relatchAfterMs: 600 });
      const wrong = await udpPeer();
      a.setRemote('127.0.0.1', b.localPort);
      b.setRemote('127.0.0.1', wrong.port); // SDP says this port, A's packets come from A's port
      const latched: Array<{ address: string; port: number }> = [];
      b.on('latched', (r: { address: string; port: number }) => latched.push(r));
      const atA = collect(a);
      const atB = collect(b);
      await a.play(exactPcm('PCMU', 160 * 3));
      await until(() => atB.length === 3);
      assert.deepEqual(latched, [{ address: '127.0.0.1', port: a.localPort }]);
      assert.deepEqual(b.remote, { address: '127.0.0.1', port: a.localPort });
      await b.play(exactPcm('PCMU', 160 * 2));
      await until(() => atA.length === 2);
      assert.equal(wrong.packets.length, 0);
      const intruder = await udpPeer();
      const pkt = serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 99 }, new Uint8Array(160).fill(0x55));
      const talking = a.play(exactPcm('PCMU', 160 * 10));
      intruder.socket.send(pkt, b.localPort, '127.0.0.1');
      await talking;
      await sleep(60);
      assert.equal(atB.length, 13, 'the intruder is not heard while A talks');
      // After 600 ms of silence from A, the intruder's packets are heard and latched.
      for (let i = 0; i < 40 && atB.length === 13; i++) {
        intruder.socket.send(pkt, b.localPort, '127.0.0.1');
        await sleep(50);
      }
      assert.equal(atB.length, 14);
      assert.deepEqual(b.remote, { address: '127.0.0.1', port: intruder.port });
      await b.play(exactPcm('PCMU', 160 * 2));
      await until(() => intruder.packets.length === 2);
      wrong.socket.close();
      intruder.socket.close();
      a.close();
      b.close();
    });

    test('a new play replaces the old (completed=false), stopPlayback, hold sends nothing', async () => {
      const [a, b] = await pair();
      const atB = collect(b);
      const long = exactPcm('PCMU', 8000 * 5);
      const first = a.play(long);
      await sleep(120);
      const second = a.play(exactPcm('PCMU', 160 * 5));
      const r1 = await first;
      assert.equal(r1.completed, false);
      assert.ok(r1.playedMs > 20 && r1.playedMs < 600, `played ${r1.playedMs} ms`);
      assert.deepEqual(await second, { completed: true, playedMs: 100 });
      const third = a.play(long);
      await sleep(100);
      a.stopPlayback();
      assert.equal((await third).completed, false);
      await sleep(80);
      const received = atB.length;
      a.hold(true);
      assert.equal((await a.play(exactPcm('PCMU', 160 * 5))).completed, true);
      await sleep(80);
      assert.equal(atB.length, received, 'nothing sent on hold');
      a.hold(false);
      await a.play(exactPcm('PCMU', 160 * 2));
      await until(() => atB.length === received + 2);
      a.close();
      assert.deepEqual(await a.play(long), { completed: false, playedMs: 0 });
      b.close();
    });

    test('streaming source consumed as produced, sample-exact; a stopped stream is returned', async () => {
      const [a, b] = await pair({ codec: 'PCMA', payloadType: 8 });
      const atB = collect(b);
      const total = exactPcm('PCMA', 2000);
      async function* chunks(): AsyncGenerator<Int16Array> {
        for (let o = 0; o < total.length; o += 333) {
          await sleep(15);
          yield total.slice(o, o + 333);
        }
      }
      assert.deepEqual(await a.play(chunks()), { completed: true, playedMs: 250 });
      await until(() => atB.length === Math.ceil(2000 / 160));
      assert.deepEqual(Array.from(concat(atB).subarray(0, 2000)), Array.from(total));
      let returned = false;
      let produced = 0;
      async function* endless(): AsyncGenerator<Int16Array> {
        try { for (let i = 0; i < 1000; i++) { await sleep(10); produced++; yield new Int16Array(160); } } finally { returned = true; }
      }
      const p = a.play(endless());
      await sleep(150);
      a.stopPlayback();
      assert.equal((await p).completed, false);
      await until(() => returned);
      assert.ok(produced < 100, `producer read ahead ${produced} chunks`);
      const failing = a.play((async function* () { yield new Int16Array(160); throw new Error('tts broke'); })());
      const errs: unknown[] = [];
      a.on('playback-error', (e) => errs.push(e));
      assert.equal((await failing).completed, false);
      assert.match(String(errs[0]), /tts broke/);
      a.close();
      b.close();
    });
  });
}

describe('RTP worker pool specifics', { timeout: 60_000 }, () => {
  let pool: RtpWorkerPool;
  let base: number;
  before(async () => {
    base = (await freeSipPort()) & ~1;
    pool = new RtpWorkerPool({ workers: 2, address: '127.0.0.1', portMin: base, portMax: base + 7 });
  });
  after(async () => pool.close());

  test('port range split between workers; exhaustion; close releases the port', async () => {
    assert.deepEqual(pool.ranges, [{ portMin: base, portMax: base + 2 }, { portMin: base + 4, portMax: base + 7 }]);
    const s = await Promise.all([0, 1, 2, 3].map(() => pool.open({ codec: 'PCMU', payloadType: 0 })));
    assert.deepEqual(s.map((x) => x.localPort).sort(), [base, base + 2, base + 4, base + 6]);
    assert.deepEqual(pool.load, [2, 2]);
    await assert.rejects(pool.open({ codec: 'PCMU', payloadType: 0 }), PortPoolExhaustedError);
    const freed = s[3]!.localPort;
    s[3]!.close();
    s[3]!.close();
    await until(() => pool.load.reduce((x, y) => x + y) === 3);
    const again = await pool.open({ codec: 'PCMU', payloadType: 0 });
    assert.equal(again.localPort, freed);
    for (const x of [...s, again]) x.close();
    await until(() => pool.load.every((n) => n === 0));
  });

  test('audio crosses threads only while listened', async () => {
    const a = await pool.open({ codec: 'PCMU', payloadType: 0 });
    const b = (await pool.open({ codec: 'PCMU', payloadType: 0 })) as RtpSessionProxy;
    a.setRemote('127.0.0.1', b.localPort);
    let crossed = 0;
    const deliver = b.deliverAudio.bind(b);
    b.deliverAudio = (f) => { crossed++; deliver(f); };
    await a.play(exactPcm('PCMU', 160 * 5));
    await until(() => b.stats.packetsReceived === 5, 1000);
    await sleep(50);
    assert.equal(crossed, 0, 'no listener: no frame crossed');
    const frames = collect(b);
    await sleep(20); // the subscription reaches the worker
    const x = exactPcm('PCMU', 160 * 4);
    await a.play(x);
    await until(() => frames.length === 4);
    assert.deepEqual(Array.from(concat(frames)), Array.from(x));
    b.removeAllListeners('audio');
    await sleep(20);
    const before = crossed;
    await a.play(exactPcm('PCMU', 160 * 4));
    await until(() => b.stats.packetsReceived === 13, 1000);
    await sleep(50);
    assert.equal(crossed, before, 'unsubscribed: no frame crossed');
    a.close();
    b.close();
  });

  test('a dead worker ends its own sessions with media-error; the other worker keeps going; a new worker takes over', async () => {
    const s = (await Promise.all([0, 1, 2, 3].map(() => pool.open({ codec: 'PCMU', payloadType: 0 })))) as RtpSessionProxy[];
    const w = (p: MediaSession) => pool.ranges.findIndex((r) => p.localPort >= r.portMin && p.localPort <= r.portMax);
    const victims = s.filter((p) => w(p) === 0);
    const [talker, hearer] = s.filter((p) => w(p) === 1) as [RtpSessionProxy, RtpSessionProxy];
    assert.equal(victims.length, 2);
    talker.setRemote('127.0.0.1', hearer.localPort);
    const heard = collect(hearer);
    const errors: Error[] = [];
    let closed = 0;
    for (const v of victims) {
      v.on('media-error', (e: Error) => errors.push(e));
      v.on('close', () => closed++);
    }
    victims[0]!.setRemote('127.0.0.1', victims[1]!.localPort);
    const playing = victims[0]!.play(exactPcm('PCMU', 8000 * 5));
    const talking = talker.play(exactPcm('PCMU', 8000));
    await sleep(100);
    await pool.terminateWorker(0);
    await until(() => errors.length === 2);
    assert.equal(closed, 2);
    assert.ok(victims.every((v) => v.isClosed));
    assert.equal((await playing).completed, false);
    assert.deepEqual(await victims[0]!.play(exactPcm('PCMU', 160)), { completed: false, playedMs: 0 });
    assert.deepEqual(await talking, { completed: true, playedMs: 1000 }, 'the other worker kept sending');
    await until(() => heard.length === 50);
    heard.length = 0;
    const tone = exactPcm('PCMU', 160 * 5);
    await talker.play(tone);
    await until(() => heard.length === 5);
    assert.deepEqual(Array.from(concat(heard)), Array.from(tone));
    assert.equal(hearer.isClosed, false);
    // The replacement worker serves worker 0's ports again.
    const fresh = await pool.open({ codec: 'PCMU', payloadType: 0 });
    assert.equal(w(fresh), 0);
    for (const p of [...s, fresh]) p.close();
  });

  test('pacing figures per worker', async () => {
    const a = await pool.open({ codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: 9 } });
    pool.resetPacingStats();
    await a.play(exactPcm('PCMU', 160 * 10));
    const stats = await pool.pacingStats();
    assert.equal(stats.length, 2);
    assert.ok(stats.some((s) => s.ticks >= 9), JSON.stringify(stats));
    assert.ok(stats.every((s) => s.ticks === 0 || s.p99Ms < 50));
    a.close();
  });

  test('bad options are refused', () => {
    assert.throws(() => new RtpWorkerPool({ workers: 0, address: '127.0.0.1', portMin: 10000, portMax: 10010 }), RangeError);
    assert.throws(() => new RtpWorkerPool({ workers: 4, address: '127.0.0.1', portMin: 10000, portMax: 10004 }), RangeError);
  });
});
