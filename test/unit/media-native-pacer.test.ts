import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { acquireRtpPacer, releaseRtpPacer } from '../../media-core/media/native/shared-pacer.ts';
import { loadRtpPacerAddon } from '../../media-core/media/native/load.ts';
import { ipv4ToNumber, numberToIpv4 } from '../../media-core/media/native/ipv4.ts';
import type { RtpPacer } from '../../media-core/media/native/rtp-pacer.ts';
import type { PacerSocket } from '../../media-core/media/native/pacer-socket.ts';
import { Scheduler } from '../../media-core/media/scheduler.ts';
import { RtpSession } from '../../media-core/media/rtp-session.ts';
import { PortPool } from '../../media-core/media/port-pool.ts';
import { parseRtpHeader } from '../../media-core/media/rtp-packet.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { until } from '../helpers/fake-call.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A dgram receiver that stamps each datagram's arrival (performance.now()). */
function receiver(): Promise<{ socket: Socket; port: number; got: { at: number; data: Buffer }[] }> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const got: { at: number; data: Buffer }[] = [];
    socket.on('message', (data) => got.push({ at: performance.now(), data }));
    socket.bind(0, '127.0.0.1', () => resolve({ socket, port: socket.address().port, got }));
  });
}

describe('ipv4 helpers', () => {
  test('dotted quads round-trip; anything else is refused', () => {
    assert.equal(ipv4ToNumber('127.0.0.1'), 0x7f000001);
    assert.equal(ipv4ToNumber('255.255.255.255'), 0xffffffff);
    assert.equal(numberToIpv4(0xc0a80001), '192.168.0.1');
    for (const bad of ['::1', '1.2.3', '1.2.3.256', 'a.b.c.d', '1.2.3.4.5', '']) assert.equal(ipv4ToNumber(bad), undefined, bad);
  });
});

