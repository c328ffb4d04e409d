/**
 * Selects the speech path of every integration from the environment, so the same
 * configuration file runs with embedded speech or with IBM Watson speech (the production
 * path, or its local emulation in the sandboxes):
 *
 * - SPEECH unset or `embedded`: the configuration file's speech settings as they are;
 * - SPEECH=`sandbox-watson` (what `SPEECH=sandbox-watson npm start` sets) or `watson`: every
 *   speech setting uses Watson Speech to Text and Text to Speech at WATSON_STT_URL (ws:// or
 *   wss:// instance URL), WATSON_TTS_URL and WATSON_IAM_URL, with the API key in
 *   WATSON_SPEECH_APIKEY; the voice activity detection settings stay.
 */
import { ConfigError } from '../../../lib/env.ts';
import { SttConfig, TtsConfig, type MediaCoreConfig } from '../../config/schema.ts';

export const SPEECH_MODES = ['embedded', 'sandbox-watson', 'watson'] as const;

/**
 * @returns the configuration with the speech path SPEECH selects (a new object; the input is unchanged).
 * @throws ConfigError naming the variable when SPEECH is unknown or a Watson URL is missing or invalid.
 */
export function applySpeechMode(config: MediaCoreConfig, env: Record<string, string | undefined> = process.env): MediaCoreConfig {
  const mode = env.SPEECH || 'embedded';
  if (!(SPEECH_MODES as readonly string[]).includes(mode)) throw new ConfigError(['SPEECH'], `SPEECH=${mode}: one of ${SPEECH_MODES.join(', ')}`);
  if (mode === 'embedded') return config;
  const need = ['WATSON_STT_URL', 'WATSON_TTS_URL', 'WATSON_IAM_URL'].filter((v) => !env[v]);
  if (need.length) throw new ConfigError(need, `SPEECH=${mode} needs ${need.join(', ')}`);
  if (!env.WATSON_SPEECH_APIKEY) throw new ConfigError(['WATSON_SPEECH_APIKEY'], `SPEECH=${mode} needs WATSON_SPEECH_APIKEY (the Watson speech API key)`);
  const stt = SttConfig.safeParse({ provider: 'watson', url: env.WATSON_STT_URL, iamUrl: env.WATSON_IAM_URL, apiKeyEnv: 'WATSON_SPEECH_APIKEY' });
  const tts = TtsConfig.safeParse({ provider: 'watson', url: env.WATSON_TTS_URL, iamUrl: env.WATSON_IAM_URL, apiKeyEnv: 'WATSON_SPEECH_APIKEY' });
  if (!stt.success || !tts.success || !/^wss?:\/\//.test(env.WATSON_STT_URL!)) {
    throw new ConfigError(['WATSON_STT_URL', 'WATSON_TTS_URL', 'WATSON_IAM_URL'], 'WATSON_STT_URL must be a ws:// or wss:// URL, WATSON_TTS_URL and WATSON_IAM_URL http(s) URLs');
  }
  const speech = Object.fromEntries(Object.entries(config.speech).map(([name, s]) => [name, { ...s, stt: stt.data, tts: tts.data }]));
  return { ...config, speech };
}
