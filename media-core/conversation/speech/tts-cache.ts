/**
 * LRU cache of synthesized prompts in front of a TTS provider, keyed by
 * provider + voice + text (+ the other settings), so a prompt said on every call is
 * synthesized once. Whole buffers are cached directly; a streamed source is passed through
 * as it arrives and cached once it has been read to the end.
 */
import type { AudioSource } from '../../call/types.ts';
import { Lru } from './lru.ts';
import type { TtsProvider } from './tts.ts';
import type { Settings } from './update-strategy.ts';
import { concat } from './pcm.ts';

export class CachedTts implements TtsProvider {
  readonly name: string;
  readonly cache: Lru<string, Int16Array>;
  hits = 0;
  misses = 0;
  constructor(
    private readonly inner: TtsProvider,
    capacity: number,
  ) {
    this.name = inner.name;
    this.cache = new Lru(capacity);
  }

  /** The cache key: provider, voice, the other settings (sorted), text. */
  key(text: string, settings: Settings): string {
    const { voice, ...rest } = settings;
    const other = JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]));
    return `${this.inner.name}\u0000${String(voice ?? '')}\u0000${other}\u0000${text}`;
  }

  async synthesize(text: string, settings: Settings): Promise<AudioSource> {
    const k = this.key(text, settings);
    const hit = this.cache.get(k);
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const src = await this.inner.synthesize(text, settings);
    if (src instanceof Int16Array) {
      this.cache.set(k, src);
      return src;
    }
    return this.tee(k, src);
  }

  private async *tee(k: string, src: AsyncIterable<Int16Array>): AsyncIterable<Int16Array> {
    const parts: Int16Array[] = [];
    for await (const chunk of src) {
      parts.push(chunk);
      yield chunk;
    }
    this.cache.set(k, concat(parts));
  }
}
