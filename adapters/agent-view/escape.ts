/**
 * HTML escaping for text placed in element content or in double-quoted attribute values
 * (OWASP XSS prevention rule #1 and #2): the five characters that can change HTML parsing
 * state are replaced by character references; everything else (unicode included) passes
 * through unchanged because the page is served as UTF-8.
 */
const REFS: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes `value` for HTML text or a quoted attribute. Non-strings are stringified first. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => REFS[c]!);
}
