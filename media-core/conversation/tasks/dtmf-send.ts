/** `dtmf` send: sends `digits` to the caller's side, `send_interval` ms apart (default 200). */
import { asInt, Task, type TaskHost, type TaskResult } from './task.ts';

export class DtmfSendTask extends Task {
  async exec(host: TaskHost): Promise<TaskResult> {
    const p = (this.response.command_info?.parameters ?? {}) as Record<string, unknown>;
    const digits = typeof p.digits === 'string' ? p.digits.replace(/\s/g, '') : '';
    if (!/^[0-9*#A-Da-d]+$/.test(digits)) {
      host.log.error({ responseType: 'dtmf' }, 'dtmf send without valid digits; skipped');
      return 'continue';
    }
    await host.sendDigits(digits.toUpperCase(), asInt(p.send_interval) ?? 200);
    return 'continue';
  }
}
