/**
 * The one 20 ms pacing clock shared by every call's RTP sender.
 *
 * Why one clock: a timer per call costs a timer wake-up per call per packet and lets calls
 * drift apart; one tick loop that sends for every registered call keeps 1,000 calls at
 * 50 wake-ups per second. The loop aims each tick at an absolute grid derived from the
 * monotonic clock (performance.now), so timer lateness never accumulates into drift: a
 * setTimeout wakes the loop about `spinMs` early and the rest is finished by yielding
 * with setImmediate (I/O keeps flowing), which trims the timer's 1 ms granularity.
 */
import { performance } from 'node:perf_hooks';

/** Something paced by the scheduler: one call's RTP sender. */
export interface PacedSender {
  /**
   * Called once per 20 ms slot while registered.
   * @param slot the slot number on the scheduler's grid (slot * intervalMs = ms since the
   *   scheduler's epoch); consecutive calls normally differ by 1, by more after a stall.
   */
  tick(slot: number): void;
}

/** Deviation of tick start times from the ideal grid, in ms. */
export interface TickDeviationStats {
  ticks: number;
  /** Slots skipped because the loop stalled for more than `maxCatchUp` slots. */
  skipped: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** Slot length in ms (default 20 = one G.711 frame). */
  intervalMs?: number;
  /** How early the timer wakes before a slot to finish with setImmediate, ms (default 1; 0 = timer only). */
  spinMs?: number;
  /** Missed slots replayed in a burst after a stall, beyond which slots are skipped (default 3). */
  maxCatchUp?: number;
  /** Told when a sender's tick throws; that sender is then unregistered. */
  onError?: (err: unknown, sender: PacedSender) => void;
}

/** Histogram bucket width for tick deviation (0.05 ms), and bucket count (up to 100 ms). */
const BUCKET_MS = 0.05;
const BUCKETS = 2000;

/**
 * Shared pacing scheduler. `add`/`remove` are O(1); the loop runs only while at least one
 * sender is registered, so an idle process can exit.
 */
export class Scheduler {
  readonly intervalMs: number;
  private readonly spinMs: number;
  private readonly maxCatchUp: number;
  private readonly onError: ((err: unknown, sender: PacedSender) => void) | undefined;
  private readonly epoch = performance.now();
  private readonly senders = new Set<PacedSender>();
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running = false;
  private nextSlot = 0;
  private readonly histogram = new Uint32Array(BUCKETS + 1);
  private ticks = 0;
  private skipped = 0;
  private maxDeviation = 0;
  private readonly loop = () => this.wake();

  constructor(opts: SchedulerOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 20;
    this.spinMs = opts.spinMs ?? 1;
    this.maxCatchUp = opts.maxCatchUp ?? 3;
    this.onError = opts.onError;
    if (!(this.intervalMs > 0)) throw new RangeError('Scheduler intervalMs must be > 0');
  }

  /** Number of registered senders. */
  get size(): number {
    return this.senders.size;
  }

  /** The slot the current monotonic time falls in (works while the loop is stopped). */
  currentSlot(): number {
    return Math.floor((performance.now() - this.epoch) / this.intervalMs);
  }

  /** Registers a sender; it is first called at the next slot. Adding twice is a no-op. */
  add(sender: PacedSender): void {
    this.senders.add(sender);
    if (!this.running) this.start();
  }

  /** Unregisters a sender (safe from inside its own tick). */
  remove(sender: PacedSender): void {
    this.senders.delete(sender);
    if (this.senders.size === 0) this.stop();
  }

  /** true when `sender` is registered. */
  has(sender: PacedSender): boolean {
    return this.senders.has(sender);
  }

  /** Tick deviation figures since the last {@link resetStats}. */
  stats(): TickDeviationStats {
    return {
      ticks: this.ticks,
      skipped: this.skipped,
      p50Ms: this.quantile(0.5),
      p99Ms: this.quantile(0.99),
      maxMs: this.maxDeviation,
    };
  }

  /** Clears the deviation histogram. */
  resetStats(): void {
    this.histogram.fill(0);
    this.ticks = 0;
    this.skipped = 0;
    this.maxDeviation = 0;
  }

  /** Stops the loop and forgets every sender. */
  dispose(): void {
    this.senders.clear();
    this.stop();
  }

  private start(): void {
    this.running = true;
    this.nextSlot = this.currentSlot() + 1;
    this.arm();
  }

  private stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private arm(): void {
    const wait = this.epoch + this.nextSlot * this.intervalMs - performance.now() - this.spinMs;
    if (wait > 0.5) {
      this.immediate = undefined;
      this.timer = setTimeout(this.loop, Math.floor(wait));
    } else {
      this.timer = undefined;
      this.immediate = setImmediate(this.loop);
    }
  }

  private wake(): void {
    if (!this.running) return;
    const now = performance.now();
    const due = this.epoch + this.nextSlot * this.intervalMs;
    if (now < due) {
      this.arm();
      return;
    }
    this.record(now - due);
    let behind = Math.floor((now - due) / this.intervalMs);
    if (behind > this.maxCatchUp) {
      this.skipped += behind - this.maxCatchUp;
      this.nextSlot += behind - this.maxCatchUp;
      behind = this.maxCatchUp;
    }
    for (let k = 0; k <= behind && this.running; k++) {
      const slot = this.nextSlot++;
      for (const s of this.senders) {
        try {
          s.tick(slot);
        } catch (err) {
          // One broken sender must not stop the clock for every other call.
          this.senders.delete(s);
          this.onError?.(err, s);
        }
      }
    }
    if (this.running) this.arm();
  }

  private record(deviationMs: number): void {
    this.ticks++;
    if (deviationMs > this.maxDeviation) this.maxDeviation = deviationMs;
    this.histogram[Math.min(BUCKETS, Math.floor(deviationMs / BUCKET_MS))]!++;
  }

  private quantile(q: number): number {
    if (this.ticks === 0) return NaN;
    const rank = Math.ceil(q * this.ticks);
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.histogram[i]!;
      if (seen >= rank) return Math.min((i + 1) * BUCKET_MS, this.maxDeviation);
    }
    return this.maxDeviation;
  }
}
