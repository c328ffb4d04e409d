/**
 * LRU cache of synthesized prompts in front of a TTS provider, keyed by
 * provider + voice + text (+ the other settings), so a prompt said on every call is
 * synthesized once.
 *
 * Single flight: identical requests (same key) arriving while a synthesis runs are served
 * by that synthesis. A whole buffer is shared as is; a streamed source (Watson TTS) is read
 * once into a {@link SharedStream} that every requester replays from the start while it is
 * still arriving, and that is cached once complete.
 */
import type { AudioSource } from '../../call/types.ts';
import { Lru } from './lru.ts';
import type { TtsProvider } from './tts.ts';
import type { Settings } from './update-strategy.ts';
import { concat } from './pcm.ts';

/** Longest streamed prompt kept, samples at 8 kHz (5 minutes). */
const MAX_STREAM_SAMPLES = 8000 * 300;

/**
 * A stream read once and replayed to any number of readers: each {@link subscribe} yields
 * every chunk from the first, then follows the source as it arrives.
 */
export class SharedStream {
  private readonly parts: Int16Array[] = [];
  private samples = 0;
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void)[] = [];
  /** Resolves with the whole audio when the source ended; rejects when it failed. */
  readonly done: Promise<Int16Array>;

  constructor(src: AsyncIterable<Int16Array>) {
    this.done = this.pull(src);
    this.done.catch(() => {});
  }

  private async pull(src: AsyncIterable<Int16Array>): Promise<Int16Array> {
    try {
      for await (const chunk of src) {
        this.samples += chunk.length;
        if (this.samples > MAX_STREAM_SAMPLES) throw new Error(`synthesized audio longer than ${MAX_STREAM_SAMPLES / 8000} s`);
        this.parts.push(chunk);
        this.notify();
      }
      this.ended = true;
      return concat(this.parts);
    } catch (err) {
      this.error = err as Error;
      throw err;
    } finally {
      this.notify();
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  /** A reader from the first chunk. @throws (while iterating) the source's error. */
  async *subscribe(): AsyncIterable<Int16Array> {
    let i = 0;
    for (;;) {
      while (i < this.parts.length) yield this.parts[i++]!;
      if (this.error) throw this.error;
      if (this.ended) return;
      await new Promise<void>((r) => this.wake.push(r));
    }
  }
}

export class CachedTts implements TtsProvider {
  readonly name: string;
  readonly cache: Lru<string, Int16Array>;
  private readonly inflight = new Map<string, Promise<Int16Array | SharedStream>>();
  hits = 0;
  misses = 0;
  /** Requests served by a synthesis already in flight. */
  joined = 0;
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

  /** Syntheses in flight (tests). */
  get inFlight(): number {
    return this.inflight.size;
  }

  async synthesize(text: string, settings: Settings): Promise<AudioSource> {
    const k = this.key(text, settings);
    const hit = this.cache.get(k);
    if (hit) {
      this.hits++;
      return hit;
    }
    let flight = this.inflight.get(k);
    if (flight) this.joined++;
    else {
      this.misses++;
      flight = this.start(k, text, settings);
    }
    const s = await flight;
    return s instanceof Int16Array ? s : s.subscribe();
  }

  private start(k: string, text: string, settings: Settings): Promise<Int16Array | SharedStream> {
    const flight = this.inner.synthesize(text, settings).then((src) => {
      if (src instanceof Int16Array) {
        this.cache.set(k, src);
        return src;
      }
      const shared = new SharedStream(src);
      // Joiners share the stream until it has ended; then the cache serves it.
      shared.done.then(
        (all) => {
          this.cache.set(k, all);
          this.inflight.delete(k);
        },
        () => this.inflight.delete(k),
      );
      return shared;
    });
    this.inflight.set(k, flight);
    flight.then(
      (s) => s instanceof Int16Array && this.inflight.delete(k),
      () => this.inflight.delete(k),
    );
    return flight;
  }
}
