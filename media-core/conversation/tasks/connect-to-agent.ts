/**
 * `connect_to_agent`: transfers to the contact center (transfer_info.target for the
 * integration's vendor), saying agent_available.message first and agent_unavailable.message
 * when the transfer fails. The vendor logic lives in ../outcome-dispatch.ts.
 */
import { Task, type TaskHost, type TaskResult } from './task.ts';

export class ConnectToAgentTask extends Task {
  async exec(host: TaskHost): Promise<TaskResult> {
    // 'failed': the conversation goes on (vgwCallTransferFailed is queued).
    return (await host.outcomes.connectToAgent(this.response)) === 'failed' ? 'continue' : 'ended';
  }
}
