/**
 * A bounded work queue with a deadline per request, for the speech helpers (decoders,
 * syntheses): at most `concurrency` requests run at once, each on a numbered slot; at most
 * `bound` wait. A request that finds the queue full is refused at once
 * ({@link QueueFullError}); one not finished by its deadline is answered with
 * {@link DeadlineError} (its work, if started, runs on and its slot stays busy until it ends,
 * so concurrency holds). Callers turn both into a no-match turn or a fallback prompt, never
 * into a failed call.
 *
 * The bound adapts to slow work: with an exponentially weighted mean service time S, no more
 * requests are accepted than the slots can finish within the deadline
 * (concurrency x deadline / S), so a slow mode (pocketsphinx's full language model) refuses
 * early instead of queueing work that would miss its deadline anyway. The queue registers
 * its fill with ./speech-load.ts, which admission by headroom reads.
 */
import { registerSpeechQueue } from './speech-load.ts';
import { speechRequests, speechServiceSeconds } from './speech-metrics.ts';

/** The queue already holds `bound` waiting requests. */
export class QueueFullError extends Error {
  constructor(readonly queue: string) {
    super(`${queue} queue full`);
  }
}

/** The request was not done within its deadline. */
export class DeadlineError extends Error {
  constructor(
    readonly queue: string,
    readonly deadlineMs: number,
  ) {
    super(`${queue} request missed its ${deadlineMs} ms deadline`);
  }
}

export interface BoundedQueueOptions {
  /** Queue name for speech-load and metrics ("stt", "tts"). */
  name: string;
  /** Requests running at once (slots 0..concurrency-1), >= 1. */
  concurrency: number;
  /** Waiting requests accepted before refusing, >= 1. */
  bound: number;
  /** Default deadline from enqueue to result, ms. */
  deadlineMs: number;
  /** Register with speech-load.ts (default true). */
  register?: boolean;
  /**
   * Expected time one request holds a worker, ms (default 0: no estimate). Admission
   * forecasts the queue's load from the measured median service time, but never from less
   * than this ({@link BoundedQueue.expectServiceMs} raises it).
   */
  expectedServiceMs?: number;
}

interface Job<T> {
  work: (slot: number) => Promise<T>;
  resolve(v: T): void;
  reject(e: Error): void;
  settled: boolean;
  timer: NodeJS.Timeout;
  enqueuedAt: number;
}

export class BoundedQueue {
  private readonly waiting: Job<unknown>[] = [];
  private readonly free: number[] = [];
  private running = 0;
  /** Mean service time (ms), exponentially weighted; undefined until the first result. */
  private meanMs: number | undefined;
  private readonly unregister: () => void;
  /** The last service times, ms (a ring; `observed` counts every one). */
  private readonly recent = new Float64Array(32);
  private observed = 0;
  /** Requests accepted since start (cumulative; admission's speech-demand forecast). */
  private requests = 0;

  /** The floor of the service time admission forecasts with, ms. */
  private expectedMs: number;

  constructor(readonly o: BoundedQueueOptions) {
    this.expectedMs = o.expectedServiceMs ?? 0;
    if (!(o.concurrency >= 1 && o.bound >= 1 && o.deadlineMs > 0)) throw new Error(`${o.name} queue: concurrency, bound and deadlineMs must be positive`);
    for (let i = o.concurrency - 1; i >= 0; i--) this.free.push(i);
    this.unregister = o.register === false ? () => {} : registerSpeechQueue(o.name, () => ({
            depth: this.depth,
            bound: this.bound,
            concurrency: o.concurrency,
            requests: this.requests,
            // The expectation is a floor: a quiet worker's first, fast requests must not let a
            // burst of calls in that the same workers, loaded, would serve more slowly.
            serviceMs: Math.max(this.medianMs() ?? 0, this.expectedMs),
          }));
  }

