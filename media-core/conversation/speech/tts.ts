/**
 * Text-to-speech providers. Output is 8 kHz 16-bit mono PCM, as the Call seam wants: a
 * whole buffer (espeak-ng, cached) or chunks as they arrive (IBM Watson TTS, streamed).
 */
import type { AudioSource } from '../../call/types.ts';
import type { Settings } from './update-strategy.ts';

export interface TtsProvider {
  readonly name: string;
  /**
   * Synthesizes `text` with the settings in force (`voice` and provider parameters).
   * Resolves once audio can start (a streamed source may still be producing).
   * @throws Error saying what failed (process exit, HTTP status).
   */
  synthesize(text: string, settings: Settings): Promise<AudioSource>;
}
