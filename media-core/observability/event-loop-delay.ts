/**
 * Event-loop delay over a short sliding window, for admission by headroom and /metrics:
 * node:perf_hooks monitorEventLoopDelay (a libuv timer sampled every `resolutionMs`) read and
 * reset every `windowMs`, so a stall shows for one to two windows and then ages out.
 * https://nodejs.org/api/perf_hooks.html#perf_hooksmonitoreventloopdelayoptions
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

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

  constructor(opts: EventLoopDelayOptions = {}) {
    this.h = monitorEventLoopDelay({ resolution: opts.resolutionMs ?? 10 });
    this.h.enable();
    this.timer = setInterval(() => this.rotate(), opts.windowMs ?? 2000);
    this.timer.unref();
  }

  private rotate(): void {
    this.lastP99Ms = this.h.count ? this.h.percentile(99) / 1e6 : 0;
    this.lastMaxMs = this.h.count ? this.h.max / 1e6 : 0;
    this.h.reset();
  }

  /** p99 of the event-loop delay, ms: the larger of the window in progress and the last complete one. */
  p99Ms(): number {
    const now = this.h.count ? this.h.percentile(99) / 1e6 : 0;
    return Math.max(now, this.lastP99Ms);
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
