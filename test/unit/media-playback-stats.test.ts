import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Playback } from '../../media-core/media/playback.ts';
import { ReceiveStats } from '../../media-core/media/receive-stats.ts';

describe('Playback', () => {
  test('whole buffer: frames read in place, last one short, completes by itself', async () => {
    const src = Int16Array.from({ length: 400 }, (_, i) => i);
    const pb = new Playback(src);
    const out = new Int16Array(160);
    const counts: number[] = [];
    for (let k = 0; k < 5 && !pb.finished; k++) {
      counts.push(pb.next(out));
      assert.equal(pb.frameSource, src);
      assert.equal(pb.frameOffset, k * 160);
    }
    assert.deepEqual(counts, [160, 160, 80]);
    assert.deepEqual(await pb.result, { completed: true, playedMs: 50 });
  });

  test('stream: underrun gives 0, chunks are joined in order, stop ends it and asks the producer to return', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let returned = false;
    async function* gen(): AsyncGenerator<Int16Array> {
      try {
        yield Int16Array.from({ length: 100 }, (_, i) => i);
        await gate;
        yield Int16Array.from({ length: 100 }, (_, i) => 100 + i);
        for (;;) { await new Promise((r) => setTimeout(r, 5)); yield new Int16Array(1); } // endless
      } finally {
        returned = true;
      }
    }
    const pb = new Playback(gen());
    const out = new Int16Array(160);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(pb.next(out), 0, 'only 100 samples queued: underrun');
    release();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(pb.next(out), 160);
    assert.deepEqual(Array.from(out), Array.from({ length: 160 }, (_, i) => i));
    pb.finish(false);
    assert.deepEqual(await pb.result, { completed: false, playedMs: 20 });
    pb.finish(true); // idempotent
    assert.equal(pb.next(out), 0);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(returned, true, 'the producer ran its finally block');
  });

  test('a throwing source ends the playback with completed=false and reports the error', async () => {
    const errors: unknown[] = [];
    async function* bad(): AsyncGenerator<Int16Array> {
      yield new Int16Array(10);
      throw new Error('tts failed');
    }
    const pb = new Playback(bad(), (e) => errors.push(e));
    const r = await pb.result;
    assert.equal(r.completed, false);
    assert.match(String(errors[0]), /tts failed/);
  });
});

describe('ReceiveStats (RFC 3550 A.3, A.8)', () => {
  test('loss across the sequence wrap, duplicates and reordering', () => {
    const st = new ReceiveStats();
    for (const seq of [65530, 65531, 65533, 65532, 65532, 2, 3]) st.update(1, seq, 0, 0, false);
    // expected 65530..3 = 10 packets, received 7 (one duplicate counts, as in A.3)
    assert.equal(st.lost, 3);
    st.update(2, 100, 0, 0, false); // new SSRC: previous loss kept, new stream starts
    st.update(2, 102, 0, 0, false);
    assert.equal(st.lost, 4);
  });

  test('jitter: 0 for a steady stream, grows with arrival variation', () => {
    const steady = new ReceiveStats();
    for (let i = 0; i < 100; i++) steady.update(1, i, i * 160, 1000 + i * 20, true);
    assert.ok(steady.jitter < 1e-9);
    const shaky = new ReceiveStats();
    for (let i = 0; i < 400; i++) shaky.update(1, i, (i * 160) >>> 0, 1000 + i * 20 + (i % 2 ? 5 : 0), true);
    // |D| is 5 ms = 40 timestamp units on every packet; J converges to 40.
    assert.ok(Math.abs(shaky.jitter - 40) < 0.5, `jitter ${shaky.jitter}`);
    assert.ok(Math.abs(shaky.jitterMs - 5) < 0.1);
  });
});
