/**
 * Snaps a recognizer hypothesis to the nearest expected phrase. With the phrase grammar
 * (./grammar.ts) a hypothesis is one of the phrases less the words missing from the
 * pronunciation dictionary, and snapping gives the phrase back whole; hypotheses of free
 * decoding (pocketsphinx_continuous, the language model) carry spurious short words ("i a
 * want up up speak a to when a a a that"). The phrase with the most similar set of content
 * words (function words such as "a", "to", "the" left out) is taken; Dice similarity over
 * all words breaks ties.
 */

/** Function words that carry no intent and that free decoding inserts spuriously. */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  'a an the i me my you your we our to of in on at for with and or is are am be it that this there up when so do'.split(' '),
);

function tokens(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter(Boolean);
}

function bag(words: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of words) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

function common(a: Map<string, number>, b: Map<string, number>): number {
  let n = 0;
  for (const [w, c] of a) n += Math.min(c, b.get(w) ?? 0);
  return n;
}

/** Dice coefficient of two word multisets, 0..1. */
export function diceSimilarity(a: string, b: string): number {
  const x = tokens(a);
  const y = tokens(b);
  return x.length + y.length === 0 ? 0 : (2 * common(bag(x), bag(y))) / (x.length + y.length);
}

/**
 * Jaccard similarity of the content-word sets of `hyp` and `phrase` (function words left
 * out; a phrase of function words only is compared on all its words), 0..1. Extra content
 * words in the hypothesis count against a phrase, so one shared word ("bye" in "bye that
 * open") does not select a one-word phrase with certainty.
 */
export function contentSimilarity(hyp: string, phrase: string): number {
  const p = tokens(phrase);
  const content = p.filter((w) => !FUNCTION_WORDS.has(w));
  const onlyFunction = content.length === 0;
  const P = new Set(onlyFunction ? p : content);
  const H = new Set(tokens(hyp).filter((w) => onlyFunction || !FUNCTION_WORDS.has(w)));
  let both = 0;
  for (const w of P) if (H.has(w)) both++;
  const union = P.size + H.size - both;
  return union === 0 ? 0 : both / union;
}

/** The best phrase for `hyp` with its similarity (0..1); undefined for no phrases. */
export function nearestPhrase(hyp: string, phrases: readonly string[]): { phrase: string; score: number } | undefined {
  let best: { phrase: string; score: number; dice: number } | undefined;
  for (const p of phrases) {
    const score = contentSimilarity(hyp, p);
    const dice = diceSimilarity(hyp, p);
    if (!best || score > best.score || (score === best.score && dice > best.dice)) best = { phrase: p, score, dice };
  }
  return best && { phrase: best.phrase, score: best.score };
}