  /**
   * Median service time of the last 32 requests, ms (undefined before the first). The
   * admission forecast takes the median, not the mean: a GC pause or a moment of steal that
   * slows every request running at once lifted a moving mean over the refusal threshold and
   * refused callers the decoders could serve, while a lasting slowdown moves the median too
   * within 17 requests.
   */
  medianMs(): number | undefined {
    const n = Math.min(this.observed, this.recent.length);
    if (n === 0) return undefined;
    const xs = Array.from(this.recent.subarray(0, n)).sort((a, b) => a - b);
    return n % 2 ? xs[n >> 1]! : (xs[n / 2 - 1]! + xs[n / 2]!) / 2;
  }

  /**
   * Raises the expected service time to at least `ms` (a slower kind of request joined the
   * queue's users: pocketsphinx's language model beside phrase grammars). Never lowers it.
   */
  expectServiceMs(ms: number): void {
    this.expectedMs = Math.max(this.expectedMs, ms);
  }

  /** Requests waiting for a slot. */
  get depth(): number {
    return this.waiting.length;
  }

  /** Requests running. */
  get active(): number {
    return this.running;
  }

  /** The bound in force: the configured one, lowered when service is too slow to meet the deadline. */
  get bound(): number {
    if (this.meanMs === undefined || this.meanMs <= 0) return this.o.bound;
    const fits = Math.floor((this.o.concurrency * this.o.deadlineMs) / this.meanMs);
    return Math.max(1, Math.min(this.o.bound, fits));
  }

  /**
   * Runs `work` on a free slot.
   * @throws QueueFullError at once when `bound` requests wait; DeadlineError when not done
   *   within `deadlineMs`; whatever `work` throws.
   */
  run<T>(work: (slot: number) => Promise<T>, deadlineMs = this.o.deadlineMs): Promise<T> {
    if (this.free.length === 0 && this.waiting.length >= this.bound) {
      speechRequests.inc({ queue: this.o.name, outcome: 'queue_full' });
      return Promise.reject(new QueueFullError(this.o.name));
    }
    this.requests++;
    return new Promise<T>((resolve, reject) => {
      const job: Job<T> = {
        work,
        resolve,
        reject,
        settled: false,
        enqueuedAt: performance.now(),
        timer: setTimeout(() => {
          if (job.settled) return;
          job.settled = true;
          const i = this.waiting.indexOf(job as Job<unknown>);
          if (i >= 0) this.waiting.splice(i, 1);
          speechRequests.inc({ queue: this.o.name, outcome: 'deadline' });
          reject(new DeadlineError(this.o.name, deadlineMs));
        }, deadlineMs),
      };
      job.timer.unref?.();
      this.waiting.push(job as Job<unknown>);
      this.pump();
    });
  }

  /** Stops accepting: every waiting request is refused. */
  close(): void {
    this.unregister();
    for (const j of this.waiting.splice(0)) {
      clearTimeout(j.timer);
      if (!j.settled) {
        j.settled = true;
        j.reject(new QueueFullError(this.o.name));
      }
    }
  }

  private pump(): void {
    while (this.free.length > 0 && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      if (job.settled) continue;
      const slot = this.free.pop()!;
      this.running++;
      const started = performance.now();
      let p: Promise<unknown>;
      try {
        p = job.work(slot);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (v) => {
          this.observe(performance.now() - started);
          this.finish(slot);
          if (job.settled) return;
          job.settled = true;
          clearTimeout(job.timer);
          speechRequests.inc({ queue: this.o.name, outcome: 'ok' });
          speechServiceSeconds.observe({ queue: this.o.name }, (performance.now() - job.enqueuedAt) / 1000);
          job.resolve(v);
        },
        (err: Error) => {
          this.finish(slot);
          if (job.settled) return;
          job.settled = true;
          clearTimeout(job.timer);
          speechRequests.inc({ queue: this.o.name, outcome: 'error' });
          job.reject(err);
        },
      );
    }
  }

  private observe(ms: number): void {
    this.meanMs = this.meanMs === undefined ? ms : this.meanMs * 0.8 + ms * 0.2;
    this.recent[this.observed++ % this.recent.length] = ms;
  }

  private finish(slot: number): void {
    this.running--;
    this.free.push(slot);
    this.pump();
  }
}
