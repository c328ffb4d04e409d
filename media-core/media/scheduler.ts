/**
 * The one 20 ms pacing clock shared by every call's RTP sender.
 *
 * Why one clock: a timer per call costs a timer wake-up per call per packet and lets calls
 * drift apart; one tick loop that sends for every registered call keeps 1,000 calls at
 * 50 wake-ups per second. The loop aims each tick at an absolute grid derived from the
 * monotonic clock (performance.now), so timer lateness never accumulates into drift: a
 * setTimeout wakes the loop about `spinMs` early and the rest is finished by yielding
 * with setImmediate (I/O keeps flowing), which trims the timer's 1 ms granularity.
 *
 * With the native pacer (media-core/media/native/) two options change the picture:
 * - `leadMs`: the loop runs each slot that many ms before it is due, so the senders hand over
 *   packets early with their due time ({@link Scheduler.currentDueMs}) and the pacer thread
 *   sends them on time, whatever the event loop is doing then.
 * - `phases`: senders are spread over that many equal offsets within the slot (round robin
 *   onto the least used), so 1,000 calls do not all send in the same instant: each call
 *   keeps its own 20 ms grid, offset by its phase.
 */
import { performance } from 'node:perf_hooks';
import { histogramQuantile } from './histogram-quantile.ts';

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
  /** Run each slot this many ms before it is due (default 0: on time). */
  leadMs?: number;
  /** Send offsets within a slot that senders are spread over (default 1: all at the slot start). */
  phases?: number;
  /** Called after each wake-up's ticks (the native pacer is told new packets are queued). */
  afterWake?: () => void;
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
  readonly leadMs: number;
  readonly phases: number;
  private readonly afterWake: (() => void) | undefined;
  private readonly epoch = performance.now();
  private readonly senders = new Map<PacedSender, number>();
  /** Senders by phase; a sender's phase is fixed while it stays registered. */
  private readonly buckets: Set<PacedSender>[];
  private due: number | undefined;
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
    this.leadMs = opts.leadMs ?? 0;
    this.phases = opts.phases ?? 1;
    this.afterWake = opts.afterWake;
    if (!(this.intervalMs > 0)) throw new RangeError('Scheduler intervalMs must be > 0');
    if (!(this.leadMs >= 0)) throw new RangeError('Scheduler leadMs must be >= 0');
    if (!Number.isInteger(this.phases) || this.phases < 1 || this.phases > 1000) throw new RangeError('Scheduler phases must be an integer 1-1000');
    this.buckets = Array.from({ length: this.phases }, () => new Set<PacedSender>());
  }

  /**
   * While a sender's tick runs: when its packet is due, in performance.now() ms (the slot's
   * start on the grid plus the sender's phase offset). undefined outside ticks.
   */
  get currentDueMs(): number | undefined {
    return this.due;
  }

  /** Number of registered senders. */
  get size(): number {
    return this.senders.size;
  }

  /** The slot the current monotonic time falls in (works while the loop is stopped). */
  currentSlot(): number {
    return Math.floor((performance.now() - this.epoch) / this.intervalMs);
  }

  /**
   * Registers a sender; it is first called at the next slot the loop runs (see {@link backfill}
   * for the slots already run ahead). Adding twice is a no-op.
   * @param phase the phase to use (a sender keeps its grid across pauses by passing back the
   *   phase it got); default: the least used one.
   * @returns the sender's phase, 0..phases-1.
   */
  add(sender: PacedSender, phase?: number): number {
    const current = this.senders.get(sender);
    if (current !== undefined) return current;
    let p = phase !== undefined && Number.isInteger(phase) && phase >= 0 && phase < this.phases ? phase : -1;
    if (p < 0) {
      p = 0;
      for (let q = 1; q < this.phases; q++) if (this.buckets[q]!.size < this.buckets[p]!.size) p = q;
    }
    this.senders.set(sender, p);
    this.buckets[p]!.add(sender);
    if (!this.running) this.start();
    return p;
  }

  /**
   * With a lead, the loop has already run the slots up to `leadMs` ahead. This runs `sender`'s
   * tick for those of them still at least `marginMs` from due (its phase counted), so audio
   * that starts now goes out within a slot instead of after the lead. No-op without a lead.
   */
  backfill(sender: PacedSender, marginMs = 2): void {
    const phase = this.senders.get(sender);
    if (phase === undefined || !this.running || this.leadMs === 0) return;
    const offset = (phase * this.intervalMs) / this.phases;
    const first = Math.ceil((performance.now() + marginMs - this.epoch - offset) / this.intervalMs);
    if (first >= this.nextSlot) return;
    for (let slot = first; slot < this.nextSlot && this.senders.has(sender); slot++) {
      this.tickOne(sender, slot, this.epoch + slot * this.intervalMs + offset);
    }
    this.due = undefined;
    this.afterWake?.();
  }

  /** Runs one sender's tick with its due time set. */
  private tickOne(sender: PacedSender, slot: number, dueMs: number): void {
    this.due = dueMs;
    try {
      sender.tick(slot);
    } catch (err) {
      // One broken sender must not stop the clock for every other call.
      this.remove(sender);
      this.onError?.(err, sender);
    }
  }

  /** Unregisters a sender (safe from inside its own tick). */
  remove(sender: PacedSender): void {
    const phase = this.senders.get(sender);
    if (phase === undefined) return;
    this.senders.delete(sender);
    this.buckets[phase]!.delete(sender);
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
    for (const b of this.buckets) b.clear();
    this.stop();
  }

  private start(): void {
    this.running = true;
    // With a lead, start where a loop that ran all along would be (slots up to leadMs ahead
    // done), so that backfill builds a first sender's packets from the next due time on.
    this.nextSlot = Math.floor((performance.now() + this.leadMs - this.epoch) / this.intervalMs) + 1;
    this.arm();
  }

  private stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** When the loop should run slot `slot`: its start on the grid minus the lead, ms. */
  private wakeAt(slot: number): number {
    return this.epoch + slot * this.intervalMs - this.leadMs;
  }

  private arm(): void {
    const wait = this.wakeAt(this.nextSlot) - performance.now() - this.spinMs;
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
    const due = this.wakeAt(this.nextSlot);
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
      const start = this.epoch + slot * this.intervalMs;
      for (let p = 0; p < this.phases; p++) {
        const due = start + (p * this.intervalMs) / this.phases;
        for (const s of this.buckets[p]!) this.tickOne(s, slot, due);
      }
    }
    this.due = undefined;
    this.afterWake?.();
    if (this.running) this.arm();
  }

  private record(deviationMs: number): void {
    this.ticks++;
    if (deviationMs > this.maxDeviation) this.maxDeviation = deviationMs;
    this.histogram[Math.min(BUCKETS, Math.floor(deviationMs / BUCKET_MS))]!++;
  }

  private quantile(q: number): number {
    return histogramQuantile(this.histogram, BUCKET_MS, this.ticks, this.maxDeviation, q);
  }
}
