/**
 * IBM Watson Text to Speech over HTTP: POST {url}/v1/synthesize?voice=... with
 * `{"text": ...}` and `Accept: audio/mulaw;rate=8000`. The body is streamed: mu-law bytes
 * are decoded to 16-bit PCM and yielded as they arrive, so playback of a long text starts
 * before synthesis has finished. (cloud.ibm.com/apidocs/text-to-speech#synthesize)
 */
import axios from 'axios';
import type { Readable } from 'node:stream';
import alawmulaw from 'alawmulaw';
import type { IamTokenSource } from '../iam.ts';
import type { TtsProvider } from './tts.ts';
import type { Settings } from './update-strategy.ts';

export interface WatsonTtsOptions {
  url: string;
  voice: string;
  timeoutMs: number;
  iam: IamTokenSource;
}

/** Decodes a mu-law byte stream to PCM chunks (any chunk size). */
export async function* decodeMulawStream(body: AsyncIterable<Buffer>): AsyncIterable<Int16Array> {
  for await (const chunk of body) {
    if (chunk.length === 0) continue;
    yield alawmulaw.mulaw.decode(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
  }
}

export class WatsonTts implements TtsProvider {
  readonly name = 'watson';
  constructor(private readonly o: WatsonTtsOptions) {}

  async synthesize(text: string, settings: Settings): Promise<AsyncIterable<Int16Array>> {
    const { voice, ...params } = settings;
    const query = new URLSearchParams({ voice: typeof voice === 'string' ? voice : this.o.voice });
    for (const [k, v] of Object.entries(params)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') query.set(k, String(v));
    try {
      const r = await axios.post(`${this.o.url.replace(/\/$/, '')}/v1/synthesize?${query}`, { text }, {
        headers: { authorization: `Bearer ${await this.o.iam.token()}`, accept: 'audio/mulaw;rate=8000', 'content-type': 'application/json' },
        responseType: 'stream',
        timeout: this.o.timeoutMs,
      });
      return decodeMulawStream(r.data as Readable);
    } catch (err) {
      throw new Error(`Watson TTS synthesize failed: ${axios.isAxiosError(err) ? (err.response ? `HTTP ${err.response.status}` : err.code) : (err as Error).message}`);
    }
  }
}
