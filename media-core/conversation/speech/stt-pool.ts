/**
 * A bounded pool of pocketsphinx decoders (./stt-helper.ts) behind a bounded request queue
 * with a deadline (./bounded-queue.ts). Each slot of the queue owns one worker, started when
 * the pool is built and replaced (on next use) when it dies.
 *
 * {@link SttDecoderPool.decode} never throws for load: a full queue, a missed deadline or a
 * failed decoder give `{ text: '', missed }`, which the recognizer reports as an empty
 * result, so the assistant gets a no-match turn the way a timeout gives one, and the call
 * goes on.
 */
import { availableParallelism } from 'node:os';
import { BoundedQueue, DeadlineError, QueueFullError } from './bounded-queue.ts';
import type { Decoded, NamedGrammar, SttWorker } from './stt-helper.ts';

export interface SttPoolOptions {
  /** Queue name for speech-load and metrics (default "stt"). */
  name?: string;
  /** Decoder processes (default {@link defaultDecoders}). */
  size?: number;
  /** Waiting utterances accepted before refusing (default 32 per decoder). */
  queueBound?: number;
  /** Longest time from end of utterance to hypothesis, ms (default 3000). */
  deadlineMs?: number;
  /**
   * Expected decode time of one utterance, ms, and the least the admission forecast assumes
   * (default 50: a 2-3 s utterance takes 40-60 ms of decoder CPU with a phrase grammar on
   * one core of this project's 2-core reference machine; an idle machine decodes it faster
   * than a loaded one will).
   */
  expectedDecodeMs?: number;
  /** Starts one worker. */
  spawn: () => Promise<SttWorker>;
  /** Start every worker at construction (default true); otherwise on first use or {@link SttDecoderPool.start}. */
  eager?: boolean;
  /** Reports a worker failure (logging). */
  onWorkerError?: (err: Error) => void;
}

/** One decoder per core (they run niced, below the event loop and the RTP pacer); at least 1, at most 8. */
export function defaultDecoders(cores = availableParallelism()): number {
  return Math.max(1, Math.min(8, cores));
}

/** A decode's outcome: the hypothesis (and the frames its words span), or "" with why there is none. */
export interface PoolDecode extends Decoded {
  missed?: 'queue_full' | 'deadline' | 'error';
  error?: string;
}

export class SttDecoderPool {
  readonly queue: BoundedQueue;
  private readonly workers: (SttWorker | undefined)[];
  private readonly starting: (Promise<SttWorker> | undefined)[];
  private closed = false;

  constructor(private readonly o: SttPoolOptions) {
    const size = o.size ?? defaultDecoders();
    this.workers = new Array(size).fill(undefined);
    this.starting = new Array(size).fill(undefined);
    this.queue = new BoundedQueue({ name: o.name ?? 'stt', concurrency: size, bound: o.queueBound ?? 32 * size, deadlineMs: o.deadlineMs ?? 3000, expectedServiceMs: o.expectedDecodeMs ?? 50 });
    // Models load now, in the background: a load counted against the first utterance's
    // deadline would make it a no-match on a busy machine.
    if (o.eager !== false) this.start().catch((err: Error) => o.onWorkerError?.(err));
  }

  /** A decode running this long kills its worker, ms: 4 deadlines, at least 10 s. */
  private get hardLimitMs(): number {
    return Math.max(10_000, 4 * this.queue.o.deadlineMs);
  }

  /** Decoder processes. */
  get size(): number {
    return this.workers.length;
  }

  /** Starts every worker now (so the first calls do not wait for a model load). @throws Error when a worker cannot start. */
  async start(): Promise<void> {
    await Promise.all(this.workers.map((_, i) => this.worker(i)));
  }

  /** Decodes 16 kHz PCM with `grammar` (or the language model). Never throws. */
  async decode(grammar: NamedGrammar | undefined, pcm16k: Int16Array, deadlineMs?: number): Promise<PoolDecode> {
    if (this.closed) return { text: '', missed: 'queue_full' };
    try {
      return await this.queue.run(async (slot): Promise<Decoded> => {
        const w = await this.worker(slot);
        // A decoder that hangs would hold its slot for good: past a hard limit it is killed
        // (its decode rejects, the slot frees) and the next request starts a new one.
        const hard = setTimeout(() => w.close(), this.hardLimitMs);
        try {
          return await w.decode(grammar, pcm16k);
        } finally {
          clearTimeout(hard);
        }
      }, deadlineMs);
    } catch (err) {
      if (err instanceof QueueFullError) return { text: '', missed: 'queue_full' };
      if (err instanceof DeadlineError) return { text: '', missed: 'deadline' };
      this.o.onWorkerError?.(err as Error);
      return { text: '', missed: 'error', error: (err as Error).message };
    }
  }

  /** Stops every worker and refuses what waits. */
  close(): void {
    this.closed = true;
    this.queue.close();
    for (const w of this.workers) w?.close();
  }

  private worker(slot: number): Promise<SttWorker> {
    const w = this.workers[slot];
    if (w?.alive) return Promise.resolve(w);
    this.starting[slot] ??= this.o
      .spawn()
      .then((nw) => {
        if (this.closed) nw.close();
        this.workers[slot] = nw;
        return nw;
      })
      .finally(() => (this.starting[slot] = undefined));
    return this.starting[slot]!;
  }
}
