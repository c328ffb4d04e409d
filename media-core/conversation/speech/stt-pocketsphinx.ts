/**
 * pocketsphinx speech-to-text (the embedded default; Debian pocketsphinx 0.8+5prealpha with
 * pocketsphinx-en-us). Per utterance the 8 kHz frames are upsampled to 16 kHz (the model is
 * wideband), padded with 600 ms of silence each side and decoded by a pool of long-lived
 * decoder processes (./stt-pool.ts, ./stt-helper.ts) with a grammar built from the local
 * assistant's phrases (./grammar.ts), or with the full language model when there are none.
 * A grammar maps any speech onto one of its phrases, so a phrase whose words span less than
 * `minCoverage` of the utterance (less the VAD's pre-roll and hangover, which no word spans)
 * is taken for a misrecognition or speech outside the grammar and gives no result. Measured
 * by `npm run bench -- stt-grammar` (espeak-ng telephone audio): no correct phrase of 108
 * refused; of the wrong phrases, 8-9 refused and 13 let through; of 45 utterances outside
 * the grammar, 11-12 refused and 19 still taken for a phrase (short words such as "yes"
 * match a short phrase as well as any). A heuristic, not a confidence score. A hypothesis (language model mode, pocketsphinx_continuous) is
 * snapped to the nearest phrase (./phrase-snap.ts) and reported in Watson STT result
 * format: the snapped phrase first (confidence = similarity), the raw hypothesis as the
 * alternative.
 *
 * A recognition the pool cannot serve in time (queue full, deadline missed, decoder failed)
 * resolves with an empty result: the assistant gets a no-match turn, the call goes on.
 *
 * Per-utterance grammars: STT settings may carry `grammar_phrases` (string[], this
 * project's extension, e.g. from a speech_to_text configure): that utterance is decoded
 * with a grammar of those phrases; decoders load such grammars on demand and keep the
 * recently used ones.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { SttResult } from '../types.ts';
import { buildJsgf } from './grammar.ts';
import { nearestPhrase } from './phrase-snap.ts';
import { sttOutOfGrammar } from './speech-metrics.ts';
import { concat, upsample2x } from './pcm.ts';
import { namedGrammar, type NamedGrammar } from './stt-helper.ts';
import type { PoolDecode, SttDecoderPool } from './stt-pool.ts';
import type { Recognition, SttProvider } from './stt.ts';
import type { Settings } from './update-strategy.ts';

export interface PocketsphinxOptions {
  hmm: string;
  dict: string;
  /** Expected phrases (grammar + snapping). Empty: the model's language model is used. */
  phrases: readonly string[];
  snapThreshold: number;
  /** Least share (0-1) of the utterance the grammar phrase's words must span (default 0.8; 0 turns the check off). */
  minCoverage?: number;
  /** Audio the VAD adds around speech, ms: its pre-roll and hangover (default 440: 10 and 12 frames of 20 ms). */
  vadPaddingMs?: number;
  /** The decoders (shared by every integration with the same model). */
  pool: SttDecoderPool;
}

/**
 * Expected decoder time of one utterance with the full language model, ms: about 0.5 s of
 * CPU per second of speech on this project's reference machine (a grammar: 0.02), for an
 * utterance of 2 s.
 */
export const LM_EXPECTED_DECODE_MS = 1000;

const dictWords = new Map<string, Set<string>>();
/** The words of a pronunciation dictionary (alternates such as "read(2)" folded). */
export function loadDict(file: string): Set<string> {
  let words = dictWords.get(file);
  if (!words) {
    words = new Set();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const w = line.slice(0, line.indexOf(' '));
      if (w) words.add(w.replace(/\(\d+\)$/, ''));
    }
    dictWords.set(file, words);
  }
  return words;
}

/** Runs pocketsphinx_continuous on a 16 kHz WAV file; resolves with the hypothesis text. */
export function runPocketsphinx(wavFile: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('pocketsphinx_continuous', ['-infile', wavFile, ...args, '-logfn', '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`pocketsphinx timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`pocketsphinx_continuous could not start: ${e.message} (apt-get install pocketsphinx pocketsphinx-en-us)`));
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`pocketsphinx_continuous exited with ${code}: ${err.trim().slice(-200)}`));
      else resolve(out.split('\n').map((l) => l.trim()).filter(Boolean).join(' '));
    });
  });
}

