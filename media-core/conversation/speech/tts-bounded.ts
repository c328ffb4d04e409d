/**
 * Bounded text to speech: every synthesis goes through one process-wide
 * {@link BoundedQueue} ("tts", registered with ./speech-load.ts), so at most `concurrency`
 * espeak-ng | sox pipelines (or Watson TTS requests) run at once and at most `bound` wait.
 * A refused or late synthesis throws ({@link QueueFullError}, {@link DeadlineError}); the
 * session retries once and then plays its fallback prompt.
 *
 * A slot is held until the provider resolves: the whole buffer for espeak-ng, the response
 * headers for a streamed Watson synthesis (its body then streams outside the bound, so a
 * caller who stops listening cannot hold a slot).
 */
import { availableParallelism } from 'node:os';
import type { AudioSource } from '../../call/types.ts';
import { BoundedQueue } from './bounded-queue.ts';
import type { TtsProvider } from './tts.ts';
import type { Settings } from './update-strategy.ts';

/** Two syntheses per core: espeak-ng is short-lived and partly waits on its pipe to sox. */
export function defaultTtsConcurrency(cores = availableParallelism()): number {
  return Math.max(1, Math.min(32, 2 * cores));
}

export class BoundedTts implements TtsProvider {
  readonly name: string;
  constructor(
    private readonly inner: TtsProvider,
    private readonly queue: BoundedQueue,
  ) {
    this.name = inner.name;
  }

  synthesize(text: string, settings: Settings): Promise<AudioSource> {
    return this.queue.run(() => this.inner.synthesize(text, settings));
  }
}
