import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { espeakToPcm8k, EspeakTts } from '../../media-core/conversation/speech/tts-espeak.ts';
import { CachedTts } from '../../media-core/conversation/speech/tts-cache.ts';
import { PocketsphinxStt, toResult } from '../../media-core/conversation/speech/stt-pocketsphinx.ts';
import { createDecoderPool } from '../../media-core/conversation/speech/stt-decoders.ts';
import { buildJsgf } from '../../media-core/conversation/speech/grammar.ts';
import { diceSimilarity, contentSimilarity, nearestPhrase } from '../../media-core/conversation/speech/phrase-snap.ts';
import { Vad } from '../../media-core/conversation/speech/vad.ts';
import { VadConfig } from '../../media-core/config/schema.ts';
import { LocalAssistant } from '../../media-core/conversation/assistants/local.ts';
import { metricsRegistry } from '../../media-core/observability/metrics.ts';

const phrases = LocalAssistant.fromFile('media-core/config/demo-assistant.json').phrases();
const model = { hmm: '/usr/share/pocketsphinx/model/en-us/en-us', dict: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict' };
const pool = createDecoderPool({ ...model, name: 'stt-embedded-test', size: 1 });
const stt = new PocketsphinxStt({ ...model, phrases, snapThreshold: 0.6, pool });
after(() => pool.close());

/** Telephone audio of a phrase: espeak-ng -> 8 kHz mu-law -> 16-bit PCM (what the engine decodes). */
function telephone(text: string): Int16Array {
  const r = spawnSync('sh', ['-c', 'espeak-ng -v en-us --stdout "$0" | sox -t wav - -r 8000 -c 1 -e mu-law -t raw - | sox -t raw -r 8000 -e mu-law -c 1 - -e signed -b 16 -t raw -', text]);
  const b = r.stdout as Buffer;
  return Int16Array.from({ length: b.length >> 1 }, (_, i) => b.readInt16LE(i * 2));
}

describe('embedded speech: espeak-ng, pocketsphinx, VAD', () => {
  test('espeak-ng gives 8 kHz PCM of plausible length; the cache keys by voice and text', async () => {
    const pcm = await espeakToPcm8k('Hello there, welcome.', 'en-us', 175);
    assert.ok(pcm.length > 8000 * 0.8 && pcm.length < 8000 * 4, `${pcm.length} samples`);
    assert.ok(pcm.some((s) => Math.abs(s) > 1000), 'not silence');
    const c = new CachedTts(new EspeakTts({ voice: 'en-us', rate: 175 }), 10);
    const a = await c.synthesize('one', { voice: 'en-us' });
    const b = await c.synthesize('one', { voice: 'en-us' });
    await c.synthesize('one', { voice: 'en-gb' });
    assert.equal(a, b);
    assert.deepEqual([c.hits, c.misses], [1, 2]);
  });

  test('pocketsphinx with the phrase grammar recognizes telephone audio of "i want to speak to an agent" and "goodbye"', async () => {
    for (const phrase of ['i want to speak to an agent', 'I want to speak to an agent.', 'goodbye']) {
      const r = await stt.recognize(telephone(phrase));
      assert.equal(r.results[0]?.final, true);
      assert.equal(r.results[0]!.alternatives[0]!.transcript, phrase.toLowerCase().replace('.', ''));
    }
    console.log(`pocketsphinx decode: ${stt.decodeMs.map((m) => m.toFixed(0)).join(', ')} ms`);
  });

  test('the phrase grammar recognizes most of the demo phrases and refuses most speech outside them', async () => {
    const transcript = async (text: string) => (await stt.recognize(telephone(text))).results[0]?.alternatives[0]?.transcript;
    const heard: string[] = [];
    for (const p of phrases) if ((await transcript(p)) === p.toLowerCase().replace(/[^a-z' ]/g, '').trim()) heard.push(p);
    // A word loop beside the phrases recognized 7 of these 18; the phrases alone 14-15.
    assert.ok(heard.length >= 12, `recognized ${heard.length} of ${phrases.length}: ${heard.join(' / ')}`);
    const outside = ['my name is John Smith', 'I would like to check my account balance', 'can you help me with my bill', 'the weather is nice today', 'I lost my card'];
    const taken: string[] = [];
    for (const s of outside) {
      const t = await transcript(s);
      if (t !== undefined) taken.push(`${s} -> ${t}`);
    }
    // Not all: an utterance-coverage check is a heuristic. Without it every one maps to a phrase.
    assert.ok(taken.length <= 2, `taken for phrases: ${taken.join(' / ')}`);
    assert.ok(stt.outOfGrammar >= outside.length - taken.length);
    const counted = await metricsRegistry.getSingleMetricAsString('media_core_stt_out_of_grammar_total');
    assert.ok(Number(/media_core_stt_out_of_grammar_total (\d+)/.exec(counted)?.[1]) >= outside.length - taken.length, counted);
  });

  test('a longer VAD hangover does not make a short phrase look like speech outside the grammar', async () => {
    // A 1 s hangover (a setting for callers who pause) appends 1 s that no word spans.
    const long = new PocketsphinxStt({ ...model, phrases, snapThreshold: 0.6, pool, vadPaddingMs: 440 + 1000 });
    const said = telephone('goodbye');
    const padded = new Int16Array(said.length + 8000);
    padded.set(said);
    const r = await long.recognize(padded);
    assert.equal(r.results[0]?.alternatives[0]?.transcript, 'goodbye');
    assert.equal(long.outOfGrammar, 0);
  });

  test('grammar and snapping helpers', () => {
    const g = buildJsgf(['I want an agent!', 'hours'], (w) => w !== 'an')!;
    assert.match(g, /public <utt> = i want agent \| hours;/);
    assert.ok(diceSimilarity('i want are speak i to want to to', 'i want to speak to an agent') > 0.6);
    assert.equal(contentSimilarity('i a want up up speak a to when a a a that', 'i want to speak to an agent'), 2 / 3);
    assert.equal(contentSimilarity('bye that open', 'bye'), 0.5, 'extra content words count against a one-word phrase');
    assert.deepEqual(nearestPhrase('when a are you open up', ['open', 'when are you open', 'agent']), { phrase: 'when are you open', score: 1 });
    assert.deepEqual(toResult('', ['x'], 0.5), { result_index: 0, results: [] });
    assert.equal(toResult('zebra', ['agent'], 0.5).results[0]!.alternatives[0]!.transcript, 'zebra');
  });

  test('VAD segments a phrase with start, frames and end', () => {
    const ev: string[] = [];
    const vad = new Vad(VadConfig.parse({}), { onStart: (p) => ev.push(`start+${p.length}`), onFrame: () => {}, onEnd: () => ev.push('end') });
    const pcm = telephone('opening hours');
    const frames = [new Int16Array(160 * 25), pcm, new Int16Array(160 * 40)];
    for (const buf of frames) for (let i = 0; i + 160 <= buf.length; i += 160) vad.push(buf.subarray(i, i + 160));
    assert.equal(ev[0]?.startsWith('start+'), true);
    assert.equal(ev.at(-1), 'end');
    assert.equal(ev.filter((e) => e === 'end').length >= 1, true);
  });
});
