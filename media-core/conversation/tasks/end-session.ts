/** `end_session`: hangs up, with `channel_options.voice_telephony.sip.headers` on the BYE. */
import { Task, type TaskHost, type TaskResult } from './task.ts';

export class EndSessionTask extends Task {
  async exec(host: TaskHost): Promise<TaskResult> {
    const headers = (this.response.channel_options?.voice_telephony?.sip?.headers ?? []).filter(
      (h) => h && typeof h.name === 'string' && typeof h.value === 'string',
    );
    await host.outcomes.endSession(headers.map((h) => ({ name: h.name, value: h.value })));
    return 'ended';
  }
}
