/**
 * Energy-based voice activity detection on 20 ms frames (160 samples at 8 kHz), for speech
 * barge-in and utterance segmentation.
 *
 * A frame is speech when its RMS exceeds both `minRms` and `noiseFactor` x the tracked noise
 * floor. `startFrames` consecutive speech frames start an utterance (the `prerollFrames`
 * before it are handed over too, so the first syllable is not lost); `hangoverFrames`
 * non-speech frames end it; `maxFrames` bounds it. The noise floor follows non-speech frames
 * (fast down, slow up).
 */
import type { VadConfig } from '../../config/schema.ts';

export interface VadEvents {
  /** Speech started; `preroll` are the frames from just before, oldest first. */
  onStart(preroll: Int16Array[]): void;
  /** A frame inside an utterance. */
  onFrame(frame: Int16Array): void;
  /** The utterance ended (hangover elapsed or maxFrames reached). */
  onEnd(): void;
}

/** RMS of 16-bit samples. */
export function rms(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
  return Math.sqrt(sum / Math.max(1, frame.length));
}

export class Vad {
  private noise = 100;
  private run = 0;
  private silence = 0;
  private length = 0;
  private inSpeech = false;
  private readonly ring: Int16Array[] = [];
  constructor(
    private readonly cfg: VadConfig,
    private readonly ev: VadEvents,
  ) {}

  get speaking(): boolean {
    return this.inSpeech;
  }

  /** Feeds one frame. */
  push(frame: Int16Array): void {
    const e = rms(frame);
    const voiced = e > this.cfg.minRms && e > this.noise * this.cfg.noiseFactor;
    if (!voiced) this.noise = e < this.noise ? this.noise * 0.7 + e * 0.3 : this.noise * 0.995 + e * 0.005;
    if (!this.inSpeech) {
      this.ring.push(frame);
      if (this.ring.length > this.cfg.prerollFrames + this.cfg.startFrames) this.ring.shift();
      this.run = voiced ? this.run + 1 : 0;
      if (this.run >= this.cfg.startFrames) {
        this.inSpeech = true;
        this.silence = 0;
        this.length = this.ring.length;
        const pre = this.ring.splice(0);
        this.ev.onStart(pre);
      }
      return;
    }
    this.ev.onFrame(frame);
    this.length++;
    this.silence = voiced ? 0 : this.silence + 1;
    if (this.silence >= this.cfg.hangoverFrames || this.length >= this.cfg.maxFrames) this.finish();
  }

  /** Ends a running utterance now (e.g. the call ended). */
  finish(): void {
    if (!this.inSpeech) return;
    this.inSpeech = false;
    this.run = 0;
    this.ev.onEnd();
  }
}
