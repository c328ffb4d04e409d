/**
 * RTP send lateness of the native pacer (media-core/media/native/rtp-pacer.ts) over a short
 * window: the pacer's histogram is cumulative, so every `windowMs` its snapshot is compared with
 * the previous one and the p99 of the difference is kept. Feeds admission by headroom ("the
 * pacer is late") and /metrics.
 */
import { histogramQuantile } from '../media/histogram-quantile.ts';

/** A cumulative lateness histogram (RtpPacer.latenessSnapshot). */
export interface LatenessSnapshot {
  counts: Uint32Array;
  count: number;
  bucketMs: number;
}

/** Options of {@link PacerLatenessWindow}. */
export interface PacerLatenessOptions {
  /** Window length, ms (default 2000). */
  windowMs?: number;
  /** Fewest packets a window needs to be judged (default 500: an idle pacer is never "late"). */
  minPackets?: number;
}

/**
 * The p-quantile of the packets counted between two snapshots, ms; NaN with no packet.
 * A reset in between (a bucket went down) makes `now` the whole window.
 */
export function windowQuantile(before: LatenessSnapshot | undefined, now: LatenessSnapshot, q: number): { value: number; packets: number } {
  const reset = !before || before.counts.length !== now.counts.length || now.counts.some((c, i) => c < before.counts[i]!);
  const diff = reset ? now.counts : now.counts.map((c, i) => c - before!.counts[i]!);
  let packets = 0;
  let top = 0;
  for (let i = 0; i < diff.length; i++) {
    packets += diff[i]!;
    if (diff[i]) top = i;
  }
  return { value: histogramQuantile(diff, now.bucketMs, packets, (top + 1) * now.bucketMs, q), packets };
}

/** Started on construction; call {@link stop} when done. */
export class PacerLatenessWindow {
  private prev: LatenessSnapshot | undefined;
  private last = { p99Ms: NaN, packets: 0 };
  private readonly timer: NodeJS.Timeout;
  private readonly minPackets: number;

  constructor(
    private readonly snapshot: () => LatenessSnapshot,
    opts: PacerLatenessOptions = {},
  ) {
    this.minPackets = opts.minPackets ?? 500;
    this.prev = snapshot();
    this.timer = setInterval(() => this.rotate(), opts.windowMs ?? 2000);
    this.timer.unref();
  }

  private rotate(): void {
    const now = this.snapshot();
    const w = windowQuantile(this.prev, now, 0.99);
    this.prev = now;
    this.last = { p99Ms: w.value, packets: w.packets };
  }

  /** p99 send lateness of the last complete window, ms; NaN when it had fewer than minPackets packets. */
  p99Ms(): number {
    return this.last.packets >= this.minPackets ? this.last.p99Ms : NaN;
  }

  /** Packets sent in the last complete window. */
  packets(): number {
    return this.last.packets;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