export class PocketsphinxStt implements SttProvider {
  readonly name = 'pocketsphinx';
  private readonly grammar: NamedGrammar | undefined;
  private readonly dict: Set<string>;
  /** Wall time of the last decodes, ms (for reports). */
  readonly decodeMs: number[] = [];
  /** Utterances that got no hypothesis for load or failure, by reason. */
  readonly missed = { queue_full: 0, deadline: 0, error: 0 };
  /** Grammar hypotheses refused as speech outside the grammar (`minCoverage`). */
  outOfGrammar = 0;

  constructor(private readonly o: PocketsphinxOptions) {
    this.dict = loadDict(o.dict);
    const jsgf = buildJsgf(o.phrases, (w) => this.dict.has(w));
    this.grammar = jsgf ? namedGrammar(jsgf) : undefined;
    // Before any utterance is measured, admission must not forecast language-model decodes
    // at a grammar's cost: the calls it let in would all speak into a backlog seconds later.
    if (!this.grammar) o.pool.queue.expectServiceMs(LM_EXPECTED_DECODE_MS);
  }

  /** Decodes one utterance of 8 kHz PCM; `phrases` replaces the assistant's for this utterance. Never rejects for load. */
  async recognize(pcm8k: Int16Array, phrases?: readonly string[]): Promise<SttResult> {
    const pad = new Int16Array(4800);
    const pcm16k = upsample2x(concat([pad, pcm8k, pad]));
    let grammar = this.grammar;
    let snapTo = this.o.phrases;
    if (phrases) {
      const jsgf = buildJsgf(phrases, (w) => this.dict.has(w));
      grammar = jsgf ? namedGrammar(jsgf) : undefined;
      snapTo = phrases;
    }
    const t0 = performance.now();
    const r: PoolDecode = await this.o.pool.decode(grammar, pcm16k);
    this.decodeMs.push(performance.now() - t0);
    if (this.decodeMs.length > 100) this.decodeMs.shift();
    if (r.missed) this.missed[r.missed]++;
    // 80 samples at 8 kHz per 10 ms decoder frame.
    const spoken = Math.max(1, pcm8k.length / 80 - (this.o.vadPaddingMs ?? 440) / 10);
    if (grammar && r.text && r.wordFrames !== undefined && r.wordFrames < (this.o.minCoverage ?? 0.8) * spoken) {
      this.outOfGrammar++;
      sttOutOfGrammar.inc();
      return toResult('', snapTo, this.o.snapThreshold);
    }
    return toResult(r.text, snapTo, this.o.snapThreshold);
  }

  open(settings: Settings = {}): Recognition {
    const gp = settings.grammar_phrases;
    const phrases = Array.isArray(gp) && gp.length > 0 && gp.length <= 500 && gp.every((p) => typeof p === 'string' && p.length <= 200) ? (gp as string[]) : undefined;
    const frames: Int16Array[] = [];
    let samples = 0;
    let settle!: { resolve: (r: SttResult) => void; reject: (e: Error) => void };
    const result = new Promise<SttResult>((resolve, reject) => (settle = { resolve, reject }));
    result.catch(() => {});
    let done = false;
    return {
      write: (f) => {
        // The VAD bounds an utterance (maxFrames); this bounds it again at 60 s.
        if (done || samples + f.length > 8000 * 60) return;
        frames.push(f);
        samples += f.length;
      },
      end: () => {
        if (done) return;
        done = true;
        this.recognize(concat(frames), phrases).then(settle.resolve, settle.reject);
      },
      abort: () => {
        if (done) return;
        done = true;
        settle.reject(new Error('recognition aborted'));
      },
      result,
    };
  }
}

/** Builds the Watson-format result from a hypothesis. */
export function toResult(hyp: string, phrases: readonly string[], threshold: number): SttResult {
  if (!hyp) return { result_index: 0, results: [] };
  const near = nearestPhrase(hyp, phrases);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const alternatives =
    near && near.score >= threshold && near.phrase.toLowerCase() !== hyp
      ? [{ transcript: near.phrase.toLowerCase(), confidence: round(near.score) }, { transcript: hyp }]
      : [{ transcript: hyp, confidence: round(near?.score ?? 0) }];
  return { result_index: 0, results: [{ final: true, alternatives }] };
}
