/**
 * Admission by headroom (media-core/engine/admission.ts, headroom-checks.ts): the check list
 * and its seam for async checks (deadline, fail open, release), and the engine refusing new
 * INVITEs with 503 + Retry-After (and OPTIONS with 503) during a forced event-loop stall while
 * an admitted call goes on and ends normally.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionControl, type AdmissionCheck } from '../../media-core/engine/admission.ts';
import { Uas } from '../../media-core/engine/uas.ts';
import type { Call, HangupEvent } from '../../media-core/call/types.ts';
import { getHeader, type SipMessage } from '../../media-core/sip/message.ts';
import { registerSpeechQueue } from '../../media-core/conversation/speech/speech-load.ts';
import { callsRefused } from '../../media-core/observability/call-metrics.ts';
import { windowQuantile } from '../../media-core/observability/pacer-lateness.ts';
import { EventLoopDelayWindow } from '../../media-core/observability/event-loop-delay.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { RawSipPeer, newTestDialog, offerSdp, requestText, toTagOf } from './sip-client.ts';

const isResp = (status: number, cseq?: string) => (m: SipMessage) => m.kind === 'response' && m.status === status && (!cseq || getHeader(m, 'cseq') === cseq);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const refusedCount = async (cause: string) => (await callsRefused.get()).values.filter((v) => v.labels.cause === cause).reduce((n, v) => n + v.value, 0);

describe('admission checks', () => {
  test('checks run in order after the plan count; a refusal gives back what earlier checks reserved', async () => {
    const log: string[] = [];
    const lease: AdmissionCheck = { name: 'lease', check: async (ctx) => void log.push(`lease ${ctx.callId}`), release: (callId) => void log.push(`lease released ${callId}`) };
    let full = false;
    const gate: AdmissionCheck = { name: 'gate', headroom: true, check: () => (full ? { status: 503, reason: 'Service Unavailable', retryAfterS: 5, cause: 'test_full' } : undefined) };
    const ac = new AdmissionControl(10, { checks: [lease, gate] });
    const a = await ac.admit('a');
    assert.equal(a.admit, true);
    full = true;
    const b = await ac.admit('b');
    assert.deepEqual(!b.admit && [b.status, b.cause, b.retryAfterS], [503, 'test_full', 5]);
    assert.deepEqual(log, ['lease a', 'lease b', 'lease released b'], 'checks are told the Call-ID');
    assert.equal(ac.activeCalls, 1);
    assert.equal(ac.headroom()?.cause, 'test_full', 'OPTIONS sees the headroom check');
    if (a.admit) {
      a.release();
      a.release();
    }
    assert.deepEqual(log.slice(3), ['lease released a'], 'released once');
    assert.equal(ac.activeCalls, 0);
  });

  test('an async check past its deadline fails open (or refuses as configured); its late reservation is given back', async () => {
    let released = 0;
    const slow: AdmissionCheck = { name: 'slow', deadlineMs: 30, check: () => sleep(200).then(() => undefined), release: () => void released++ };
    const ac = new AdmissionControl(10, { checks: [slow] });
    const t0 = Date.now();
    const a = await ac.admit('c');
    assert.ok(Date.now() - t0 < 150, 'admission did not wait for the slow check');
    assert.equal(a.admit, true);
    await sleep(250);
    assert.equal(released, 1, 'the late pass was released');
    if (a.admit) a.release();
    assert.equal(released, 1, 'not released twice');
    const strict = new AdmissionControl(10, { checks: [{ ...slow, onFailure: { status: 503, reason: 'Service Unavailable', retryAfterS: 1, cause: 'check_timeout' } }] });
    const b = await strict.admit('c');
    assert.equal(!b.admit && b.cause, 'check_timeout');
    assert.equal(strict.activeCalls, 0);
  });

  test('concurrent admissions with an async check never exceed the plan limit', async () => {
    const ac = new AdmissionControl(3, { checks: [{ name: 'io', check: () => sleep(10).then(() => undefined) }] });
    const all = await Promise.all(Array.from({ length: 10 }, () => ac.admit('c')));
    assert.equal(all.filter((d) => d.admit).length, 3);
    assert.ok(all.filter((d) => !d.admit).every((d) => !d.admit && d.status === 486));
  });

  test('event-loop delay window: one lone pause in a healthy window is not decisive, repeated stalls are', async () => {
    const w = new EventLoopDelayWindow({ windowMs: 2000, resolutionMs: 10 });
    const stall = (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        /* busy */
      }
    };
    try {
      await sleep(1500);
      stall(350);
      await sleep(50);
      assert.ok(w.maxMs() >= 300, `the pause was seen (${w.maxMs()} ms)`);
      assert.ok(w.p99Ms() < 300, `one pause among ~150 samples is not the p99 (${w.p99Ms()} ms)`);
      for (let k = 0; k < 5; k++) {
        stall(300);
        await sleep(20);
      }
      await sleep(600);
      assert.ok(w.p99Ms() >= 250, `repeated stalls make the p99 (${w.p99Ms()} ms)`);
    } finally {
      w.stop();
    }
  });

  test('pacer lateness over a window: the difference of two cumulative histograms', () => {
    const before = { counts: Uint32Array.from([100, 0, 0, 0]), count: 100, bucketMs: 1 };
    const now = { counts: Uint32Array.from([190, 0, 0, 10]), count: 200, bucketMs: 1 };
    const w = windowQuantile(before, now, 0.95);
    assert.equal(w.packets, 100);
    assert.equal(w.value, 4, 'p95 of the window lies in the late bucket, though the cumulative p95 would not');
  });
});

