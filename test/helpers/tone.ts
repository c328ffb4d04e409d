/** A test tone and its detector, for checks that audio crossed a call (8 kHz PCM). */

/** The tone's frequency, Hz. */
export const TONE_HZ = 1000;

/** A 1 kHz tone, `seconds` long, 8 kHz 16-bit PCM. */
export const tone = (seconds: number) => Int16Array.from({ length: 8000 * seconds }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * TONE_HZ * i) / 8000)));

/** Share of a frame's energy at `hz` (Goertzel), 0..1. */
export function toneShare(frame: Int16Array, hz: number): number {
  const k = (2 * Math.PI * hz) / 8000;
  const c = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of frame) {
    const s0 = x + c * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - c * s1 * s2;
  return energy > 0 ? (2 * power) / (frame.length * energy) : 0;
}
