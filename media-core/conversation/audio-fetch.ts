/**
 * Fetches the `audio` response's WAV file (axios, size and time limits, a small LRU cache
 * by URL) and checks the format seed 004 requires: mono, 16-bit PCM, 8000 Hz.
 */
import axios from 'axios';
import type { Lru } from './speech/lru.ts';
import { parseWav, toInt16 } from './speech/pcm.ts';

export interface AudioLimits {
  /** Largest file, bytes. */
  maxBytes: number;
  /** Longest download, ms. */
  timeoutMs: number;
}

export const DEFAULT_AUDIO_LIMITS: AudioLimits = { maxBytes: 10 * 1024 * 1024, timeoutMs: 5000 };

/** @returns 8 kHz samples. @throws Error "audio fetch failed: ..." or "audio must be a WAV of 8000 Hz mono 16-bit PCM; got ...". */
export async function fetchWav8k(url: string, cache: Lru<string, Int16Array>, lim: AudioLimits = DEFAULT_AUDIO_LIMITS): Promise<Int16Array> {
  const hit = cache.get(url);
  if (hit) return hit;
  let data: Buffer;
  try {
    const r = await axios.get(url, { responseType: 'arraybuffer', timeout: lim.timeoutMs, maxContentLength: lim.maxBytes, maxRedirects: 3 });
    data = Buffer.from(r.data as ArrayBuffer);
  } catch (err) {
    throw new Error(`audio fetch failed: ${axios.isAxiosError(err) ? (err.response ? `HTTP ${err.response.status}` : (err.code ?? err.message)) : (err as Error).message}`);
  }
  const wav = parseWav(data);
  if (wav.format !== 1 || wav.channels !== 1 || wav.sampleRate !== 8000 || wav.bitsPerSample !== 16) {
    throw new Error(`audio must be a WAV of 8000 Hz mono 16-bit PCM; got format ${wav.format}, ${wav.channels} channel(s), ${wav.sampleRate} Hz, ${wav.bitsPerSample} bits`);
  }
  const pcm = toInt16(wav.data);
  cache.set(url, pcm);
  return pcm;
}
