/**
 * pocketsphinx speech-to-text (the embedded default; Debian pocketsphinx 0.8 with
 * pocketsphinx-en-us). Per utterance the 8 kHz frames are upsampled to 16 kHz (the model is
 * wideband), padded with 300 ms of silence each side, written as a WAV file and decoded by
 * `pocketsphinx_continuous -infile u.wav -jsgf g.jsgf -hmm ... -dict ...` with a grammar
 * built from the local assistant's phrases (./grammar.ts). The hypothesis is snapped to the
 * nearest phrase (./phrase-snap.ts) and reported in Watson STT result format: the snapped
 * phrase first (confidence = similarity), the raw hypothesis as the alternative.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SttResult } from '../types.ts';
import { buildJsgf } from './grammar.ts';
import { nearestPhrase } from './phrase-snap.ts';
import { concat, upsample2x, writeWav } from './pcm.ts';
import type { Recognition, SttProvider } from './stt.ts';

export interface PocketsphinxOptions {
  hmm: string;
  dict: string;
  /** Expected phrases (grammar + snapping). Empty: the model's language model is used. */
  phrases: readonly string[];
  snapThreshold: number;
  /** Longest decode, ms (default 10000). */
  timeoutMs?: number;
}

let dictWords: Set<string> | undefined;
function loadDict(file: string): Set<string> {
  if (!dictWords) {
    dictWords = new Set();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const w = line.slice(0, line.indexOf(' '));
      if (w) dictWords.add(w.replace(/\(\d+\)$/, ''));
    }
  }
  return dictWords;
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
  private readonly dir = mkdtempSync(join(tmpdir(), 'pocketsphinx-'));
  private readonly grammarArgs: string[];
  private seq = 0;
  /** Wall time of the last decodes, ms (for reports). */
  readonly decodeMs: number[] = [];

  constructor(private readonly o: PocketsphinxOptions) {
    const dict = loadDict(o.dict);
    const jsgf = buildJsgf(o.phrases, (w) => dict.has(w));
    if (jsgf) {
      writeFileSync(join(this.dir, 'g.jsgf'), jsgf);
      this.grammarArgs = ['-jsgf', join(this.dir, 'g.jsgf')];
    } else this.grammarArgs = [];
  }

  /** Decodes one utterance of 8 kHz PCM. */
  async recognize(pcm8k: Int16Array): Promise<SttResult> {
    const pad = new Int16Array(4800);
    const wav = writeWav(upsample2x(concat([pad, pcm8k, pad])), 16000);
    const file = join(this.dir, `u${++this.seq}.wav`);
    writeFileSync(file, wav);
    const t0 = performance.now();
    try {
      const hyp = await runPocketsphinx(file, ['-hmm', this.o.hmm, '-dict', this.o.dict, ...this.grammarArgs], this.o.timeoutMs ?? 10000);
      this.decodeMs.push(performance.now() - t0);
      if (this.decodeMs.length > 100) this.decodeMs.shift();
      return toResult(hyp, this.o.phrases, this.o.snapThreshold);
    } finally {
      rmSync(file, { force: true });
    }
  }

  open(): Recognition {
    const frames: Int16Array[] = [];
    let settle!: { resolve: (r: SttResult) => void; reject: (e: Error) => void };
    const result = new Promise<SttResult>((resolve, reject) => (settle = { resolve, reject }));
    result.catch(() => {});
    let done = false;
    return {
      write: (f) => {
        if (!done) frames.push(f);
      },
      end: () => {
        if (done) return;
        done = true;
        this.recognize(concat(frames)).then(settle.resolve, settle.reject);
      },
      abort: () => {
        if (done) return;
        done = true;
        settle.reject(new Error('recognition aborted'));
      },
      result,
    };
  }

  /** Removes the grammar directory. */
  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
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
