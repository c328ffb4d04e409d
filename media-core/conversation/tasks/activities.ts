/**
 * `start_activities` / `stop_activities` with activities dtmf_collection and
 * speech_to_text_recognition: stopped input is ignored until started again.
 */
import type { GenericResponse } from '../types.ts';
import { Task, type Activity, type TaskHost, type TaskResult } from './task.ts';

const KNOWN: Activity[] = ['dtmf_collection', 'speech_to_text_recognition'];

export class ActivitiesTask extends Task {
  constructor(
    response: GenericResponse,
    private readonly on: boolean,
  ) {
    super(response);
  }
  async exec(host: TaskHost): Promise<TaskResult> {
    for (const a of this.response.activities ?? []) {
      if (KNOWN.includes(a.type as Activity)) host.setActivity(a.type as Activity, this.on);
      else host.log.warn({ activity: a.type }, 'unknown activity ignored');
    }
    return 'continue';
  }
}
