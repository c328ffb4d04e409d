import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { openCarrier, type CarrierKind } from '../../media-core/media/carrier.ts';
import { PortPoolExhaustedError } from '../../media-core/media/port-pool.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { until } from '../helpers/fake-call.ts';


for (const kind of ['dgram', 'native'] as CarrierKind[]) {
  describe(`RTP carrier ${kind}`, { skip: kind === 'native' && process.platform !== 'linux' && 'Linux only' }, () => {
    test('opens sessions that talk to each other, reports pacing, and gives every port back on close', async () => {
      const base = (await freeSipPort()) & ~1;
      const carrier = openCarrier({ io: kind, address: '127.0.0.1', portMin: base, portMax: base + 3, pacer: { leadMs: 40, phases: 4, realtime: false } });
      try {
        assert.equal(carrier.kind, kind);
        assert.equal(carrier.counters() !== undefined, kind === 'native', 'pacer counters only with the pacer');
        const a = await carrier.open({ codec: 'PCMU', payloadType: 0 });
        const b = await carrier.open({ codec: 'PCMU', payloadType: 0 });
        await assert.rejects(carrier.open({ codec: 'PCMU', payloadType: 0 }), PortPoolExhaustedError);
        a.setRemote('127.0.0.1', b.localPort);
        b.setRemote('127.0.0.1', a.localPort);
        let frames = 0;
        b.onAudio = () => frames++;
        carrier.resetPacingStats();
        const r = await a.play(new Int16Array(160 * 10).fill(1000));
        assert.equal(r.completed, true);
        await until(() => frames === 10, 'frames === 10');
        const stats = carrier.pacingStats();
        assert.deepEqual(stats.map((s) => `${s.thread}:${s.measures}`), kind === 'native' ? ['rtp-pacer:packets', 'main:ticks'] : ['main:ticks']);
        if (kind === 'native') assert.equal(stats[0]!.ticks, 10, 'every packet timed by the pacer thread');
        else assert.ok(stats[0]!.ticks >= 10, 'the scheduler ticked for each packet');
        a.close();
        b.close();
        // The ports are free again.
        const c = await carrier.open({ codec: 'PCMA', payloadType: 8 });
        assert.ok(c.localPort === base || c.localPort === base + 2);
      } finally {
        carrier.close();
        carrier.close();
      }
    });
  });
}
