/**
 * `dtmf` and `text_to_speech` with command enable_barge_in / disable_barge_in: whether key
 * presses (dtmf) or speech (text_to_speech) interrupt playback (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions).
 */
import type { GenericResponse } from '../types.ts';
import { Task, type TaskHost, type TaskResult } from './task.ts';

export class BargeInTask extends Task {
  constructor(
    response: GenericResponse,
    private readonly kind: 'dtmf' | 'speech',
    private readonly on: boolean,
  ) {
    super(response);
  }
  async exec(host: TaskHost): Promise<TaskResult> {
    host.setBargeIn(this.kind, this.on);
    return 'continue';
  }
}
