/**
 * `audio`: plays a WAV file from `source` (mono, PCM, 8000 Hz, 16 bits: https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions),
 * once or looped (`channel_options.voice_telephony.loop`). A file that cannot be fetched or
 * has another format is an error of that response only: it is logged with the reason and
 * the next response runs (the caller hears the rest of the turn, not silence until a
 * timeout).
 */
import { asBool, Task, type TaskHost, type TaskResult } from './task.ts';

export class AudioTask extends Task {
  override readonly plays = true;
  async exec(host: TaskHost): Promise<TaskResult> {
    const source = this.response.source;
    if (typeof source !== 'string' || !/^https?:\/\//.test(source)) {
      host.log.error({ responseType: 'audio' }, 'audio response without an http(s) source; skipped');
      return 'continue';
    }
    let pcm: Int16Array;
    try {
      pcm = await host.fetchAudio(source);
    } catch (err) {
      host.log.error({ responseType: 'audio', err: (err as Error).message }, 'audio not played');
      return 'continue';
    }
    await host.playPcm(pcm, asBool(this.response.channel_options?.voice_telephony?.loop, false));
    return 'continue';
  }
}
