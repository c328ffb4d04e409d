/**
 * The embedded recognizer's grammar, measured on the demo assistant's 18 phrases: espeak-ng
 * telephone audio (8 kHz mu-law, as the tests make it) in 6 voices and rates, cut the way the
 * VAD cuts an utterance (200 ms pre-roll before the first sample over 300, 240 ms hangover
 * after the last), decoded by one stt_decoder at nice 0. It prints:
 *
 * - for the phrase grammar the recognizer uses (through PocketsphinxStt, coverage check on):
 *   phrases recognized, how many wrong phrases the coverage check turned into no-match turns
 *   and how many it let through, and decoder CPU per second of speech;
 * - for the former grammar (the phrases, or any sequence of their words, snapped to the
 *   nearest phrase): phrases recognized and decoder CPU per second of speech;
 * - utterances outside the grammar (15 sentences and short words in 3 voices): how many the
 *   coverage check refused, and how many each grammar took for a phrase.
 *
 *   npm run bench -- stt-grammar
 */
import { spawnSync } from 'node:child_process';
import { LocalAssistant } from '../media-core/conversation/assistants/local.ts';
import { buildJsgf, phraseWords } from '../media-core/conversation/speech/grammar.ts';
import { concat, upsample2x } from '../media-core/conversation/speech/pcm.ts';
import { namedGrammar, SttHelperProcess } from '../media-core/conversation/speech/stt-helper.ts';
import { loadDict, PocketsphinxStt, toResult } from '../media-core/conversation/speech/stt-pocketsphinx.ts';
import { SttDecoderPool } from '../media-core/conversation/speech/stt-pool.ts';
import { procStat } from './proc-cpu.ts';

const hmm = '/usr/share/pocketsphinx/model/en-us/en-us';
const dict = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';
const VOICES = ['en-us:140', 'en-us:175', 'en-us:220', 'en-us+f3:175', 'en-gb:175', 'en-us+m7:160'];
const OUTSIDE = ['I would like to check my account balance', 'the weather is nice today', 'can you help me with my bill', 'cough', 'uh huh', 'no', 'yes', 'my name is John Smith', 'I lost my card', 'thank you', 'please hold on', 'what time is it', 'I need to pay', 'sorry', 'okay'];

/** espeak-ng -> 8 kHz mu-law -> 16-bit PCM, cut as the VAD would. */
function telephone(text: string, voice: string): Int16Array {
  const [v, rate] = voice.split(':');
  const r = spawnSync('sh', ['-c', `espeak-ng -v ${v} -s ${rate} --stdout "$0" | sox -t wav - -r 8000 -c 1 -e mu-law -t raw - | sox -t raw -r 8000 -e mu-law -c 1 - -e signed -b 16 -t raw -`, text], { timeout: 20_000 });
  const b = r.stdout as Buffer;
  const x = Int16Array.from({ length: b.length >> 1 }, (_, i) => b.readInt16LE(i * 2));
  let a = 0;
  let z = x.length - 1;
  while (a < x.length && Math.abs(x[a]!) < 300) a++;
  while (z > a && Math.abs(x[z]!) < 300) z--;
  return x.slice(Math.max(0, a - 1600), Math.min(x.length, z + 1920));
}

const phrases = LocalAssistant.fromFile('media-core/config/demo-assistant.json').phrases();
const said = (p: string) => phraseWords(p).join(' ');
const inGrammar = VOICES.flatMap((voice) => phrases.map((p) => ({ p, pcm: telephone(p, voice) })));
const outside = VOICES.slice(1, 4).flatMap((voice) => OUTSIDE.map((p) => telephone(p, voice)));
const speechS = inGrammar.reduce((n, u) => n + u.pcm.length / 8000, 0);

const helper = await SttHelperProcess.start({ hmm, dict, nice: 0 });
const pool = new SttDecoderPool({ name: 'stt-grammar-bench', size: 1, spawn: async () => helper });
const cpuS = () => procStat(helper.pid!)!.cpuS;

// The phrase grammar, through the recognizer itself.
const stt = new PocketsphinxStt({ hmm, dict, phrases, snapThreshold: 0.6, pool });
let c0 = cpuS();
let right = 0;
let refusedWrong = 0;
let wrongTaken = 0;
for (const u of inGrammar) {
  const before = stt.outOfGrammar;
  const t = (await stt.recognize(u.pcm)).results[0]?.alternatives[0]?.transcript;
  if (t !== undefined && said(t) === said(u.p)) right++;
  else if (stt.outOfGrammar > before) refusedWrong++;
  else if (t !== undefined) wrongTaken++;
}
const phraseCpu = cpuS() - c0;
const refusedBefore = stt.outOfGrammar;
let phraseTaken = 0;
for (const pcm of outside) if ((await stt.recognize(pcm)).results.length > 0) phraseTaken++;
const outsideRefused = stt.outOfGrammar - refusedBefore;

// The former grammar: the phrases, or any sequence of their words, snapped.
const known = loadDict(dict);
const words = [...new Set(phrases.flatMap((p) => phraseWords(p).filter((w) => known.has(w))))];
const loop = namedGrammar(buildJsgf(phrases, (w) => known.has(w))!.replace(/public <utt> = (.*);/, (_m, alts: string) => `public <utt> = ${alts} | <word>+;\n<word> = ${words.join(' | ')};`));
const decode = async (pcm: Int16Array) => {
  const pad = new Int16Array(4800);
  const r = await pool.decode(loop, upsample2x(concat([pad, pcm, pad])));
  return toResult(r.text, phrases, 0.6).results[0]?.alternatives[0]?.transcript;
};
c0 = cpuS();
let loopRight = 0;
for (const u of inGrammar) {
  const t = await decode(u.pcm);
  if (t !== undefined && said(t) === said(u.p)) loopRight++;
}
const loopCpu = cpuS() - c0;
let loopTaken = 0;
for (const pcm of outside) {
  const t = await decode(pcm);
  if (t !== undefined && phrases.some((p) => said(p) === said(t))) loopTaken++;
}

pool.close();
const perS = (cpu: number) => `${((cpu / speechS) * 1000).toFixed(1)} ms`;
console.log(`stt-grammar: ${inGrammar.length} phrase utterances (${phrases.length} phrases x ${VOICES.length} voices, ${speechS.toFixed(1)} s), ${outside.length} outside the grammar`);
console.log(`phrase grammar (now): recognized ${right} of ${inGrammar.length}; of the wrong phrases, ${refusedWrong} refused by the coverage check and ${wrongTaken} taken (the rest: no hypothesis); decoder CPU ${perS(phraseCpu)} per second of speech`);
console.log(`  outside the grammar: ${outsideRefused} of ${outside.length} refused by the coverage check, ${phraseTaken} taken for a phrase`);
console.log(`phrases or any sequence of their words (before): recognized ${loopRight} of ${inGrammar.length}; decoder CPU ${perS(loopCpu)} per second of speech`);
console.log(`  outside the grammar: ${loopTaken} of ${outside.length} snapped to a phrase`);
