/**
 * The fetched-audio cache, bounded by bytes rather than entries: one 10 MB file and a
 * thousand 1 KB prompts weigh what they weigh. Least recently used first out.
 */

import { Lru } from './speech/lru.ts';

/** What the audio fetcher needs of a cache. */
export interface AudioCache {
  get(url: string): Int16Array | undefined;
  set(url: string, pcm: Int16Array): void;
}

/** An LRU of PCM by URL holding at most `budgetBytes` of samples (2 bytes each); 0 disables it. */
export class ByteBudgetAudioCache extends Lru<string, Int16Array> implements AudioCache {
  constructor(readonly budgetBytes: number) {
    super(budgetBytes, (pcm) => pcm.byteLength);
  }

  /** Sample bytes held. */
  get bytes(): number {
    return this.weightHeld;
  }
}
