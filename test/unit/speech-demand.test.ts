/**
 * Admission's speech-demand forecast (media-core/engine/speech-demand.ts): calls admitted now
 * speak later, so their decoder load is counted at admission.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpeechDemand } from '../../media-core/engine/speech-demand.ts';
import { BoundedQueue } from '../../media-core/conversation/speech/bounded-queue.ts';
import { speechQueueLoads, type SpeechQueueLoad } from '../../media-core/conversation/speech/speech-load.ts';

const stt = (over: Partial<SpeechQueueLoad> = {}): SpeechQueueLoad => ({ depth: 0, bound: 64, concurrency: 2, requests: 0, serviceMs: 100, ...over });

test('before any call spoke, each admitted call is expected to bring one recognition', () => {
  // The long window alone (the burst window is tested below).
  const d = new SpeechDemand({ burstWindowMs: 10_000, loads: () => ({ stt: stt() }) });
  // 2 decoders x 0.8 of their time / 0.1 s per recognition = 16 calls/s over the 10 s window.
  for (let i = 0; i < 159; i++) d.noteAdmitted(1000 + i);
  const f = d.forecast(2000)!;
  assert.equal(f.queue, 'stt');
  assert.ok(Math.abs(f.load - 0.8) < 1e-9, `160 calls in 10 s at 100 ms on 2 decoders: ${f.load}`);
  d.noteAdmitted(2000);
  assert.ok(d.forecast(2001)!.load > 0.8);
  // Admissions older than the rate window no longer count.
  assert.ok(d.forecast(12_500)!.load < 0.01);
});

test('queues without a prior (text to speech served from the cache) count nothing until measured', () => {
  const d = new SpeechDemand({ loads: () => ({ tts: stt({ serviceMs: 5000 }) }) });
  for (let i = 0; i < 100; i++) d.noteAdmitted(i);
  assert.equal(d.forecast(200)!.load, 0);
});

test('requests per call are measured over calls admitted at least a rate window ago', () => {
  let requests = 0;
  const d = new SpeechDemand({ burstWindowMs: 10_000, loads: () => ({ stt: stt({ requests }) }) });
  d.forecast(0); // first mark: 0 calls, 0 requests
  for (let i = 0; i < 40; i++) d.noteAdmitted(100 + i);
  d.forecast(10_001); // second mark: 40 calls
  requests = 10; // only a quarter of them spoke
  const f = d.forecast(20_002)!;
  assert.equal(f.requestsPerCall, 0.25);
  // 1 admission (this one) in the window x 0.25 x 0.1 s / 2 decoders.
  assert.ok(Math.abs(f.load - (0.1 * 0.25 * 0.1) / 2) < 1e-9, String(f.load));
});

test('a bounded queue reports its requests, workers and service time to speech-load, never below the expected time', async () => {
  const q = new BoundedQueue({ name: 'demand-test', concurrency: 3, bound: 4, deadlineMs: 1000, expectedServiceMs: 20 });
  try {
    const load = () => speechQueueLoads()['demand-test']!;
    assert.deepEqual(load(), { depth: 0, bound: 4, concurrency: 3, requests: 0, serviceMs: 20 });
    await q.run(async () => undefined);
    assert.equal(load().serviceMs, 20, 'a fast first request does not lower the expectation');
    for (let i = 0; i < 6; i++) await q.run(() => new Promise((r) => setTimeout(r, 60)));
    assert.equal(load().requests, 7);
    assert.ok(load().serviceMs > 25, `slower requests raise it above the expectation: ${load().serviceMs}`);
  } finally {
    q.close();
  }
});

test('steady 20 calls/s that each speak once 7 s after admission forecast close to 1 request per call', () => {
  let requests = 0;
  const d = new SpeechDemand({ loads: () => ({ stt: stt({ requests }) }) });
  const admittedAt: number[] = [];
  let f;
  let most = 0;
  for (let t = 0; t <= 25_000; t += 50) {
    requests = admittedAt.filter((a) => a + 7000 <= t).length;
    f = d.forecast(t)!;
    most = Math.max(most, f.requestsPerCall);
    d.noteAdmitted(t);
    admittedAt.push(t);
  }
  // Calls admitted in the last 10 s are left out, and those of the 3 s before spoke already:
  // 18/15 at the end, 13/10 at most (20 s in, the first time the sample spans 10 s of calls).
  assert.ok(f!.requestsPerCall <= 1.25, `requests per call ${f!.requestsPerCall}`);
  assert.ok(most <= 1.31, `requests per call during the ramp ${most}`);
  assert.ok(f!.requestsPerCall >= 1, `requests per call ${f!.requestsPerCall}`);
});

test('a burst from idle is judged by its own rate, not averaged over the long window', () => {
  const d = new SpeechDemand({ loads: () => ({ stt: stt({ requests: 0 }) }) });
  // 60 calls/s from idle; the forecast refuses above 0.8 (one recognition per call, 0.1 s, 2 decoders: 16 calls/s).
  let admitted = 0;
  for (let t = 0; t < 5000; t += 1000 / 60) {
    if (d.forecast(t)!.load > 0.8) continue;
    d.noteAdmitted(t);
    admitted++;
  }
  // Over the 10 s window alone, 0.8 allowed 160 calls: all 300 of the first 5 s but 140 went in.
  assert.ok(admitted <= 16 * 2 + 16 * 5, `admitted ${admitted} in 5 s`);
});

test('a short run of slow requests (a GC pause, steal) does not lift the service time the forecast uses', async () => {
  const q = new BoundedQueue({ name: 'demand-stall-test', concurrency: 1, bound: 4, deadlineMs: 5000, expectedServiceMs: 1 });
  try {
    const load = () => speechQueueLoads()['demand-stall-test']!;
    for (let i = 0; i < 24; i++) await q.run(() => new Promise((r) => setTimeout(r, 5)));
    for (let i = 0; i < 8; i++) await q.run(() => new Promise((r) => setTimeout(r, 80)));
    assert.ok(load().serviceMs < 30, `8 slow of 32: ${load().serviceMs} ms`);
    for (let i = 0; i < 16; i++) await q.run(() => new Promise((r) => setTimeout(r, 80)));
    assert.ok(load().serviceMs >= 75, `a lasting slowdown counts: ${load().serviceMs} ms`);
  } finally {
    q.close();
  }
});
