/**
 * In-band DTMF tone synthesis (ITU-T Q.23 frequency pairs), used to send digits as audio when
 * no RFC 4733 telephone-event was negotiated.
 */
import { DTMF_COL_HZ, DTMF_KEYPAD, DTMF_ROW_HZ } from './goertzel.ts';

/** The (row Hz, column Hz) pair of a digit, or undefined for a non-DTMF character. */
export function dtmfFrequencies(digit: string): [number, number] | undefined {
  const d = digit.toUpperCase();
  for (let r = 0; r < 4; r++) {
    const c = DTMF_KEYPAD[r]!.indexOf(d);
    if (c >= 0 && d.length === 1) return [DTMF_ROW_HZ[r]!, DTMF_COL_HZ[c]!];
  }
  return undefined;
}

/**
 * PCM of a digit string as tones separated by silence, 8000 Hz 16-bit mono.
 * @param durationMs tone length per digit (default 100); @param intervalMs silence after each
 *   digit but the last (default 200); @param amplitude peak of each of the two sines (default 8000).
 * @throws Error naming the first character that is not 0-9 * # A-D.
 */
export function synthesizeDtmf(digits: string, durationMs = 100, intervalMs = 200, amplitude = 8000, sampleRate = 8000): Int16Array {
  const tone = Math.round((durationMs * sampleRate) / 1000);
  const gap = Math.round((intervalMs * sampleRate) / 1000);
  const chars = [...digits];
  const out = new Int16Array(chars.length * tone + Math.max(0, chars.length - 1) * gap);
  chars.forEach((ch, k) => {
    const f = dtmfFrequencies(ch);
    if (!f) throw new Error(`not a DTMF digit: ${JSON.stringify(ch)}`);
    const w1 = (2 * Math.PI * f[0]) / sampleRate;
    const w2 = (2 * Math.PI * f[1]) / sampleRate;
    const start = k * (tone + gap);
    for (let i = 0; i < tone; i++) out[start + i] = Math.round(amplitude * (Math.sin(w1 * i) + Math.sin(w2 * i)));
  });
  return out;
}
