/**
 * The worker side of a streamed playback: an AsyncIterable whose chunks are pulled one at a
 * time from the producer on the main thread ('pull' message, answered by 'chunk' or 'end').
 * Playback's own 1 s read-ahead decides when to pull, so the main thread never runs ahead.
 */
export class ChunkChannel implements AsyncIterable<Int16Array> {
  private waiter: { resolve: (r: IteratorResult<Int16Array>) => void; reject: (e: Error) => void } | undefined;
  private done = false;

  /** @param pull asks the main thread for the next chunk. */
  constructor(private readonly pull: () => void) {}

  /** A chunk arrived for the pending pull. */
  push(pcm: Int16Array): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve({ value: pcm, done: false });
  }

  /** The producer ended (`failed`: it threw; the playback then ends with completed=false). */
  end(failed: boolean): void {
    this.done = true;
    const w = this.waiter;
    this.waiter = undefined;
    if (failed) w?.reject(new Error('audio stream failed on the main thread'));
    else w?.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<Int16Array> {
    return {
      next: () => {
        if (this.done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiter = { resolve, reject };
          this.pull();
        });
      },
      return: () => {
        this.end(false);
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
