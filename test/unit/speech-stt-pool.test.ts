/**
 * Embedded speech to text as long-lived decoders: the native helper
 * (media-core/native/stt_decoder.c) decodes a known utterance, switches grammars per
 * utterance and survives bad input; the pool bounds its queue (refusing, never failing),
 * answers a missed deadline with a no-match, replaces a dead decoder, and registers its fill
 * for admission; the session turns a refused recognition into a no-match turn.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { helperBinaryPath, namedGrammar, SttHelperProcess, type Decoded, type NamedGrammar, type SttWorker } from '../../media-core/conversation/speech/stt-helper.ts';
import { SttDecoderPool } from '../../media-core/conversation/speech/stt-pool.ts';
import { createDecoderPool, decoderKind } from '../../media-core/conversation/speech/stt-decoders.ts';
import { LM_EXPECTED_DECODE_MS, PocketsphinxStt } from '../../media-core/conversation/speech/stt-pocketsphinx.ts';
import { SpeechDemand } from '../../media-core/engine/speech-demand.ts';
import { buildJsgf } from '../../media-core/conversation/speech/grammar.ts';
import { concat, upsample2x } from '../../media-core/conversation/speech/pcm.ts';
import { speechQueueLoads, speechQueueOverBound } from '../../media-core/conversation/speech/speech-load.ts';
import { metricsRegistry } from '../../media-core/observability/metrics.ts';
import { makeRuntime, startCall, ScriptedTestAssistant } from '../helpers/conversation-harness.ts';
import { until } from '../helpers/fake-call.ts';

const hmm = '/usr/share/pocketsphinx/model/en-us/en-us';
const dict = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Telephone audio of a phrase made at test time: espeak-ng -> 8 kHz mu-law -> 16-bit PCM. */
function telephone(text: string): Int16Array {
  const r = spawnSync('sh', ['-c', 'espeak-ng -v en-us --stdout "$0" | sox -t wav - -r 8000 -c 1 -e mu-law -t raw - | sox -t raw -r 8000 -e mu-law -c 1 - -e signed -b 16 -t raw -', text]);
  const b = r.stdout as Buffer;
  return Int16Array.from({ length: b.length >> 1 }, (_, i) => b.readInt16LE(i * 2));
}
const wideband = (pcm8k: Int16Array) => upsample2x(concat([new Int16Array(4800), pcm8k, new Int16Array(4800)]));

/** A fake decoder: answers `hyp` after `ms`, or never (ms < 0), counting what it did. */
class FakeWorker implements SttWorker {
  alive = true;
  decodes = 0;
  private hung: ((e: Error) => void) | undefined;
  constructor(
    private readonly ms: number,
    private readonly hyp = 'hello',
  ) {}
  async decode(_g: NamedGrammar | undefined): Promise<Decoded> {
    this.decodes++;
    if (!this.alive) throw new Error('dead');
    if (this.ms < 0) return new Promise((_, reject) => (this.hung = reject));
    await sleep(this.ms);
    return { text: this.hyp };
  }
  close(): void {
    this.alive = false;
    this.hung?.(new Error('decoder killed'));
  }
}

