/**
 * DTMF in SIP INFO bodies of type application/dtmf-relay (the de-facto Cisco format used by
 * trunks: "Signal=5\r\nDuration=160"). Duration is in ms.
 *
 * The body comes from the peer: it is read line by line with string operations only (no
 * regular expression with overlapping quantifiers), so the time is linear in its size.
 */
import type { DigitEvent } from '../call/types.ts';

/** Value of the first `name = value` line (name case-insensitive, blanks around both trimmed), or undefined. */
function field(body: string, name: string): string | undefined {
  const want = name.toLowerCase();
  // Jumps from one "=" to the next rather than from line to line: only lines holding an "="
  // can match, so a body of thousands of lines without one costs no slice per line. The
  // "=" found is the first of its line (the search starts at a line start), as a per-line
  // indexOf would find.
  let from = 0;
  for (;;) {
    const eq = body.indexOf('=', from);
    if (eq < 0) return undefined;
    const start = body.lastIndexOf('\n', eq) + 1;
    let eol = body.indexOf('\n', eq);
    if (eol < 0) eol = body.length;
    if (body.slice(start, eq).trim().toLowerCase() === want) return body.slice(eq + 1, eol).trim();
    from = eol + 1;
  }
}

/** Parses a dtmf-relay body to a digit event (source 'info'), or undefined when it has no valid Signal. */
export function parseDtmfRelay(body: string): DigitEvent | undefined {
  const signal = field(body, 'Signal');
  if (!signal || /\s/.test(signal)) return undefined;
  const digit = signal === '10' ? '*' : signal === '11' ? '#' : signal.toUpperCase();
  if (!/^[0-9*#A-D]$/.test(digit)) return undefined;
  const duration = field(body, 'Duration');
  return { digit, durationMs: duration && /^\d{1,9}$/.test(duration) ? Number(duration) : undefined, source: 'info' };
}

/** Formats a dtmf-relay body for an outgoing INFO. */
export const formatDtmfRelay = (digit: string, durationMs: number) => `Signal=${digit}\r\nDuration=${durationMs}\r\n`;
