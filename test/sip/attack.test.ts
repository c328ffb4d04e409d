/**
 * Proof under attack (issue 11, item 5): a real SIPp call with RTP both ways (SIPp plays a
 * pcap to us, we play a tone that SIPp echoes back) completes while the SIP port receives,
 * each from its own process and source address on the loopback range:
 * - a flood of malformed messages (UDP and TCP) from 127.0.0.3, an allowed but hostile trunk;
 * - a slow-header flood (TCP connections trickling octets) from 127.0.0.3 and 127.0.0.6;
 * - an OPTIONS/INVITE scan from 127.0.0.2, which no integration allows.
 * An allowed source's heartbeat OPTIONS keeps being answered throughout. All attack traffic
 * is bounded in count and time (about 5 s).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Uas } from '../../media-core/engine/uas.ts';
import type { Call } from '../../media-core/call/types.ts';
import { metricsRegistry } from '../../media-core/observability/metrics.ts';
import { freeSippMediaPort, freeSipPort } from '../../dev/free-ports.ts';
import { runSipp } from '../../dev/sipp/run-sipp.ts';
import { runFloodInChild } from '../../bench/sip-attack-floods.ts';
import { RawSipPeer, newTestDialog, requestText } from './sip-client.ts';
import { TONE_HZ, tone, toneShare } from '../helpers/tone.ts';

async function droppedBy(reason: string): Promise<number> {
  const m = (await metricsRegistry.getMetricsAsJSON()).find((x) => x.name === 'media_core_sip_dropped_total');
  return (m?.values.find((v) => v.labels.reason === reason)?.value as number | undefined) ?? 0;
}

describe('a call under attack', { timeout: 90_000 }, () => {
  let engine: Uas;
  let port: number;
  const calls: Call[] = [];
  const frames: Int16Array[] = [];

  before(async () => {
    port = await freeSipPort();
    engine = await Uas.start(
      {
        sip: {
          address: '127.0.0.1',
          udpPort: port,
          tcpPort: port,
          access: { integrations: [{ number: '+15550100001', allow: ['127.0.0.1/32', '127.0.0.3/32'] }] },
          maxConnections: 64,
          maxConnectionsPerIp: 16,
          headerTimeoutMs: 1500,
        },
        rtp: { address: '127.0.0.1', portMin: 42800, portMax: 42819 },
        maxCalls: 5,
        t1Ms: 100,
      },
      (c) => {
        calls.push(c);
        c.on('audio', (f: Int16Array) => frames.push(f));
        void c.answer().then(() => c.play(tone(3)));
      },
    );
  });
  after(async () => {
    await engine?.close();
  });

  test('the SIPp call completes with RTP both ways, heartbeats are answered, the scanner gets nothing', async () => {
    const scanDropsBefore = await droppedBy('source');
    const floods = Promise.all([
      runFloodInChild({ kind: 'malformed', port, sources: ['127.0.0.3'], durationMs: 5000, maxMessages: 15_000, ratePerS: 3000, maxConnections: 10 }),
      runFloodInChild({ kind: 'slow-header', port, sources: ['127.0.0.3', '127.0.0.6'], durationMs: 5000, maxMessages: 5000, maxConnections: 100 }),
      runFloodInChild({ kind: 'scan', port, sources: ['127.0.0.2'], durationMs: 5000, maxMessages: 10_000, ratePerS: 2000 }),
    ]);
    // Heartbeat OPTIONS from an allowed source every 100 ms while the floods run.
    const hb = await RawSipPeer.udp(port);
    const latencies: number[] = [];
    let sentBeats = 0;
    const heartbeat = (async () => {
      for (let i = 0; i < 60; i++) {
        const t0 = performance.now();
        sentBeats++;
        hb.send(requestText({ ...newTestDialog('UDP', hb.localPort, port), branch: `z9hG4bKhb${i}` }, 'OPTIONS'));
        const r = await hb.waitFor((m) => m.kind === 'response' && m.status === 200, 2000);
        if (r) latencies.push(performance.now() - t0);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    await new Promise((r) => setTimeout(r, 500)); // the floods are running
    const sipp = await runSipp({
      scenario: 'uac-pcap.xml',
      targetPort: port,
      localPort: await freeSipPort(),
      mediaPort: await freeSippMediaPort(),
      timeoutS: 20,
      pauseMs: 2500,
      rtpEcho: true,
      keys: { pcap: '/usr/share/sip-tester/g711a.pcap', codec: '8' },
    });
    const [malformed, slow, scan] = await floods;
    await heartbeat;
    hb.close();

    assert.equal(sipp.code, 0, `SIPp: ${sipp.errors}`);
    assert.equal(calls.length, 1, 'exactly the one admitted call');
    const ours = frames.filter((f) => toneShare(f, TONE_HZ) > 0.8).length;
    const theirs = frames.filter((f) => toneShare(f, TONE_HZ) < 0.5 && f.some((x) => Math.abs(x) > 500)).length;
    assert.ok(ours > 50, `our tone echoed back by SIPp: ${ours} frames`);
    assert.ok(theirs > 50, `SIPp's pcap received: ${theirs} frames`);

    assert.ok(latencies.length >= sentBeats * 0.95, `heartbeats answered: ${latencies.length} of ${sentBeats}`);
    assert.ok(malformed.sent > 1000, `malformed sent: ${malformed.sent}`);
    assert.equal(scan.answers, 0, 'the scanner got not one datagram');
    assert.ok(scan.sent > 1000);
    assert.ok((await droppedBy('source')) - scanDropsBefore >= scan.sent, 'every scan datagram counted as dropped');
    assert.ok(slow.connectionsClosedByTarget >= 1, 'slow-header connections closed by the target');
    const t = engine.metrics().transport;
    assert.ok(t.headerTimeouts >= 1, 'header deadline hit');
    assert.ok(t.refusedConnections >= 1, 'connection cap hit');
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(`heartbeat under attack: p50 ${sorted[sorted.length >> 1]!.toFixed(1)} ms, p99 ${sorted[Math.floor(sorted.length * 0.99)]!.toFixed(1)} ms; malformed ${malformed.sent}, slow-header connections ${slow.connectionsOpened}, scan ${scan.sent}`);
  });
});
