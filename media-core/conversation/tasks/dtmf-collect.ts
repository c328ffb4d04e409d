/**
 * `dtmf` collect: the next input is gathered as digits per command_info.parameters
 * (termination_key, count, minimum_count, maximum_count, inter_digit_timeout_count,
 * ignore_speech, stop_after_collection); see ../dtmf-collector.ts for the rules.
 */
import { asBool, asInt, Task, type TaskHost, type TaskResult } from './task.ts';

export class DtmfCollectTask extends Task {
  async exec(host: TaskHost): Promise<TaskResult> {
    const p = (this.response.command_info?.parameters ?? {}) as Record<string, unknown>;
    const tk = typeof p.termination_key === 'string' && /^[0-9*#A-D]$/.test(p.termination_key) ? p.termination_key : undefined;
    host.startDtmfCollection({
      terminationKey: tk,
      count: asInt(p.count),
      minimumCount: asInt(p.minimum_count),
      maximumCount: asInt(p.maximum_count),
      interDigitTimeoutMs: asInt(p.inter_digit_timeout_count),
      ignoreSpeech: asBool(p.ignore_speech, false),
      stopAfterCollection: asBool(p.stop_after_collection, true),
    });
    return 'continue';
  }
}
