/**
 * `speech_to_text` / `text_to_speech` with command configure: applies command_info.parameters
 * with command_info.parameters.update_strategy (replace, replace_once, merge, merge_once;
 * ../speech/update-strategy.ts) to the call's speech settings.
 */
import type { GenericResponse } from '../types.ts';
import { Task, type TaskHost, type TaskResult } from './task.ts';

export class SpeechConfigureTask extends Task {
  constructor(
    response: GenericResponse,
    private readonly kind: 'tts' | 'stt',
  ) {
    super(response);
  }
  async exec(host: TaskHost): Promise<TaskResult> {
    const { update_strategy, ...params } = (this.response.command_info?.parameters ?? {}) as Record<string, unknown>;
    try {
      host.configureSpeech(this.kind, params, typeof update_strategy === 'string' ? update_strategy : undefined);
    } catch (err) {
      host.log.error({ err: (err as Error).message, task: this.name }, 'speech configure ignored');
    }
    return 'continue';
  }
}
