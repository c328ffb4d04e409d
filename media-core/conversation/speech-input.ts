/**
 * Speech input of one call: VAD segmentation of the caller's 20 ms frames, one recognition
 * per utterance, and the final utterance timeout (final_utterance_timeout_count,
 * https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-context: no final result within that time after speech started).
 * The session decides, through {@link SpeechInputHooks}, whether an utterance counts
 * (barge-in, ignore_speech) and what its result means.
 */
import type { VadConfig } from '../config/schema.ts';
import { bestTranscript, type Recognition, type SttProvider } from './speech/stt.ts';
import type { Settings } from './speech/update-strategy.ts';
import { Vad } from './speech/vad.ts';
import type { SttResult } from './types.ts';

export interface SpeechInputHooks {
  /** At speech start: true to recognize this utterance (barge-in done by the hook), false to ignore it. */
  admit(): boolean;
  /** STT settings in force. */
  settings(): Settings;
  /** final_utterance_timeout_count in force, ms. */
  finalTimeoutMs(): number;
  /** A final result with a transcript. */
  onResult(text: string, result: SttResult): void;
  /** A final result with nothing recognized. */
  onEmpty(): void;
  onFinalTimeout(): void;
  onError(err: Error): void;
}

export class SpeechInput {
  private readonly vad: Vad;
  private recognition: Recognition | undefined;
  private ignoring = false;
  /** When the last recognized utterance ended (VAD hangover over), performance.now() ms; 0 before. */
  utteranceEndedAt = 0;
  private finalTimer: NodeJS.Timeout | undefined;
  private gapTimer: NodeJS.Timeout | undefined;
  private readonly gapMs: number;

  constructor(
    private readonly stt: SttProvider | undefined,
    vad: VadConfig,
    private readonly hooks: SpeechInputHooks,
  ) {
    // Peers with silence suppression (DTX) stop sending RTP when the caller stops talking:
    // no frames for the hangover time also ends the utterance.
    this.gapMs = vad.hangoverFrames * 20 + 100;
    this.vad = new Vad(vad, {
      onStart: (pre) => this.onStart(pre),
      onFrame: (f) => this.recognition?.write(f),
      onEnd: () => {
        if (this.ignoring || !this.recognition) return;
        this.utteranceEndedAt = performance.now();
        this.recognition.end();
      },
    });
  }

  /** true while the caller speaks or a recognition is pending. */
  get busy(): boolean {
    return this.vad.speaking || this.recognition !== undefined;
  }

  get available(): boolean {
    return this.stt !== undefined;
  }

  push(frame: Int16Array): void {
    if (!this.stt) return;
    this.vad.push(frame);
    if (!this.vad.speaking) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    } else if (this.gapTimer) this.gapTimer.refresh(); // per frame: no new timer and closure
    else this.gapTimer = setTimeout(this.onGap, this.gapMs);
  }

  private readonly onGap = (): void => {
    this.gapTimer = undefined;
    this.vad.finish();
  };

  /** Drops a running utterance and recognition (speech stopped, call ended). */
  stop(): void {
    clearTimeout(this.finalTimer);
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    this.recognition?.abort();
    this.recognition = undefined;
    this.vad.finish();
  }

  private onStart(preroll: Int16Array[]): void {
    this.ignoring = !this.hooks.admit();
    if (this.ignoring || !this.stt) return;
    let rec: Recognition;
    try {
      rec = this.stt.open(this.hooks.settings());
    } catch (err) {
      return this.hooks.onError(err as Error);
    }
    this.recognition = rec;
    for (const f of preroll) rec.write(f);
    clearTimeout(this.finalTimer);
    this.finalTimer = setTimeout(() => {
      if (this.recognition !== rec) return;
      this.recognition = undefined;
      rec.abort();
      this.hooks.onFinalTimeout();
    }, this.hooks.finalTimeoutMs());
    rec.result.then(
      (r) => {
        if (this.recognition !== rec) return;
        this.recognition = undefined;
        clearTimeout(this.finalTimer);
        const text = bestTranscript(r);
        if (text) this.hooks.onResult(text, r);
        else this.hooks.onEmpty();
      },
      (err: Error) => {
        if (this.recognition !== rec) return;
        this.recognition = undefined;
        clearTimeout(this.finalTimer);
        this.hooks.onError(new Error(`speech recognition failed: ${err.message}`));
      },
    );
  }
}
