/**
 * DTMF in SIP INFO bodies of type application/dtmf-relay (the de-facto Cisco format used by
 * trunks: "Signal=5\r\nDuration=160"). Duration is in ms.
 *
 * The body comes from the peer: it is read line by line with string operations only (no
 * regular expression with overlapping quantifiers), so the time is linear in its size.
 */
import type { DigitEvent } from '../../../media-core/call/types.ts';

/** Value of the first `name = value` line (name case-insensitive, blanks around both trimmed), or undefined. */
function field(body: string, name: string): string | undefined {
  const want = name.toLowerCase();
  let from = 0;
  while (from <= body.length) {
    let eol = body.indexOf('\n', from);
    if (eol < 0) eol = body.length;
    const line = body.slice(from, eol);
    const eq = line.indexOf('=');
    if (eq >= 0 && line.slice(0, eq).trim().toLowerCase() === want) return line.slice(eq + 1).trim();
    from = eol + 1;
  }
  return undefined;
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
