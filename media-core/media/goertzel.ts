/**
 * In-band DTMF detection (ITU-T Q.23/Q.24 tones) with the Goertzel algorithm on 8 kHz
 * linear PCM in 20 ms frames. Used when no RFC 4733 telephone-event was negotiated.
 *
 * A frame holds a digit when one row tone (697-941 Hz) and one column tone (1209-1633 Hz)
 * are each strong enough, stand out from the other tones of their group, are within the
 * allowed twist of each other, and together carry most of the frame's energy (speech and
 * noise spread their energy, a keypad tone does not). Two consecutive frames with the same
 * digit (40 ms) confirm it; it is then reported once, until a frame without it.
 */
import type { DigitEvent } from '../call/types.ts';

/** Row (low group) frequencies, Hz. */
export const DTMF_ROW_HZ = [697, 770, 852, 941] as const;
/** Column (high group) frequencies, Hz. */
export const DTMF_COL_HZ = [1209, 1336, 1477, 1633] as const;
/** Keypad layout by [row][column]. */
export const DTMF_KEYPAD = ['123A', '456B', '789C', '*0#D'] as const;

/** Thresholds of {@link GoertzelDtmfDetector}. */
export interface GoertzelOptions {
  /** Sample rate, Hz (default 8000). */
  sampleRate?: number;
  /** Minimum amplitude of each tone (peak, 16-bit units; default 300 ~ -37 dBm0). */
  minToneAmplitude?: number;
  /** Max dB the row tone may exceed the column tone (default 8). */
  normalTwistDb?: number;
  /** Max dB the column tone may exceed the row tone (default 4). */
  reverseTwistDb?: number;
  /** Min dB between the strongest tone of a group and the others of it (default 6). */
  relativePeakDb?: number;
  /** Min share of the frame energy in the two tones, 0-1 (default 0.45). */
  minEnergyShare?: number;
  /** Consecutive frames needed to confirm a digit (default 2 = 40 ms). */
  confirmFrames?: number;
}

const db = (v: number) => Math.pow(10, v / 10);

/** Goertzel DTMF detector for a stream of 20 ms frames. */
export class GoertzelDtmfDetector {
  private readonly rowCoeff: Float64Array;
  private readonly colCoeff: Float64Array;
  private readonly rowPower = new Float64Array(4);
  private readonly colPower = new Float64Array(4);
  private readonly minToneAmplitude: number;
  private readonly normalTwist: number;
  private readonly reverseTwist: number;
  private readonly relativePeak: number;
  private readonly minEnergyShare: number;
  private readonly confirmFrames: number;
  private readonly frameMs: number;
  private candidate: string | null = null;
  private candidateFrames = 0;
  private reported: string | null = null;
  private frameLength = 160;

  /** @param onDigit called once per confirmed digit with source 'inband' and the confirmed duration. */
  constructor(private readonly onDigit: (d: DigitEvent) => void, opts: GoertzelOptions = {}) {
    const rate = opts.sampleRate ?? 8000;
    this.rowCoeff = Float64Array.from(DTMF_ROW_HZ, (f) => 2 * Math.cos((2 * Math.PI * f) / rate));
    this.colCoeff = Float64Array.from(DTMF_COL_HZ, (f) => 2 * Math.cos((2 * Math.PI * f) / rate));
    this.minToneAmplitude = opts.minToneAmplitude ?? 300;
    this.normalTwist = db(opts.normalTwistDb ?? 8);
    this.reverseTwist = db(opts.reverseTwistDb ?? 4);
    this.relativePeak = db(opts.relativePeakDb ?? 6);
    this.minEnergyShare = opts.minEnergyShare ?? 0.45;
    this.confirmFrames = opts.confirmFrames ?? 2;
    this.frameMs = (160 * 1000) / rate;
  }

  /** Feeds one frame (normally 160 samples = 20 ms); may call onDigit. */
  process(frame: Int16Array): void {
    const digit = this.detectFrame(frame);
    this.frameLength = frame.length;
    if (digit === null) {
      this.candidate = null;
      this.candidateFrames = 0;
      this.reported = null;
      return;
    }
    if (digit !== this.candidate) {
      this.candidate = digit;
      this.candidateFrames = 0;
    }
    this.candidateFrames++;
    if (this.candidateFrames >= this.confirmFrames && this.reported !== digit) {
      this.reported = digit;
      this.onDigit({ digit, durationMs: Math.round(this.candidateFrames * this.frameMs * (this.frameLength / 160)), source: 'inband' });
    }
  }

  /** Forgets partial detections (e.g. after a codec change). */
  reset(): void {
    this.candidate = null;
    this.candidateFrames = 0;
    this.reported = null;
  }

  /** The DTMF digit present in one frame, or null. Pure apart from scratch buffers. */
  detectFrame(frame: Int16Array): string | null {
    const n = frame.length;
    if (n === 0) return null;
    let energy = 0;
    for (let i = 0; i < n; i++) energy += frame[i]! * frame[i]!;
    if (energy === 0) return null;
    goertzel(frame, this.rowCoeff, this.rowPower);
    goertzel(frame, this.colCoeff, this.colPower);
    const r = argmax(this.rowPower);
    const c = argmax(this.colPower);
    const pr = this.rowPower[r]!;
    const pc = this.colPower[c]!;
    // A sine of peak amplitude A gives a Goertzel power of about (A * N / 2)^2.
    const minPower = (this.minToneAmplitude * n / 2) ** 2;
    if (pr < minPower || pc < minPower) return null;
    if (pr > pc * this.normalTwist || pc > pr * this.reverseTwist) return null;
    for (let i = 0; i < 4; i++) {
      if (i !== r && this.rowPower[i]! * this.relativePeak > pr) return null;
      if (i !== c && this.colPower[i]! * this.relativePeak > pc) return null;
    }
    // A pure tone puts power (N/2) * energy into its bin: compare the pair with the frame.
    if (pr + pc < this.minEnergyShare * (n / 2) * energy) return null;
    return DTMF_KEYPAD[r]![c]!;
  }
}

function goertzel(frame: Int16Array, coeffs: Float64Array, out: Float64Array): void {
  const n = frame.length;
  for (let k = 0; k < coeffs.length; k++) {
    const coeff = coeffs[k]!;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const s0 = frame[i]! + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    out[k] = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  }
}

function argmax(v: Float64Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