describe('engine: admission by headroom', { timeout: 60_000 }, () => {
  test('a forced event-loop stall refuses new INVITEs and OPTIONS with 503 + Retry-After; the admitted call goes on and ends normally', async () => {
    const port = await freeSipPort();
    const calls: Call[] = [];
    const hangups: HangupEvent[] = [];
    const engine = await Uas.start(
      {
        sip: { address: '127.0.0.1', udpPort: port },
        rtp: { address: '127.0.0.1', portMin: 43700, portMax: 43711 },
        maxCalls: 10,
        t1Ms: 100,
        admission: { eventLoopDelayP99Ms: 150, windowMs: 1000, retryAfterS: 7, pacerLateP99Ms: 0 },
      },
      (c) => {
        calls.push(c);
        c.once('hangup', (e: HangupEvent) => hangups.push(e));
        void c
          .answer()
          .then(async () => {
            // The admitted call plays audio all along: load must not touch it.
            for (let i = 0; i < 50 && c.state === 'answered'; i++) if (!(await c.play(new Int16Array(8000).fill(500))).completed) break;
          })
          .catch(() => undefined);
      },
    );
    try {
      const a = await RawSipPeer.udp(port);
      const da = newTestDialog('UDP', a.localPort, port);
      a.send(requestText(da, 'INVITE', { body: offerSdp(43800) }));
      const ok = await a.waitFor(isResp(200, '1 INVITE'), 5000);
      assert.ok(ok, 'first call admitted');
      da.toTag = toTagOf(ok);
      a.send(requestText(da, 'ACK', { branch: 'z9hG4bKack1' }));
      await sleep(300);
      assert.equal(engine.activeCalls(), 1);

      const refusedBefore = await refusedCount('event_loop_delay');
      // The stall: the event loop is held 300 ms at a time, four times in 1.3 s (a CPU-starved process).
      for (let k = 0; k < 4; k++) {
        const until = Date.now() + 300;
        while (Date.now() < until) {
          /* busy */
        }
        await sleep(30);
      }
      const b = await RawSipPeer.udp(port);
      const db = newTestDialog('UDP', b.localPort, port);
      b.send(requestText(db, 'INVITE', { body: offerSdp(43802) }));
      const refused = await b.waitFor(isResp(503, '1 INVITE'), 3000);
      assert.ok(refused, 'INVITE during the stall: 503');
      assert.equal(getHeader(refused, 'retry-after'), '7');
      b.send(requestText({ ...newTestDialog('UDP', b.localPort, port) }, 'OPTIONS'));
      const opt = await b.waitFor(isResp(503, '1 OPTIONS'), 3000);
      assert.ok(opt, 'OPTIONS without headroom: 503');
      assert.equal(await refusedCount('event_loop_delay'), refusedBefore + 1, 'the refusal is counted by cause');
      assert.equal(engine.activeCalls(), 1, 'the refused call was not counted');

      // The admitted call is untouched: still answered, no BYE from us; the caller ends it.
      await sleep(200);
      assert.equal(calls[0]!.state, 'answered');
      assert.equal(a.received.some((m) => m.kind === 'request' && m.method === 'BYE'), false);
      a.send(requestText({ ...da, cseq: 2 }, 'BYE', { branch: 'z9hG4bKbye1' }));
      assert.ok(await a.waitFor(isResp(200, '2 BYE'), 3000), 'BYE answered 200');
      await sleep(100);
      assert.deepEqual(hangups.map((h) => h.by), ['remote']);

      // Once the stall has aged out of the windows, calls are admitted again.
      let admitted = false;
      for (let i = 0; i < 10 && !admitted; i++) {
        await sleep(500);
        const c = await RawSipPeer.udp(port);
        const dc = newTestDialog('UDP', c.localPort, port);
        c.send(requestText(dc, 'OPTIONS'));
        admitted = !!(await c.waitFor(isResp(200, '1 OPTIONS'), 1000));
        c.close();
      }
      assert.ok(admitted, 'headroom came back');

      // Speech queues at their bound refuse too.
      const off = registerSpeechQueue('test-stt', () => ({ depth: 8, bound: 8, concurrency: 1, requests: 0, serviceMs: 0 }));
      const s = await RawSipPeer.udp(port);
      const ds = newTestDialog('UDP', s.localPort, port);
      s.send(requestText(ds, 'INVITE', { body: offerSdp(43804) }));
      assert.ok(await s.waitFor(isResp(503, '1 INVITE'), 3000), 'speech queue full: 503');
      off();

      // Draining: OPTIONS 503 too, so the dispatcher takes this instance out of rotation.
      engine.admission.draining = true;
      const o = await RawSipPeer.udp(port);
      o.send(requestText(newTestDialog('UDP', o.localPort, port), 'OPTIONS'));
      const drained = await o.waitFor(isResp(503, '1 OPTIONS'), 3000);
      assert.ok(drained, 'OPTIONS while draining: 503');
      assert.equal(getHeader(drained, 'retry-after'), '30');
      for (const p of [a, b, s, o]) p.close();
    } finally {
      await engine.close();
    }
  });
});

