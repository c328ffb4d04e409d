/**
 * RTP media figures (`npx tsx bench/rtp.bench.ts`):
 * 1. encode + packetize + send cost per packet (µs of process CPU, UDP send to 127.0.0.1 included);
 * 2. SRTP protect and unprotect cost per packet (AES_CM_128_HMAC_SHA1_80, 160-byte payload);
 * 3. shared scheduler tick deviation p50/p99/max with 1,000 registered dummy senders for 10 s
 *    (target p99 <= 2 ms);
 * 4. a load run: 1,000 RtpSessions in 500 loopback pairs, each sending and receiving 50
 *    packets/s (PCMU), CPU % of one core and tick deviation, through node:dgram; then the same
 *    through the native pacer thread, with each packet's lateness against its due time.
 * Env: BENCH_SCHED_S (default 10), BENCH_LOAD_S (default 5), BENCH_LOAD_SESSIONS (default 1000).
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { Scheduler, type PacedSender } from '../media-core/media/scheduler.ts';
import { PortPool } from '../media-core/media/port-pool.ts';
import { RtpSession } from '../media-core/media/rtp-session.ts';
import { RtpSender } from '../media-core/media/rtp-sender.ts';
import { SrtpContext } from '../media-core/media/srtp.ts';
import { serializeRtp } from '../media-core/media/rtp-packet.ts';
import { decodeG711 } from '../media-core/media/g711.ts';
import { acquireRtpPacer, releaseRtpPacer } from '../media-core/media/native/shared-pacer.ts';
import { loadRtpPacerAddon } from '../media-core/media/native/load.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const immediate = () => new Promise((r) => setImmediate(r));
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function sendCost(): Promise<void> {
  const pool = new PortPool({ address: '127.0.0.1', min: 41000, max: 41998 });
  const scheduler = new Scheduler();
  const sink = createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  sink.on('message', () => undefined);
  // Senders alone (media-core/media/rtp-sender.ts): the loop below drives their ticks.
  const sessions: RtpSender[] = [];
  for (let i = 0; i < 100; i++) {
    const s = new RtpSender((await pool.allocate()).socket, scheduler, { codec: 'PCMU', payloadType: 0, telephoneEventPt: undefined, srtp: undefined }, () => undefined);
    s.setDestination({ address: '127.0.0.1', port: sink.address().port });
    sessions.push(s);
  }
  const pcm = decodeG711('PCMU', randomBytes(160 * 1000));
  // Playback registers with the scheduler; unregister so only our loop drives tick().
  const plays = sessions.map((s) => s.play(pcm));
  scheduler.dispose();
  const rounds = 400;
  await immediate();
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const s of sessions) s.tick(r);
    await immediate(); // let the sends complete, as between real ticks
  }
  await sleep(20);
  const used = cpuMs(process.cpuUsage(t0));
  const packets = rounds * sessions.length;
  const sent = sessions.reduce((n, s) => n + s.packetsSent, 0);
  console.log(`encode+packetize+send: ${((used * 1000) / packets).toFixed(2)} µs CPU/packet (${sent} packets, wall ${((performance.now() - w0) * 1000 / packets).toFixed(2)} µs/packet)`);
  // Floor for comparison: bare dgram sends of a ready 172-byte packet from 100 sockets.
  const raw = await Promise.all(Array.from({ length: 100 }, () => new Promise<ReturnType<typeof createSocket>>((r) => { const u = createSocket('udp4'); u.bind(0, '127.0.0.1', () => r(u)); })));
  const pkt = Buffer.alloc(172, 0xff);
  const r0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    for (const u of raw) u.send(pkt, 0, 172, sink.address().port, '127.0.0.1');
    await immediate();
  }
  await sleep(20);
  console.log(`  (floor: bare dgram send of a ready packet ${((cpuMs(process.cpuUsage(r0)) * 1000) / (rounds * raw.length)).toFixed(2)} µs CPU/packet; both include the in-process sink's receive)`);
  for (const u of raw) u.close();
  for (const s of sessions) s.close();
  await Promise.all(plays);
  sink.close();
  pool.releaseAll();
}

function srtpCost(): void {
  const key = randomBytes(30);
  const tx = new SrtpContext(key);
  const rx = new SrtpContext(key);
  const n = 50000;
  const packets = Array.from({ length: 64 }, (_, i) => {
    const rtp = serializeRtp({ payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 1234 }, randomBytes(160));
    const b = Buffer.alloc(rtp.length + 10);
    rtp.copy(b);
    return b;
  });
  let seq = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const b = packets[i & 63]!;
    b.writeUInt16BE(seq++ & 0xffff, 2);
    tx.protect(b, 172);
  }
  const protectUs = ((performance.now() - t0) * 1000) / n;
  // Unprotect needs fresh, in-order protected packets: protect then unprotect, subtract.
  const t1 = performance.now();
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const b = packets[i & 63]!;
    b.writeUInt16BE(seq++ & 0xffff, 2);
    tx.protect(b, 172);
    if (rx.unprotect(b, 182) > 0) ok++;
  }
  const bothUs = ((performance.now() - t1) * 1000) / n;
  console.log(`SRTP protect: ${protectUs.toFixed(2)} µs/packet; unprotect: ${(bothUs - protectUs).toFixed(2)} µs/packet (${ok}/${n} authenticated)`);
}

async function schedulerDeviation(seconds: number): Promise<void> {
  const scheduler = new Scheduler();
  let calls = 0;
  const senders: PacedSender[] = Array.from({ length: 1000 }, () => ({ tick: () => { calls++; } }));
  for (const s of senders) scheduler.add(s);
  await sleep(500);
  scheduler.resetStats();
  const c0 = process.cpuUsage();
  calls = 0;
  await sleep(seconds * 1000);
  const st = scheduler.stats();
  const cpu = cpuMs(process.cpuUsage(c0));
  scheduler.dispose();
  console.log(`scheduler, 1000 dummy senders, ${seconds} s: ticks ${st.ticks}, sender calls ${calls}, deviation p50 ${st.p50Ms.toFixed(2)} ms, p99 ${st.p99Ms.toFixed(2)} ms, max ${st.maxMs.toFixed(2)} ms, skipped slots ${st.skipped}, CPU ${(cpu / (seconds * 10)).toFixed(1)} % of a core`);
}

/** `count` sessions in loopback pairs through node:dgram, or through the native pacer thread (CPU counts every thread). */
async function loadRun(seconds: number, count: number, io: 'dgram' | 'native'): Promise<void> {
  const pacer = io === 'native' ? acquireRtpPacer() : undefined;
  if (io === 'native' && !pacer) {
    console.log(`load (native): skipped, the pacer addon is ${(loadRtpPacerAddon() as { reason: string }).reason}`);
    return;
  }
  const scheduler = pacer ? new Scheduler({ leadMs: 100, phases: 20, spinMs: 0, afterWake: () => pacer.kick() }) : new Scheduler();
  const pool = new PortPool({ address: '127.0.0.1', min: 42000, max: 42000 + 2 * count + 200, open: pacer ? async (a, p) => pacer.openSocket(a, p, scheduler) : undefined });
  const sessions: RtpSession[] = [];
  for (let i = 0; i < count; i++) sessions.push(await RtpSession.open({ portPool: pool, scheduler, codec: 'PCMU', payloadType: 0, telephoneEventPt: 101 }));
  let frames = 0;
  for (let i = 0; i < count; i += 2) {
    const a = sessions[i]!;
    const b = sessions[i + 1]!;
    a.setRemote('127.0.0.1', b.localPort);
    b.setRemote('127.0.0.1', a.localPort);
  }
  for (const s of sessions) s.onAudio = () => { frames++; };
  const pcm = decodeG711('PCMU', randomBytes(8000 * (seconds + 2)));
  const plays = sessions.map((s) => s.play(pcm));
  await sleep(1000);
  scheduler.resetStats();
  pacer?.resetStats();
  frames = 0;
  const c0 = process.cpuUsage();
  await sleep(seconds * 1000);
  const cpu = cpuMs(process.cpuUsage(c0));
  // With the pacer: how late each packet left; else how late the scheduler's ticks ran.
  const st = pacer ? pacer.stats() : scheduler.stats();
  const lost = sessions.reduce((n, s) => n + s.stats.lost, 0);
  for (const s of sessions) s.close();
  await Promise.all(plays);
  pool.releaseAll();
  scheduler.dispose();
  if (pacer) releaseRtpPacer(pacer);
  const what = pacer ? 'packet lateness' : 'tick deviation';
  console.log(`load (${io}): ${count} sessions (${count / 2} loopback pairs, each way 50 pkt/s) for ${seconds} s: CPU ${(cpu / (seconds * 10)).toFixed(1)} % of one core, frames received ${frames} (${(frames / seconds).toFixed(0)}/s, expected ${count * 50}/s), lost ${lost}, ${what} p50 ${st.p50Ms.toFixed(2)} ms p99 ${st.p99Ms.toFixed(2)} ms max ${st.maxMs.toFixed(2)} ms, skipped ${st.skipped}`);
}

await sendCost();
srtpCost();
await schedulerDeviation(Number(process.env.BENCH_SCHED_S ?? 10));
await loadRun(Number(process.env.BENCH_LOAD_S ?? 5), Number(process.env.BENCH_LOAD_SESSIONS ?? 1000), 'dgram');
await loadRun(Number(process.env.BENCH_LOAD_S ?? 5), Number(process.env.BENCH_LOAD_SESSIONS ?? 1000), 'native');