describe('native RTP pacer (media-core/native/rtp_pacer.c)', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  let pacer: RtpPacer;
  before(() => {
    const load = loadRtpPacerAddon();
    assert.ok(load.addon, `addon loads: ${'reason' in load ? load.reason : ''}`);
    pacer = acquireRtpPacer()!;
  });
  after(() => releaseRtpPacer(pacer));

  test('reports the scheduling its thread got once started', () => {
    // Started without realtime here; the engine asks for SCHED_FIFO and logs what it got.
    assert.equal(pacer.counters().policy, 'normal');
  });

  test('sends each packet at its due time, not before; per-packet lateness is counted', async (t) => {
    const rx = await receiver();
    const port = (await freeSipPort()) & ~1;
    const clock = { currentDueMs: undefined as number | undefined };
    const s = pacer.openSocket('127.0.0.1', port, clock);
    t.after(() => { s.close(); rx.socket.close(); });
    pacer.resetStats();
    const t0 = performance.now();
    const dues = [t0 + 40, t0 + 60, t0 + 80];
    for (const [i, due] of dues.entries()) {
      clock.currentDueMs = due;
      s.send(Buffer.from([0x80, 0, 0, i]), 0, 4, rx.port, '127.0.0.1');
    }
    clock.currentDueMs = undefined;
    pacer.kick();
    await until(() => rx.got.length === 3, 'rx.got.length === 3');
    for (const [i, g] of rx.got.entries()) {
      assert.equal(g.data[3], i, 'in order');
      // Not early beyond the thread's batching slack (0.05 ms) and the clock calibration's
      // bound; late only by scheduling noise.
      const early = 0.05 + pacer.clockUncertaintyMs + 0.01;
      assert.ok(g.at >= dues[i]! - early, `packet ${i} at ${(g.at - dues[i]!).toFixed(3)} ms from due (allowed -${early.toFixed(3)})`);
      assert.ok(g.at < dues[i]! + 30, `packet ${i} ${(g.at - dues[i]!).toFixed(2)} ms late`);
    }
    const st = pacer.stats();
    assert.ok(st.ticks >= 3, `counted ${st.ticks}`);
    assert.ok(st.p50Ms >= 0 && st.maxMs < 30);
  });

  test('a packet sent with no due time (RTCP) leaves at once, with no scheduler wake-up to follow', async (t) => {
    const rx = await receiver();
    const s = pacer.openSocket('127.0.0.1', (await freeSipPort()) & ~1);
    t.after(() => { s.close(); rx.socket.close(); });
    // Let the thread go idle: with nothing queued it sleeps up to 1 s unless woken.
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    s.send(Buffer.from([0x81, 201, 0, 1]), 0, 4, rx.port, '127.0.0.1');
    await until(() => rx.got.length === 1, 'rx.got.length === 1');
    assert.ok(rx.got[0]!.at - t0 < 200, `sent after ${(rx.got[0]!.at - t0).toFixed(1)} ms`);
  });

  test('receives with the source address and port; sockets are told apart', async () => {
    const [pa, pb] = [(await freeSipPort()) & ~1, ((await freeSipPort()) & ~1) + 2];
    const a = pacer.openSocket('127.0.0.1', pa);
    const b = pacer.openSocket('127.0.0.1', pb);
    const seen: string[] = [];
    a.onMessage = (m, r) => seen.push(`a:${m.toString()}:${r.address}`);
    b.onMessage = (m) => seen.push(`b:${m.toString()}`);
    const tx = createSocket('udp4');
    await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
    tx.send('one', pa, '127.0.0.1');
    tx.send('two', pb, '127.0.0.1');
    await until(() => seen.length === 2, 'seen.length === 2');
    assert.deepEqual(seen.sort(), ['a:one:127.0.0.1', 'b:two']);
    // A port held elsewhere is refused with the errno name, as node:dgram does.
    assert.throws(() => pacer.openSocket('127.0.0.1', pa), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE');
    assert.throws(() => pacer.openSocket('::1', pa + 4), TypeError);
    a.close();
    b.close();
    tx.close();
  });

  test('datagrams to many sockets arriving close together are read in a few passes, not a wake-up each', async (t) => {
    const sockets: PacerSocket[] = [];
    const base = (await freeSipPort()) & ~1;
    for (let p = base; sockets.length < 60 && p < base + 400; p++) {
      try { sockets.push(pacer.openSocket('127.0.0.1', p)); } catch { /* taken: try the next */ }
    }
    const tx = createSocket('udp4');
    t.after(() => { for (const s of sockets) s.close(); tx.close(); });
    let got = 0;
    for (const s of sockets) s.onMessage = () => got++;
    await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
    const bursts = 10;
    const before = pacer.counters().rxPasses;
    for (let b = 0; b < bursts; b++) {
      for (const s of sockets) tx.send('x', s.port, '127.0.0.1');
      await sleep(10);
    }
    await until(() => got === bursts * sockets.length, 'got === bursts * sockets.length');
    const passes = pacer.counters().rxPasses - before;
    // A pass on the burst's first datagram, another 1 ms later for the rest; woken per datagram it would be ~30 per burst.
    assert.ok(passes >= bursts && passes <= 3 * bursts, `${passes} passes for ${bursts} bursts to ${sockets.length} sockets`);
  });

  test('a burst to one socket arrives whole and in order; an oversized datagram is counted and leaves no gap', async (t) => {
    const port = (await freeSipPort()) & ~1;
    const s = pacer.openSocket('127.0.0.1', port);
    const tx = createSocket('udp4');
    t.after(() => { s.close(); tx.close(); });
    const seen: string[] = [];
    s.onMessage = (m) => seen.push(m.length > 100 ? 'big' : m.toString());
    await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
    const oversizeBefore = pacer.counters().rxOversize;
    // More than one recvmmsg takes (8), with an oversized one (over 1,008 bytes) in the middle.
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      if (i === 3) tx.send(Buffer.alloc(1500, 1), port, '127.0.0.1');
      sent.push(`m${i}`);
      tx.send(`m${i}`, port, '127.0.0.1');
    }
    await until(() => seen.length >= 20, 'seen.length >= 20');
    await sleep(20);
    assert.deepEqual(seen, sent);
    assert.equal(pacer.counters().rxOversize - oversizeBefore, 1);
  });

  test('cancelFrom withdraws queued packets from that due time on; later ones are kept', async () => {
    const rx = await receiver();
    const clock = { currentDueMs: undefined as number | undefined };
    const s = pacer.openSocket('127.0.0.1', (await freeSipPort()) & ~1, clock);
    const before = pacer.counters().txCancelled;
    const t0 = performance.now();
    const send = (due: number, tag: number) => {
      clock.currentDueMs = due;
      s.send(Buffer.from([tag]), 0, 1, rx.port, '127.0.0.1');
    };
    send(t0 + 60, 1);
    send(t0 + 80, 2);
    send(t0 + 100, 3);
    s.cancelFrom(t0 + 80);
    send(t0 + 90, 4); // queued after the cancel: kept
    pacer.kick();
    await sleep(160);
    assert.deepEqual(rx.got.map((g) => g.data[0]), [1, 4]);
    assert.equal(pacer.counters().txCancelled - before, 2);
    s.close();
    rx.socket.close();
  });

  test('packets still queued when their socket closes are dropped, even if the id is reused', async () => {
    const rx = await receiver();
    const clock = { currentDueMs: undefined as number | undefined };
    const port = (await freeSipPort()) & ~1;
    const old = pacer.openSocket('127.0.0.1', port, clock);
    const staleBefore = pacer.counters().txStale;
    clock.currentDueMs = performance.now() + 50;
    old.send(Buffer.from('old'), 0, 3, rx.port, '127.0.0.1');
    old.close();
    const reused = pacer.openSocket('127.0.0.1', port, clock);
    assert.equal(reused.id, old.id, 'the id is reused');
    assert.notEqual(reused.gen, old.gen);
    clock.currentDueMs = performance.now() + 60;
    reused.send(Buffer.from('new'), 0, 3, rx.port, '127.0.0.1');
    pacer.kick();
    await sleep(120);
    assert.deepEqual(rx.got.map((g) => g.data.toString()), ['new']);
    assert.equal(pacer.counters().txStale - staleBefore, 1);
    reused.close();
    rx.socket.close();
  });
});

