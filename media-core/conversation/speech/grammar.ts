/**
 * A JSGF grammar (W3C JSpeech Grammar Format, https://www.w3.org/TR/jsgf/) for pocketsphinx
 * from the local assistant's example phrases: one alternative per phrase, the way an IVR's
 * SRGS grammar lists what a caller may say. Words missing from the pronunciation dictionary
 * are dropped (pocketsphinx refuses a grammar with unknown words).
 *
 * Why the phrases alone and not also a loop over their words: measured on espeak-ng
 * telephone audio of the demo assistant's 18 phrases in 6 voices and rates, the phrase
 * grammar recognized 85 of 108 at 21 ms of decoder CPU per second of speech; phrases or any
 * sequence of their words recognized 36 of 108 at 37 ms (the loop keeps every word's first
 * phones active in every frame, and short words fill the path). The loop was better at one
 * thing: speech outside the grammar snapped to no phrase (of 45 such utterances, 5-6 were
 * taken for a phrase; with the phrases alone 19 are, after the recognizer's coverage check,
 * ./stt-pocketsphinx.ts `minCoverage`). `npm run bench -- stt-grammar` measures both.
 */

/** Lowercase dictionary words of a phrase. */
export function phraseWords(p: string): string[] {
  return p.toLowerCase().replace(/[^a-z' ]+/g, ' ').split(/\s+/).filter(Boolean);
}

/** @returns the grammar text, or undefined when no phrase has a known word. */
export function buildJsgf(phrases: readonly string[], known: (w: string) => boolean = () => true): string | undefined {
  const ps = [...new Set(phrases.map((p) => phraseWords(p).filter(known).join(' ')).filter(Boolean))];
  if (ps.length === 0) return undefined;
  return ['#JSGF V1.0;', 'grammar phrases;', `public <utt> = ${ps.join(' | ')};`, ''].join('\n');
}