describe('native decoder helper', () => {
  const headers = existsSync('/usr/include/pocketsphinx/pocketsphinx.h');
  let helper: SttHelperProcess | undefined;
  after(() => helper?.close());

  test('is built where the pocketsphinx headers are (npm run build:native)', { skip: process.platform !== 'linux' || !headers }, () => {
    assert.ok(existsSync(helperBinaryPath()), `${helperBinaryPath()} missing: the build must not skip it here`);
  });

  test('decodes a known utterance, switches grammars per utterance, and survives a bad grammar and hostile frames', { skip: !existsSync(helperBinaryPath()) }, async () => {
    helper = await SttHelperProcess.start({ hmm, dict });
    // It runs below the media core's priority: nice is field 19 of /proc/<pid>/stat (proc(5)).
    const stat = readFileSync(`/proc/${helper.pid}/stat`, 'utf8');
    assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]), 10);
    const hours = namedGrammar('#JSGF V1.0;\ngrammar hours;\npublic <u> = what are your opening hours | goodbye | i want to speak to an agent;\n');
    const colours = namedGrammar(buildJsgf(['red', 'green', 'blue'])!);
    const utt = wideband(telephone('what are your opening hours'));
    assert.equal((await helper.decode(hours, utt)).text, 'what are your opening hours');
    // Another grammar for the next utterance: the helper loads it and keeps both.
    const other = (await helper.decode(colours, utt)).text;
    assert.ok(other.split(' ').filter(Boolean).every((x) => ['red', 'green', 'blue'].includes(x)), `decoded within the colour grammar: "${other}"`);
    const bye = telephone('goodbye');
    const r = await helper.decode(hours, wideband(bye));
    assert.equal(r.text, 'goodbye');
    // The word spans most of the voiced audio, never more than all of it (nor the padding).
    assert.ok(r.wordFrames! > 0.4 * (bye.length / 80) && r.wordFrames! <= bye.length / 80, `${r.wordFrames} word frames of ${bye.length / 80}`);
    await assert.rejects(helper.decode(namedGrammar('#JSGF V1.0;\ngrammar g;\npublic <u> = zzqxw;\n'), utt), /grammar rejected/);
    assert.equal(helper.alive, true, 'a bad grammar does not stop the helper');
    assert.equal((await helper.decode(hours, utt)).text, 'what are your opening hours');
    assert.deepEqual(await helper.decode(hours, new Int16Array(0)), { text: '', wordFrames: 0 }, 'empty audio decodes to nothing');
  });

  test('the recognizer takes a grammar per utterance (grammar_phrases) and snaps to those phrases', { skip: !existsSync(helperBinaryPath()) }, async () => {
    const pool = new SttDecoderPool({ name: 'stt-grammar-test', size: 1, spawn: () => SttHelperProcess.start({ hmm, dict }) });
    try {
      const stt = new PocketsphinxStt({ hmm, dict, phrases: ['i want to speak to an agent', 'goodbye'], snapThreshold: 0.6, pool });
      const utt = telephone('what are your opening hours');
      const own = stt.open({ grammar_phrases: ['what are your opening hours', 'where is the nearest branch'] });
      own.write(utt);
      own.end();
      assert.equal((await own.result).results[0]!.alternatives[0]!.transcript, 'what are your opening hours');
      const dflt = stt.open({});
      dflt.write(telephone('goodbye'));
      dflt.end();
      assert.equal((await dflt.result).results[0]!.alternatives[0]!.transcript, 'goodbye', 'the next utterance is back on the assistant\'s grammar');
    } finally {
      pool.close();
    }
  });

  test('a malformed frame is refused and the process exits instead of decoding garbage', { skip: !existsSync(helperBinaryPath()) }, async () => {
    const p = spawn(helperBinaryPath(), ['-hmm', hmm, '-dict', dict], { stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    const code = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    await until(() => Buffer.concat(out).length >= 5, 'ready frame', 20_000);
    const frame = Buffer.alloc(5);
    frame.writeUInt32LE(0xffffffff, 0); // a length far beyond the bound
    frame.write('D', 4);
    p.stdin.write(frame);
    assert.equal(await code, 2);
    const all = Buffer.concat(out);
    assert.equal(String.fromCharCode(all[4]!), 'R');
    assert.match(all.toString('utf8', 10), /frame length out of bounds/);
  });
});

describe('without the helper', () => {
  test('the pool falls back to one pocketsphinx_continuous per utterance, same bounds', async () => {
    const saved = process.env.STT_DECODER_BIN;
    process.env.STT_DECODER_BIN = '/nonexistent/stt_decoder';
    try {
      assert.equal(decoderKind(), 'pocketsphinx_continuous');
      const pool = createDecoderPool({ hmm, dict, name: 'stt-oneshot-test', size: 1, deadlineMs: 20_000 });
      try {
        const g = namedGrammar('#JSGF V1.0;\ngrammar g;\npublic <u> = what are your opening hours | goodbye;\n');
        assert.deepEqual(await pool.decode(g, wideband(telephone('goodbye'))), { text: 'goodbye' }, 'no word frames: pocketsphinx_continuous does not print them');
        assert.equal(pool.queue.o.concurrency, 1);
      } finally {
        pool.close();
      }
    } finally {
      if (saved === undefined) delete process.env.STT_DECODER_BIN;
      else process.env.STT_DECODER_BIN = saved;
    }
  });
});