describe('engine: an async admission check (the fleet-wide limit seam)', { timeout: 30_000 }, () => {
  test('a CANCEL while the check runs ends the INVITE with 487 and gives back the check’s reservation; a refusal of 486 comes through', async () => {
    const port = await freeSipPort();
    let held = 0;
    let full = false;
    const fleet: AdmissionCheck = {
      name: 'fleet',
      deadlineMs: 1000,
      check: async () => {
        await sleep(300);
        if (full) return { status: 486, reason: 'Busy Here', cause: 'fleet_limit' };
        held++;
        return undefined;
      },
      release: () => void held--,
    };
    const offered: Call[] = [];
    const engine = await Uas.start(
      { sip: { address: '127.0.0.1', udpPort: port }, rtp: { address: '127.0.0.1', portMin: 43720, portMax: 43723 }, maxCalls: 5, t1Ms: 100, admissionChecks: [fleet] },
      (c) => void offered.push(c),
    );
    try {
      const p = await RawSipPeer.udp(port);
      const d = newTestDialog('UDP', p.localPort, port);
      p.send(requestText(d, 'INVITE', { body: offerSdp(43820) }));
      await sleep(100);
      p.send(requestText(d, 'CANCEL'));
      assert.ok(await p.waitFor(isResp(200, '1 CANCEL'), 2000), 'CANCEL answered 200');
      assert.ok(await p.waitFor(isResp(487, '1 INVITE'), 3000), 'INVITE ended 487');
      await sleep(100);
      assert.equal(offered.length, 0, 'the cancelled call never reached the runtime');
      assert.equal(held, 0, 'the reservation was given back');
      assert.equal(engine.activeCalls(), 0);

      full = true;
      const q = await RawSipPeer.udp(port);
      q.send(requestText(newTestDialog('UDP', q.localPort, port), 'INVITE', { body: offerSdp(43822) }));
      assert.ok(await q.waitFor(isResp(486, '1 INVITE'), 3000), 'the check’s 486 is answered');
      p.close();
      q.close();
    } finally {
      await engine.close();
    }
  });
});
