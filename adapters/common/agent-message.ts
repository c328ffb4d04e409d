/**
 * The assistant's summary for the human agent (`message_to_human_agent` of connect_to_agent,
 * cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-dialog-responses-phone) fitted to
 * each contact center's rules. Pure functions, no I/O.
 *
 * Every vendor gets the text with control characters replaced by spaces (no CR/LF can split a
 * SIP header, no NUL reaches a script variable) and, when longer than the vendor takes, cut at
 * a character boundary and marked with {@link TRUNCATION_MARK}, so the agent sees that
 * something is missing and can open the screen pop, which holds the whole (bounded) text.
 */

/** Appended to a text that was cut. ASCII, so it fits every vendor's character rules. */
export const TRUNCATION_MARK = ' [truncated]';

/** Longest summary the integration keeps (session history, outcome event), characters. */
export const MAX_AGENT_MESSAGE_CHARS = 4000;

/** Bytes of `s` in UTF-8. */
export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
/** Characters (code points) of `s`. */
export const codePoints = (s: string): number => [...s].length;

/**
 * Replaces C0 controls (CR, LF, TAB included), DEL and C1 controls by one space each run,
 * and trims. SIP header values may not hold CR or LF (RFC 3261 section 25.1, header values
 * end at CRLF) and a screen pop or script variable has no use for other controls.
 */
export function withoutControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

/**
 * `text` if `measure(text) <= max`, else its longest prefix (whole code points) that fits
 * with {@link TRUNCATION_MARK} appended, plus the mark.
 * @param measure length in the vendor's unit (utf8Bytes, codePoints, or .length)
 * @param max the vendor's limit in that unit; at least the mark's own length
 */
export function truncateMarked(text: string, max: number, measure: (s: string) => number = codePoints): string {
  if (measure(text) <= max) return text;
  const budget = max - measure(TRUNCATION_MARK);
  if (budget <= 0) return TRUNCATION_MARK.trim().slice(0, Math.max(0, max));
  let out = '';
  let used = 0;
  for (const ch of text) {
    const n = measure(ch);
    if (used + n > budget) break;
    out += ch;
    used += n;
  }
  return `${out.trimEnd()}${TRUNCATION_MARK}`;
}

/**
 * The summary as the integration keeps it: a string, controls replaced, at most
 * {@link MAX_AGENT_MESSAGE_CHARS} (marked when cut). @returns undefined when absent, not a
 * string, or blank.
 */
export function agentMessageFrom(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Bound the work first: an assistant (possibly an LLM) may send megabytes.
  const limit = 4 * MAX_AGENT_MESSAGE_CHARS;
  const cut = value.length > limit;
  const t = withoutControls(cut ? value.slice(0, limit) : value);
  if (!t) return undefined;
  const fitted = truncateMarked(t, MAX_AGENT_MESSAGE_CHARS);
  return cut && !fitted.endsWith(TRUNCATION_MARK) ? truncateMarked(`${t}${TRUNCATION_MARK}`, MAX_AGENT_MESSAGE_CHARS) : fitted;
}
