/** `text`: speaks `text` (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions). */
import { Task, type TaskHost, type TaskResult } from './task.ts';

export class TextTask extends Task {
  override readonly plays = true;
  async exec(host: TaskHost): Promise<TaskResult> {
    const text = typeof this.response.text === 'string' ? this.response.text.trim() : '';
    if (text) await host.say(text);
    return 'continue';
  }
}
