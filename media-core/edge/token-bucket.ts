/**
 * Per-source token buckets in a bounded map (least recently used evicted first), for rate
 * limits on out-of-dialog requests and INVITEs. A bucket holds up to `burst` tokens and
 * refills at `ratePerS`; each request takes one. The map never holds more than `maxSources`
 * entries, so a sweep from many addresses costs bounded memory: an evicted source simply
 * starts again with a full bucket, which is the price of the bound (a flood from more than
 * `maxSources` addresses is the allowlist's and the proxy's job, not this map's).
 */

/** Bucket settings: `ratePerS` tokens per second, `burst` tokens at most. */
export interface TokenBucketOptions {
  ratePerS: number;
  burst: number;
  /** Most sources tracked (default 10000). */
  maxSources?: number;
}

interface Bucket {
  tokens: number;
  /** ms timestamp of the last refill. */
  at: number;
}

/** Token buckets keyed by source (e.g. an IP address). */
export class TokenBuckets {
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recently used.
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxSources: number;

  constructor(private readonly opts: TokenBucketOptions) {
    if (!(opts.ratePerS > 0) || !(opts.burst >= 1)) throw new RangeError('token bucket: ratePerS > 0 and burst >= 1');
    this.maxSources = opts.maxSources ?? 10_000;
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /** Whether `key` has a whole token at `nowMs`, without taking it (an unknown key has a full bucket). */
  available(key: string, nowMs = Date.now()): boolean {
    const b = this.buckets.get(key);
    return !b || Math.min(this.opts.burst, b.tokens + ((nowMs - b.at) / 1000) * this.opts.ratePerS) >= 1;
  }

  /** Takes one token for `key` at time `nowMs`; false when the bucket is empty (the request is over the limit). */
  take(key: string, nowMs = Date.now()): boolean {
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key);
      b.tokens = Math.min(this.opts.burst, b.tokens + ((nowMs - b.at) / 1000) * this.opts.ratePerS);
      b.at = nowMs;
    } else {
      b = { tokens: this.opts.burst, at: nowMs };
      if (this.buckets.size >= this.maxSources) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
