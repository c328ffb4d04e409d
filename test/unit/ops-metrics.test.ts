/**
 * The media core's operations endpoint (media-core/observability/ops-server.ts): /metrics in
 * Prometheus format with the call, admission, speech, pacer, UDP and state-write metrics;
 * /healthz; /readyz false while draining; method and path bounds. And the procfs readers of
 * UDP drops.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Uas } from '../../media-core/engine/uas.ts';
import { watchEngine, unwatchEngine } from '../../media-core/observability/engine-metrics.ts';
import { startOpsServer } from '../../media-core/observability/ops-server.ts';
import { callsRefused, outcomes, turnLatency } from '../../media-core/observability/call-metrics.ts';
import { registerSpeechQueue } from '../../media-core/conversation/speech/speech-load.ts';
import { parseSocketDrops, parseUdpSnmp } from '../../media-core/observability/udp-drops.ts';
import { freeSipPort } from '../../dev/free-ports.ts';

const SNMP = `Ip: Forwarding DefaultTTL
Ip: 1 64
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 409117 344 398170 809524 398160 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
`;
const PROC_UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 2000: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 61451 2 00000000a5073645 17
 3786: 0100007F:8889 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 62683 2 00000000922db6d6 4
`;

describe('UDP drop counters from procfs', () => {
  test('RcvbufErrors and InErrors of /proc/net/snmp; drops of one port in /proc/net/udp', () => {
    assert.deepEqual(parseUdpSnmp(SNMP), { rcvbufErrors: 398160, inErrors: 398170 });
    assert.equal(parseUdpSnmp('Ip: a\nIp: 1\n'), undefined);
    assert.equal(parseSocketDrops(PROC_UDP, 5060), 17);
    assert.equal(parseSocketDrops(PROC_UDP, 5061), 0);
  });
});

describe('operations endpoint', { timeout: 30_000 }, () => {
  test('/metrics, /healthz, /readyz (503 while draining); 405 and 404', async () => {
    const engine = await Uas.start(
      { sip: { address: '127.0.0.1', udpPort: await freeSipPort() }, rtp: { address: '127.0.0.1', portMin: 43900, portMax: 43903 }, maxCalls: 2, admission: {} },
      (c) => void c.answer().catch(() => undefined),
    );
    watchEngine(engine);
    const ops = await startOpsServer({ host: '127.0.0.1', port: 0, ready: () => !engine.admission.draining });
    const off = registerSpeechQueue('stt-test', () => ({ depth: 3, bound: 16, concurrency: 1, requests: 0, serviceMs: 0 }));
    try {
      const base = `http://127.0.0.1:${ops.port}`;
      callsRefused.inc({ cause: 'plan_limit', status: 486 });
      outcomes.inc({ vendor: 'sip_trunk', kind: 'transfer', result: 'transferred' });
      turnLatency.observe({ input: 'speech' }, 0.42);
      const m = await fetch(`${base}/metrics`);
      assert.equal(m.status, 200);
      assert.match(m.headers.get('content-type') ?? '', /text\/plain; version=0\.0\.4/);
      const text = await m.text();
      for (const name of [
        'media_core_calls_active 0',
        'media_core_calls_admitted_total',
        'media_core_calls_refused_total{cause="plan_limit",status="486"}',
        'media_core_outcomes_total{vendor="sip_trunk",kind="transfer",result="transferred"}',
        'media_core_turn_latency_seconds_bucket{le="0.5",input="speech"}',
        'media_core_speech_queue_depth{queue="stt-test"} 3',
        'media_core_speech_queue_bound{queue="stt-test"} 16',
        'media_core_event_loop_delay_p99_seconds',
        'media_core_udp_rcvbuf_errors_total',
        'media_core_sip_udp_socket_drops_total',
        'media_core_state_writes_lost_total',
        'media_core_process_resident_memory_bytes',
      ]) {
        assert.ok(text.includes(name), `${name} in /metrics`);
      }
      if (engine.rtpIo === 'native') assert.ok(text.includes('media_core_rtp_pacer_dropped_total{reason="rx_ring_full"}'));
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      engine.admission.draining = true;
      assert.equal((await fetch(`${base}/readyz`)).status, 503);
      assert.match(await (await fetch(`${base}/metrics`)).text(), /media_core_draining 1/);
      assert.equal((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status, 405);
      assert.equal((await fetch(`${base}/nope`)).status, 404);
    } finally {
      off();
      unwatchEngine(engine);
      await ops.close();
      await engine.close();
    }
  });
});
