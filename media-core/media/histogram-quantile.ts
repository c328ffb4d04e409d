/**
 * The q-quantile of a fixed-width histogram, in ms: the upper edge of the bucket holding the
 * rank, capped at the largest value seen (the edge overstates a sparse top bucket).
 * Shared by the scheduler's tick deviation and the native pacer's per-packet lateness.
 * @param histogram counts per bucket; @param bucketMs bucket width, ms; @param count total
 *   of the counts; @param maxMs the largest value recorded, ms; @param q in (0, 1].
 * @returns NaN when count is 0.
 */
export function histogramQuantile(histogram: ArrayLike<number>, bucketMs: number, count: number, maxMs: number, q: number): number {
  if (count === 0) return NaN;
  const rank = Math.ceil(q * count);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return Math.min((i + 1) * bucketMs, maxMs);
  }
  return maxMs;
}