describe('decoder pool: bounds and deadlines', () => {
  test('a recognizer with the language model (no phrases) makes admission expect its decode time before any is measured', () => {
    const lm = new SttDecoderPool({ name: 'stt-lm-test', size: 2, eager: false, spawn: async () => new FakeWorker(1) });
    const grammar = new SttDecoderPool({ name: 'stt-grammar-test', size: 2, eager: false, spawn: async () => new FakeWorker(1) });
    try {
      new PocketsphinxStt({ hmm, dict, phrases: [], snapThreshold: 0.6, pool: lm });
      new PocketsphinxStt({ hmm, dict, phrases: ['goodbye'], snapThreshold: 0.6, pool: grammar });
      assert.equal(speechQueueLoads()['stt-lm-test']!.serviceMs, LM_EXPECTED_DECODE_MS);
      assert.equal(speechQueueLoads()['stt-grammar-test']!.serviceMs, 50);
      // 5 calls/s, one utterance each, on 2 decoders: 2.5 of their time with the language model.
      const demand = new SpeechDemand({ loads: () => ({ stt: speechQueueLoads()['stt-lm-test']! }) });
      for (let t = 0; t < 10_000; t += 200) demand.noteAdmitted(t);
      assert.ok(demand.forecast(10_000)!.load > 2, 'refused long before the first utterance is decoded');
    } finally {
      lm.close();
      grammar.close();
    }
  });

  test('a full queue refuses at once with a no-match; the bound is registered for admission and exported as a metric', async () => {
    const pool = new SttDecoderPool({ name: 'stt-bound-test', size: 2, queueBound: 3, deadlineMs: 5000, spawn: async () => new FakeWorker(150) });
    try {
      const running = [...Array(5)].map(() => pool.decode(undefined, new Int16Array(16)));
      await sleep(10);
      assert.deepEqual(speechQueueLoads()['stt-bound-test'], { depth: 3, bound: 3, concurrency: 2, requests: 5, serviceMs: 50 }, 'the expected decode time until one is measured');
      assert.equal(speechQueueOverBound(), 'stt-bound-test', 'admission sees the queue at its bound');
      const t0 = performance.now();
      assert.deepEqual(await pool.decode(undefined, new Int16Array(16)), { text: '', missed: 'queue_full' });
      assert.ok(performance.now() - t0 < 50, 'refused at once, not after waiting');
      assert.match(await metricsRegistry.getSingleMetricAsString('media_core_speech_queue_depth'), /queue="stt-bound-test"} 3/);
      const results = await Promise.all(running);
      assert.deepEqual(results.map((r) => r.text), ['hello', 'hello', 'hello', 'hello', 'hello']);
    } finally {
      pool.close();
    }
  });

  test('a recognition that misses its deadline is a no-match at the deadline; the slot frees when the decoder finishes', async () => {
    const workers: FakeWorker[] = [];
    const pool = new SttDecoderPool({ name: 'stt-deadline-test', size: 1, queueBound: 4, deadlineMs: 200, spawn: async () => (workers.push(new FakeWorker(400)), workers.at(-1)!) });
    try {
      const t0 = performance.now();
      const [a, b] = await Promise.all([pool.decode(undefined, new Int16Array(16)), pool.decode(undefined, new Int16Array(16))]);
      const took = performance.now() - t0;
      assert.deepEqual([a.missed, b.missed], ['deadline', 'deadline']);
      assert.ok(took >= 190 && took < 380, `answered at the deadline (${took.toFixed(0)} ms)`);
      // The waiting one was dropped at its deadline without running: one decode ran.
      await sleep(300);
      assert.equal(workers.reduce((n, w) => n + w.decodes, 0), 1);
      const m = await metricsRegistry.getSingleMetricAsString('media_core_speech_requests_total');
      assert.match(m, /queue="stt-deadline-test",outcome="deadline"} 2/);
    } finally {
      pool.close();
    }
  });

  test('slow decoding (the language model) lowers the bound so queued work can meet the deadline', async () => {
    const pool = new SttDecoderPool({ name: 'stt-slow-test', size: 1, queueBound: 50, deadlineMs: 1000, spawn: async () => new FakeWorker(300) });
    try {
      assert.equal(pool.queue.bound, 50);
      await pool.decode(undefined, new Int16Array(16));
      assert.equal(pool.queue.bound, 3, '1 decoder x 1000 ms / 300 ms per decode');
    } finally {
      pool.close();
    }
  });

  test('a dead or hung decoder is replaced; its utterance is a no-match, the next one decodes', async () => {
    let n = 0;
    const pool = new SttDecoderPool({
      name: 'stt-dead-test',
      size: 1,
      deadlineMs: 150,
      spawn: async () => (++n === 1 ? new FakeWorker(-1) : new FakeWorker(5, 'again')),
    });
    try {
      assert.equal((await pool.decode(undefined, new Int16Array(16))).missed, 'deadline');
      // Kill the hung one the way the hard limit does.
      (pool as unknown as { workers: FakeWorker[] }).workers[0]!.close();
      await sleep(20);
      const r = await pool.decode(undefined, new Int16Array(16));
      assert.equal(r.text, 'again');
      assert.equal(n, 2, 'a new decoder was started');
    } finally {
      pool.close();
    }
  });
});

describe('a refused recognition is a no-match turn, never a failed call', () => {
  test('queue full -> empty result -> the assistant gets vgwPostResponseTimeout and the call goes on', async () => {
    // One decoder that never answers, and room for nobody else: every utterance is refused or late.
    const pool = new SttDecoderPool({ name: 'stt-session-test', size: 1, queueBound: 1, deadlineMs: 100, spawn: async () => new FakeWorker(-1) });
    const stt = new PocketsphinxStt({ hmm, dict, phrases: ['goodbye'], snapThreshold: 0.6, pool });
    const a = new ScriptedTestAssistant((t) => (t === '' ? [{ response_type: 'text', text: 'Hi' }] : [{ response_type: 'text', text: `heard ${t}` }]));
    const { runtime, tts } = makeRuntime(a, { stt, integration: { postResponseTimeoutMs: 300 } });
    try {
      const call = startCall(runtime);
      await until(() => call.plays.length === 1 && call.plays[0]!.result !== undefined, 'welcome played');
      const speech = telephone('goodbye');
      const frames = [speech, new Int16Array(160 * 10)];
      for (const buf of frames) for (let i = 0; i + 160 <= buf.length; i += 160) call.emit('audio', buf.subarray(i, i + 160));
      await until(() => tts.texts().includes('heard vgwPostResponseTimeout'), 'a no-match turn', 5000);
      assert.equal(stt.missed.deadline + stt.missed.queue_full, 1);
      assert.equal(call.state, 'answered', 'the call goes on');
      call.remoteHangup();
      await runtime.idle();
    } finally {
      pool.close();
      runtime.close();
    }
  });
});
