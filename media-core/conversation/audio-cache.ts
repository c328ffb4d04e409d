/**
 * The fetched-audio cache, bounded by bytes rather than entries: one 10 MB file and a
 * thousand 1 KB prompts weigh what they weigh. Least recently used first out.
 */

/** What the audio fetcher needs of a cache. */
export interface AudioCache {
  get(url: string): Int16Array | undefined;
  set(url: string, pcm: Int16Array): void;
}

/** An LRU of PCM by URL holding at most `budgetBytes` of samples (2 bytes each). */
export class ByteBudgetAudioCache implements AudioCache {
  private readonly m = new Map<string, Int16Array>();
  private used = 0;
  /** @param budgetBytes the most sample bytes kept; 0 disables the cache. */
  constructor(readonly budgetBytes: number) {}

  get(url: string): Int16Array | undefined {
    const v = this.m.get(url);
    if (v !== undefined) {
      this.m.delete(url);
      this.m.set(url, v);
    }
    return v;
  }

  /** Keeps `pcm` unless it alone is over the budget; evicts the least recently used until it fits. */
  set(url: string, pcm: Int16Array): void {
    const old = this.m.get(url);
    if (old) {
      this.m.delete(url);
      this.used -= old.byteLength;
    }
    if (pcm.byteLength > this.budgetBytes) return;
    while (this.used + pcm.byteLength > this.budgetBytes) {
      const [k, v] = this.m.entries().next().value as [string, Int16Array];
      this.m.delete(k);
      this.used -= v.byteLength;
    }
    this.m.set(url, pcm);
    this.used += pcm.byteLength;
  }

  /** Sample bytes held. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.m.size;
  }
}
