/**
 * A JSGF grammar (W3C JSpeech Grammar Format) for pocketsphinx from the local assistant's
 * example phrases: each phrase, or any sequence of their words. Words missing from the
 * pronunciation dictionary are dropped (pocketsphinx refuses a grammar with unknown words).
 */

/** Lowercase dictionary words of a phrase. */
export function phraseWords(p: string): string[] {
  return p.toLowerCase().replace(/[^a-z' ]+/g, ' ').split(/\s+/).filter(Boolean);
}

/** @returns the grammar text, or undefined when no phrase has a known word. */
export function buildJsgf(phrases: readonly string[], known: (w: string) => boolean = () => true): string | undefined {
  const ps = [...new Set(phrases.map((p) => phraseWords(p).filter(known).join(' ')).filter(Boolean))];
  if (ps.length === 0) return undefined;
  const vocab = [...new Set(ps.flatMap((p) => p.split(' ')))];
  return ['#JSGF V1.0;', 'grammar phrases;', 'public <utt> = <phrase> | <word>+;', `<phrase> = ${ps.join(' | ')};`, `<word> = ${vocab.join(' | ')};`, ''].join('\n');
}
