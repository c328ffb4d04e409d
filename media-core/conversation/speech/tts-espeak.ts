/**
 * espeak-ng text-to-speech (the embedded default): `espeak-ng -v <voice> -s <wpm> --stdout`
 * with the text on stdin (so text cannot be read as options), piped through
 * `sox -t wav - -r 8000 -c 1 -b 16 -e signed-integer -t raw -` to telephone PCM.
 * espeak-ng writes 22.05 kHz WAV; sox resamples with its default (high quality) filter.
 */
import { spawn } from 'node:child_process';
import type { TtsProvider } from './tts.ts';
import type { Settings } from './update-strategy.ts';

export interface EspeakOptions {
  voice: string;
  /** Words per minute. */
  rate: number;
  /** Longest synthesis, ms (default 10000). */
  timeoutMs?: number;
}

/** Runs espeak-ng | sox and resolves with 8 kHz samples. @throws Error with the failing program's stderr. */
export function espeakToPcm8k(text: string, voice: string, rate: number, timeoutMs = 10000): Promise<Int16Array> {
  return new Promise((resolve, reject) => {
    const es = spawn('espeak-ng', ['-v', voice, '-s', String(rate), '--stdout'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const sx = spawn('sox', ['-t', 'wav', '-', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let errText = '';
    let settled = false;
    const fail = (msg: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      es.kill('SIGKILL');
      sx.kill('SIGKILL');
      reject(new Error(msg));
    };
    const timer = setTimeout(() => fail(`espeak-ng timed out after ${timeoutMs} ms`), timeoutMs);
    es.on('error', (e) => fail(`espeak-ng could not start: ${e.message} (apt-get install espeak-ng)`));
    sx.on('error', (e) => fail(`sox could not start: ${e.message} (apt-get install sox)`));
    es.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    sx.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    es.stdout.pipe(sx.stdin);
    sx.stdin.on('error', () => {});
    es.stdin.on('error', () => {});
    sx.stdout.on('data', (d: Buffer) => chunks.push(d));
    es.on('close', (code) => {
      if (code !== 0) fail(`espeak-ng exited with ${code}: ${errText.trim().slice(0, 200)}`);
    });
    sx.on('close', (code) => {
      if (settled) return;
      if (code !== 0) return fail(`sox exited with ${code}: ${errText.trim().slice(0, 200)}`);
      settled = true;
      clearTimeout(timer);
      const buf = Buffer.concat(chunks);
      const out = new Int16Array(buf.length >> 1);
      for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(i * 2);
      resolve(out);
    });
    es.stdin.end(text);
  });
}

export class EspeakTts implements TtsProvider {
  readonly name = 'espeak';
  constructor(private readonly o: EspeakOptions) {}

  async synthesize(text: string, settings: Settings): Promise<Int16Array> {
    const voice = typeof settings.voice === 'string' ? settings.voice : this.o.voice;
    const rate = typeof settings.rate === 'number' ? settings.rate : this.o.rate;
    return espeakToPcm8k(text, voice, rate, this.o.timeoutMs);
  }
}
