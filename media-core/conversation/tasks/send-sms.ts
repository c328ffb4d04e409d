/**
 * `user_defined` with vgwAction.command vgwActSendSMS: sends an SMS (message, mediaURL,
 * tenantPhoneNumber, userPhoneNumber; https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions). On failure the integration sends
 * vgwSMSFailed to the assistant as the next input.
 */
import { Task, type TaskHost, type TaskResult } from './task.ts';

export class SendSmsTask extends Task {
  async exec(host: TaskHost): Promise<TaskResult> {
    await host.sendSms((this.response.user_defined?.vgwAction?.parameters ?? {}) as Record<string, unknown>);
    return 'continue';
  }
}
