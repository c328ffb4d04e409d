/**
 * DTMF in SIP INFO bodies of type application/dtmf-relay (the de-facto Cisco format used by
 * trunks: "Signal=5\r\nDuration=160"). Duration is in ms.
 */
import type { DigitEvent } from '../call/types.ts';

/** Parses a dtmf-relay body to a digit event (source 'info'), or undefined when it has no valid Signal. */
export function parseDtmfRelay(body: string): DigitEvent | undefined {
  const signal = /^\s*Signal\s*=\s*(\S+)\s*$/im.exec(body)?.[1];
  if (!signal) return undefined;
  const digit = signal === '10' ? '*' : signal === '11' ? '#' : signal.toUpperCase();
  if (!/^[0-9*#A-D]$/.test(digit)) return undefined;
  const duration = /^\s*Duration\s*=\s*(\d+)\s*$/im.exec(body)?.[1];
  return { digit, durationMs: duration ? Number(duration) : undefined, source: 'info' };
}

/** Formats a dtmf-relay body for an outgoing INFO. */
export const formatDtmfRelay = (digit: string, durationMs: number) => `Signal=${digit}\r\nDuration=${durationMs}\r\n`;