describe('RtpSession with the native pacer and a lead', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  let pacer: RtpPacer;
  let scheduler: Scheduler;
  let pool: PortPool;
  before(async () => {
    pacer = acquireRtpPacer()!;
    assert.ok(pacer);
    const base = (await freeSipPort()) & ~1;
    scheduler = new Scheduler({ maxCatchUp: 50, leadMs: 100, phases: 5, spinMs: 0, afterWake: () => pacer.kick() });
    pool = new PortPool({ address: '127.0.0.1', min: base, max: base + 20, open: async (a, p) => pacer.openSocket(a, p, scheduler) });
  });
  after(() => {
    pool.releaseAll();
    scheduler.dispose();
    releaseRtpPacer(pacer);
  });

  test('audio starts within a slot despite a 100 ms lead (backfill) and leaves on a 20 ms grid', async () => {
    const rx = await receiver();
    const s = await RtpSession.open({ portPool: pool, scheduler, codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: rx.port } });
    // Keep the loop running with another sender so the lead is in effect when play() starts.
    const other = await RtpSession.open({ portPool: pool, scheduler, codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: rx.port + 0 } });
    void other.play(new Int16Array(8000 * 2));
    await sleep(150);
    const mine = rx.got.length;
    const t0 = performance.now();
    const result = await s.play(new Int16Array(160 * 10).fill(1000));
    const resolvedAt = performance.now();
    const ours = () => rx.got.slice(mine).filter((g) => parseRtpHeader(g.data)?.ssrc === s.ssrc);
    await until(() => ours().length === 10, 'ours().length === 10');
    const got = ours();
    assert.equal(result.completed, true);
    assert.ok(got[0]!.at - t0 < 45, `first packet ${(got[0]!.at - t0).toFixed(1)} ms after play() (lead 100 ms)`);
    // play() resolves once the last packet left, so a BYE right after cuts nothing off.
    assert.ok(resolvedAt >= got[9]!.at - 1, `resolved ${(got[9]!.at - resolvedAt).toFixed(1)} ms before the last packet left`);
    const gaps = got.slice(1).map((g, i) => g.at - got[i]!.at);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(Math.abs(mean - 20) < 3, `mean spacing ${mean.toFixed(2)} ms`);
    const hs = got.map((g) => parseRtpHeader(g.data)!);
    for (let i = 1; i < hs.length; i++) {
      assert.equal(hs[i]!.sequenceNumber, (hs[i - 1]!.sequenceNumber + 1) & 0xffff);
      assert.equal((hs[i]!.timestamp - hs[i - 1]!.timestamp) >>> 0, 160);
    }
    s.close();
    other.close();
    rx.socket.close();
  });

  test('stopPlayback withdraws what the lead queued: the next prompt follows with no sequence gap', async () => {
    const rx = await receiver();
    const s = await RtpSession.open({ portPool: pool, scheduler, codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: rx.port } });
    const first = s.play(new Int16Array(8000 * 5).fill(1000)); // 5 s: far longer than the test
    await sleep(200);
    const stoppedAt = performance.now();
    s.stopPlayback();
    assert.equal((await first).completed, false);
    await sleep(50);
    const fromFirst = rx.got.length;
    // Nothing of the first prompt arrives later than the withdraw margin after the stop.
    assert.ok(rx.got.every((g) => g.at < stoppedAt + 25), 'no packets of the stopped prompt after the stop');
    await s.play(new Int16Array(160 * 3).fill(-1000));
    await until(() => rx.got.length === fromFirst + 3, 'rx.got.length === fromFirst + 3');
    const hs = rx.got.map((g) => parseRtpHeader(g.data)!);
    for (let i = 1; i < hs.length; i++) assert.equal(hs[i]!.sequenceNumber, (hs[i - 1]!.sequenceNumber + 1) & 0xffff, `sequence at ${i}`);
    assert.equal(s.stats.packetsSent, rx.got.length, 'withdrawn packets are not counted as sent');
    s.close();
    rx.socket.close();
  });

  test('a new destination (re-INVITE) takes the queued packets with it: none go to the old one after the change', async (t) => {
    const [oldRx, newRx] = [await receiver(), await receiver()];
    const s = await RtpSession.open({ portPool: pool, scheduler, codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: oldRx.port } });
    t.after(() => { s.close(); oldRx.socket.close(); newRx.socket.close(); });
    const prompt = s.play(new Int16Array(8000 * 5).fill(1000));
    await sleep(200);
    const movedAt = performance.now();
    s.setRemote('127.0.0.1', newRx.port);
    await until(() => newRx.got.length >= 5, 'newRx.got.length >= 5');
    const late = oldRx.got.filter((g) => g.at >= movedAt + 25);
    assert.equal(late.length, 0, `${late.length} packets reached the old destination after the change`);
    assert.ok(newRx.got[0]!.at - movedAt < 45, `first packet at the new destination ${(newRx.got[0]!.at - movedAt).toFixed(1)} ms after the change (lead 100 ms)`);
    // One stream across both: the sequence goes on where the last packet the old destination got left it.
    const lastOld = parseRtpHeader(oldRx.got.at(-1)!.data)!.sequenceNumber;
    assert.equal(parseRtpHeader(newRx.got[0]!.data)!.sequenceNumber, (lastOld + 1) & 0xffff);
    s.stopPlayback();
    await prompt;
  });

  test('a codec change (re-INVITE) rebuilds the queued packets with the new payload type', async (t) => {
    const rx = await receiver();
    const s = await RtpSession.open({ portPool: pool, scheduler, codec: 'PCMU', payloadType: 0, remote: { address: '127.0.0.1', port: rx.port } });
    t.after(() => { s.close(); rx.socket.close(); });
    const prompt = s.play(new Int16Array(8000 * 5).fill(1000));
    await sleep(200);
    const changedAt = performance.now();
    s.updateCodec({ codec: 'PCMA', payloadType: 8 });
    await sleep(150);
    const pcmuAfter = rx.got.filter((g) => g.at >= changedAt + 25 && parseRtpHeader(g.data)!.payloadType === 0);
    assert.equal(pcmuAfter.length, 0, `${pcmuAfter.length} PCMU packets after the change to PCMA`);
    assert.ok(rx.got.some((g) => parseRtpHeader(g.data)!.payloadType === 8), 'PCMA packets follow');
    s.stopPlayback();
    await prompt;
  });
});
