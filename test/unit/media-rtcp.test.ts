import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { openCarrier } from '../../media-core/media/carrier.ts';
import { buildRtcpReport, isRtcp, ntpMiddle, parseRtcp } from '../../media-core/media/rtcp.ts';
import { serializeRtp } from '../../media-core/media/rtp-packet.ts';
import type { RtpSession } from '../../media-core/media/rtp-session.ts';
import { PacerSocket } from '../../media-core/media/native/pacer-socket.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { metricsRegistry } from '../../media-core/observability/metrics.ts';
import { until } from '../helpers/fake-call.ts';

const RTCP_METRICS = ['media_core_rtcp_peer_jitter_seconds', 'media_core_rtcp_peer_fraction_lost', 'media_core_rtcp_rtt_seconds'];
/** The observation count of each RTCP peer-report metric (0 before the first). */
async function metricCounts(): Promise<Record<string, number>> {
  const text = await metricsRegistry.metrics();
  return Object.fromEntries(RTCP_METRICS.map((name) => [name, Number(new RegExp(`^${name}_count (\\S+)$`, 'm').exec(text)?.[1] ?? 0)]));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bind = (port: number) => new Promise<Socket | undefined>((resolve) => {
  const s = createSocket('udp4');
  s.once('error', () => { s.close(); resolve(undefined); });
  s.bind(port, '127.0.0.1', () => resolve(s));
});

test('RTCP packets: SR and RR with a report block and CNAME round-trip; garbage is refused', () => {
  const block = { ssrc: 0xdeadbeef, fractionLost: 64, cumulativeLost: -3, extHighestSeq: 0x1_0005, jitter: 123, lsr: 0x12345678, dlsr: 65536 };
  const sr = buildRtcpReport(42, { wallMs: 1_700_000_000_250, rtpTimestamp: 1000, packets: 7, octets: 1120 }, block, 'x@y');
  assert.ok(isRtcp(sr));
  assert.equal(sr.length % 4, 0);
  assert.equal(sr[1], 200);
  const p = parseRtcp(sr)!;
  assert.deepEqual(p.sr, { ssrc: 42, lsr: ntpMiddle(1_700_000_000_250) });
  assert.deepEqual(p.blocks, [block]);
  const rr = buildRtcpReport(42, undefined, undefined, 'x@y');
  assert.equal(rr[1], 201);
  assert.deepEqual(parseRtcp(rr), { blocks: [] });
  for (const bad of [Buffer.alloc(0), Buffer.from([0x80, 200, 0, 9, 0, 0, 0, 0]), Buffer.from('hello world!'), serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 1 }, new Uint8Array(20))]) {
    assert.equal(parseRtcp(bad), undefined);
  }
});

for (const io of ['dgram', 'native'] as const) test(`a session (${io} carrier) sends RTCP SR/RR on port + 1 with the loss and jitter it measured, and reads the peer reports (RTT)`, { skip: io === 'native' && process.platform !== 'linux' && 'Linux only' }, async () => {
  // A raw peer on an RTP port P and its RTCP port P + 1.
  let rtp: Socket | undefined;
  let rtcp: Socket | undefined;
  for (let i = 0; i < 20 && !(rtp && rtcp); i++) {
    rtp?.close();
    rtp = undefined;
    const p = ((await freeSipPort()) & ~1);
    rtp = await bind(p);
    rtcp = rtp && await bind(p + 1);
  }
  assert.ok(rtp && rtcp, 'a free port pair');
  const reports: Buffer[] = [];
  rtcp.on('message', (m) => reports.push(m));
  const base = (await freeSipPort()) & ~1;
  const carrier = openCarrier({ io, address: '127.0.0.1', portMin: base, portMax: base + 1 });
  const before = await metricCounts();
  try {
    const s = (await carrier.open({ codec: 'PCMU', payloadType: 0, rtcpIntervalMs: 200 })) as RtpSession;
    // On the native carrier RTCP rides the pacer's thread like RTP: no event-loop socket per call.
    assert.equal(s['rtcp'] instanceof PacerSocket, io === 'native');
    s.setRemote('127.0.0.1', rtp.address().port);
    // 10 packets with 2 missing (seq 3 and 7) from the SDP address.
    for (const seq of [1, 2, 4, 5, 6, 8, 9, 10]) {
      rtp.send(serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 777 }, new Uint8Array(160).fill(0xff)), s.localPort, '127.0.0.1');
      await sleep(5);
    }
    await s.play(new Int16Array(160 * 3));
    await until(() => reports.some((r) => r[1] === 200 && parseRtcp(r)!.blocks.length === 1), 'reports.some((r) => r[1] === 200 && parseRtcp(r)!.blocks.length === 1)', 3000);
    const sr = parseRtcp(reports.find((r) => r[1] === 200 && parseRtcp(r)!.blocks.length === 1)!)!;
    assert.equal(sr.sr!.ssrc, s.ssrc);
    const b = sr.blocks[0]!;
    assert.equal(b.ssrc, 777);
    assert.equal(b.cumulativeLost, 2);
    assert.equal(b.extHighestSeq, 10);
    // The fraction covers the interval since the previous report: the first report with a block has it.
    const first = reports.map((r) => parseRtcp(r)!).find((r) => r.blocks.length === 1)!;
    assert.equal(first.blocks[0]!.fractionLost, Math.floor((2 * 256) / 10));
    // The peer answers with an RR echoing our SR: we learn its view and the round-trip time.
    rtcp.send(buildRtcpReport(777, undefined, { ssrc: s.ssrc, fractionLost: 25, cumulativeLost: 1, extHighestSeq: 3, jitter: 80, lsr: sr.sr!.lsr, dlsr: 0 }, 'peer'), s.localPort + 1, '127.0.0.1');
    await until(() => s.rtcpStats?.peer !== undefined, 's.rtcpStats?.peer !== undefined');
    const peer = s.rtcpStats!.peer!;
    assert.equal(peer.fractionLost, 25);
    assert.equal(peer.jitterMs, 10);
    assert.ok(peer.rttMs !== undefined && peer.rttMs >= 0 && peer.rttMs < 3000, `rtt ${peer.rttMs}`);
    assert.ok(s.rtcpStats!.reportsSent >= 1 && s.rtcpStats!.reportsReceived === 1);
    const after = await metricCounts();
    for (const name of RTCP_METRICS) assert.equal(after[name]! - before[name]!, 1, name);
    s.close();
  } finally {
    carrier.close();
    rtp.close();
    rtcp.close();
  }
});
