/**
 * Speech-to-text providers. The runtime's VAD opens one recognition per utterance, feeds it
 * 20 ms frames of 8 kHz PCM, and calls end() when the utterance is over. `result` resolves
 * with the provider's final result in Watson STT format (the `speech_to_text_result`
 * variable, https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-context); a provider that finds the end of the phrase itself (Watson)
 * may resolve before end().
 */
import type { SttResult } from '../types.ts';
import type { Settings } from './update-strategy.ts';

export interface Recognition {
  write(frame: Int16Array): void;
  end(): void;
  /** Stops without a result (barge-in lost, call ended); `result` then rejects. */
  abort(): void;
  /** Final result; an empty `results` array when nothing was recognized. @throws Error when the provider failed. */
  readonly result: Promise<SttResult>;
}

export interface SttProvider {
  readonly name: string;
  open(settings: Settings): Recognition;
}

/** The best transcript of a result, trimmed ("" when none). */
export function bestTranscript(r: SttResult): string {
  const finals = r.results.filter((x) => x.final);
  return finals.map((x) => x.alternatives[0]?.transcript ?? '').join(' ').trim();
}
