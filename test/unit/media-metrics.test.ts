import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { metricsRegistry } from '../../media-core/observability/metrics.ts';
import { openCarrier } from '../../media-core/media/carrier.ts';
import { serializeRtp } from '../../media-core/media/rtp-packet.ts';
import { freeSipPort } from '../../dev/free-ports.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await metricsRegistry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, want]) => String(x.labels[k]) === want));
  return v?.value ?? 0;
}

test('RTP drops by reason, sources learned and pacing lateness are on the shared registry', async () => {
  const base = (await freeSipPort()) & ~1;
  const carrier = openCarrier({ io: 'dgram', address: '127.0.0.1', portMin: base, portMax: base + 3 });
  const a = await carrier.open({ codec: 'PCMU', payloadType: 0 });
  const b = await carrier.open({ codec: 'PCMU', payloadType: 0 });
  const stranger = createSocket('udp4');
  await new Promise<void>((r) => stranger.bind(0, '127.0.0.2', () => r()));
  try {
    const source0 = await value('media_core_rtp_packets_dropped_total', { reason: 'source' });
    const pt0 = await value('media_core_rtp_packets_dropped_total', { reason: 'payload_type' });
    const learned0 = await value('media_core_rtp_sources_learned_total');
    b.setRemote('127.0.0.1', a.localPort + 1); // A sends from its port: learned after the probation run
    a.setRemote('127.0.0.1', b.localPort);
    stranger.send(serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 1 }, new Uint8Array(160)), b.localPort, '127.0.0.1');
    stranger.send(serializeRtp({ payloadType: 96, sequenceNumber: 2, timestamp: 0, ssrc: 1 }, new Uint8Array(160)), b.localPort, '127.0.0.1');
    await a.play(new Int16Array(160 * 6));
    await sleep(100);
    assert.equal(await value('media_core_rtp_packets_dropped_total', { reason: 'source' }) - source0, 1 + 3, 'the stranger, then the probation run');
    assert.equal(await value('media_core_rtp_packets_dropped_total', { reason: 'payload_type' }) - pt0, 1);
    assert.equal(await value('media_core_rtp_sources_learned_total') - learned0, 1);
    const pacing = (await metricsRegistry.getMetricsAsJSON()).find((x) => x.name === 'media_core_rtp_pacing_seconds');
    assert.ok(pacing?.values.some((v) => v.labels.thread === 'main' && v.labels.quantile === '0.99' && v.value >= 0));
  } finally {
    stranger.close();
    carrier.close();
  }
});
