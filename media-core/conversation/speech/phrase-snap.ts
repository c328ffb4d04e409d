/**
 * Snaps a free recognizer hypothesis to the nearest expected phrase. pocketsphinx's
 * wideband model hears telephone audio (nothing above 4 kHz) poorly: with the exact-phrase
 * grammar it often finds no path; with a word loop over the phrases' vocabulary it finds
 * most words ("i want are speak i to want to to"). The closest phrase by Dice similarity
 * over word multisets then gives the intended phrase ("i want to speak to an agent").
 */

function bag(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of text.toLowerCase().split(/\s+/).filter(Boolean)) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** Dice coefficient of two word multisets, 0..1. */
export function diceSimilarity(a: string, b: string): number {
  const x = bag(a);
  const y = bag(b);
  let common = 0;
  let nx = 0;
  let ny = 0;
  for (const n of x.values()) nx += n;
  for (const n of y.values()) ny += n;
  for (const [w, n] of x) common += Math.min(n, y.get(w) ?? 0);
  return nx + ny === 0 ? 0 : (2 * common) / (nx + ny);
}

/** The phrase most similar to `hyp` and its similarity; undefined for no phrases. */
export function nearestPhrase(hyp: string, phrases: readonly string[]): { phrase: string; score: number } | undefined {
  let best: { phrase: string; score: number } | undefined;
  for (const p of phrases) {
    const score = diceSimilarity(hyp, p);
    if (!best || score > best.score) best = { phrase: p, score };
  }
  return best;
}
