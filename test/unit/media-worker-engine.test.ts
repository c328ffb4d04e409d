/**
 * The SIP engine with RTP in worker threads (startEngine({rtpWorkers: 2})) against SIPp:
 * a call with RTP both ways (SIPp's pcap to us, our tone echoed back), RFC 4733 digits, and
 * a worker that dies mid-call: its call ends with hangup by 'error' (BYE with a Reason),
 * the call on the other worker keeps its audio.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startEngine, type Engine } from '../../media-core/engine/engine.ts';
import type { Call, DigitEvent, HangupEvent } from '../../media-core/call/types.ts';
import type { SipCall } from '../../media-core/engine/call.ts';
import { freeSippMediaPort, freeSipPort } from '../helpers/ports.ts';
import { runSipp, type SippOptions } from '../sipp/run-sipp.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TONE_HZ = 1000;
const tone = (seconds: number) => Int16Array.from({ length: 8000 * seconds }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * TONE_HZ * i) / 8000)));

/** Share of a frame's energy at `hz` (Goertzel), 0..1. */
function toneShare(frame: Int16Array, hz: number): number {
  const c = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of frame) {
    const s0 = x + c * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  return energy > 0 ? (2 * (s1 * s1 + s2 * s2 - c * s1 * s2)) / (frame.length * energy) : 0;
}

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

const hasSipp = spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;

describe('engine with rtpWorkers: 2 against SIPp', { timeout: 60_000, skip: !hasSipp && 'sipp not installed' }, () => {
  let engine: Engine;
  let port: number;
  let behaviour: (call: Call) => void = () => undefined;

  before(async () => {
    port = await freeSipPort();
    engine = await startEngine(
      { sip: { address: '127.0.0.1', udpPort: port }, rtp: { address: '127.0.0.1', portMin: 42700, portMax: 42799 }, maxCalls: 20, t1Ms: 100, rtpWorkers: 2 },
      (c) => behaviour(c),
    );
  });
  after(async () => {
    await engine?.close();
  });

  const sipp = async (o: Omit<SippOptions, 'targetPort' | 'localPort'>) =>
    runSipp({ targetPort: port, localPort: await freeSipPort(), mediaPort: await freeSippMediaPort(), timeoutS: 20, ...o });

  test('a call with RTP both ways through a worker', async () => {
    const frames: Int16Array[] = [];
    behaviour = (c) => {
      c.on('audio', (f: Int16Array) => frames.push(f));
      void c.answer().then(() => c.play(tone(3)));
    };
    const r = await sipp({ scenario: 'uac-pcap.xml', pauseMs: 2500, rtpEcho: true, keys: { pcap: '/usr/share/sip-tester/g711a.pcap', codec: '8' } });
    assert.equal(r.code, 0, r.errors);
    const ours = frames.filter((f) => toneShare(f, TONE_HZ) > 0.8).length;
    const theirs = frames.filter((f) => toneShare(f, TONE_HZ) < 0.5 && f.some((x) => Math.abs(x) > 500)).length;
    assert.ok(ours > 50, `echoed tone frames: ${ours} of ${frames.length}`);
    assert.ok(theirs > 50, `SIPp pcap speech frames: ${theirs} of ${frames.length}`);
    assert.ok(engine.rtpWorkerPool!.load.every((n) => n === 0), 'session closed in its worker');
  });

  test('RFC 4733 digits from SIPp cross from the worker', async () => {
    const digits: DigitEvent[] = [];
    behaviour = (c) => {
      c.on('digit', (d: DigitEvent) => digits.push(d));
      void c.answer().catch(() => undefined);
    };
    const r = await sipp({ scenario: 'uac-pcap.xml', pauseMs: 1200, keys: { pcap: '/usr/share/sip-tester/dtmf_2833_7.pcap', codec: '0' } });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(digits.map((d) => [d.digit, d.source]), [['7', 'rfc4733']]);
  });

  test('a worker dies: its call ends by error with BYE, the other call keeps its audio', async () => {
    const calls: Array<{ call: SipCall; frames: number; hangup?: HangupEvent }> = [];
    behaviour = (c) => {
      const entry: (typeof calls)[number] = { call: c as SipCall, frames: 0 };
      calls.push(entry);
      c.on('audio', (f: Int16Array) => { if (toneShare(f, TONE_HZ) > 0.8) entry.frames++; });
      c.on('hangup', (h: HangupEvent) => (entry.hangup = h));
      void c.answer().then(() => c.play(tone(15))).catch(() => undefined);
    };
    const run = sipp({ scenario: 'uac-wait-bye.xml', calls: 2, limit: 2, rate: 20, rtpEcho: true, keys: { bye_header_regexp: 'BYE' } });
    await until(() => calls.length === 2 && calls.every((c) => c.frames > 10));
    const pool = engine.rtpWorkerPool!;
    const worker = (c: SipCall) => pool.ranges.findIndex((r) => c.localPort >= r.portMin && c.localPort <= r.portMax);
    const victim = calls.find((c) => worker(c.call) === 0)!;
    const survivor = calls.find((c) => worker(c.call) === 1)!;
    assert.ok(victim && survivor, 'one call per worker');
    await pool.terminateWorker(0);
    await until(() => victim.hangup !== undefined);
    assert.deepEqual(victim.hangup, { by: 'error', reason: 'media worker failed' });
    const before = survivor.frames;
    await sleep(400);
    assert.ok(survivor.frames >= before + 10, `survivor frames ${before} -> ${survivor.frames}`);
    assert.equal(survivor.call.state, 'answered');
    assert.equal(survivor.hangup, undefined);
    await survivor.call.hangup();
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    assert.match(r.messages, /Reason: SIP;cause=503;text="media worker failed"/);
  });
});
