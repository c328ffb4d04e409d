/**
 * Event-loop delay over a short sliding window, for admission by headroom and /metrics:
 * node:perf_hooks monitorEventLoopDelay (a libuv timer sampled every `resolutionMs`) read and
 * reset every `windowMs`, so a stall shows for one to two windows and then ages out.
 *
 * Why p99 and not the maximum: a healthy 2 s window holds about 200 samples, so its p99 is the
 * second or third worst delay and one lone pause (a full GC) does not refuse calls; a loop that
 * keeps stalling has both many bad samples and few samples at all, and its p99 is its worst.
 * The window in progress counts only once it has run half its length, so that its first few
 * samples do not decide alone.
 * https://nodejs.org/api/perf_hooks.html#perf_hooksmonitoreventloopdelayoptions
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

/** Options of {@link EventLoopDelayWindow}. */
export interface EventLoopDelayOptions {
  /** Window length, ms (default 2000). */
  windowMs?: number;
  /** Sampling resolution, ms (default 10). */
  resolutionMs?: number;
}

/** Started on construction; call {@link stop} when done. */
export class EventLoopDelayWindow {
  private readonly h: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private lastP99Ms = 0;
  private lastMaxMs = 0;
  private startedAt = performance.now();
  private readonly windowMs: number;

  constructor(opts: EventLoopDelayOptions = {}) {
    this.h = monitorEventLoopDelay({ resolution: opts.resolutionMs ?? 10 });
    this.h.enable();
    this.windowMs = opts.windowMs ?? 2000;
    this.timer = setInterval(() => this.rotate(), this.windowMs);
    this.timer.unref();
  }

  private rotate(): void {
    this.lastP99Ms = this.h.count ? this.h.percentile(99) / 1e6 : 0;
    this.lastMaxMs = this.h.count ? this.h.max / 1e6 : 0;
    this.h.reset();
    this.startedAt = performance.now();
  }

  /** p99 of the event-loop delay, ms: the larger of the last complete window and (past its half) the one in progress. */
  p99Ms(): number {
    const current = this.h.count && performance.now() - this.startedAt >= this.windowMs / 2 ? this.h.percentile(99) / 1e6 : 0;
    return Math.max(current, this.lastP99Ms);
  }

  /** Largest delay seen in the window in progress and the last complete one, ms. */
  maxMs(): number {
    return Math.max(this.h.count ? this.h.max / 1e6 : 0, this.lastMaxMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.h.disable();
  }
}
