/**
 * The spec of response types: `response_type` (plus `command_info.type`, or
 * `user_defined.vgwAction.command`) -> the task that runs it. Spec: https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions.
 */
import type { GenericResponse } from '../types.ts';
import { ActivitiesTask } from './activities.ts';
import { AudioTask } from './audio.ts';
import { BargeInTask } from './barge-in.ts';
import { ConnectToAgentTask } from './connect-to-agent.ts';
import { DtmfCollectTask } from './dtmf-collect.ts';
import { DtmfSendTask } from './dtmf-send.ts';
import { EndSessionTask } from './end-session.ts';
import { SendSmsTask } from './send-sms.ts';
import { SpeechConfigureTask } from './speech-configure.ts';
import type { Task } from './task.ts';
import { TextTask } from './text.ts';

type Make = (r: GenericResponse) => Task;

/** Every supported key; `type:command` for the commands. */
export const TASK_SPEC: Readonly<Record<string, Make>> = {
  text: (r) => new TextTask(r),
  audio: (r) => new AudioTask(r),
  'dtmf:collect': (r) => new DtmfCollectTask(r),
  'dtmf:send': (r) => new DtmfSendTask(r),
  'dtmf:enable_barge_in': (r) => new BargeInTask(r, 'dtmf', true),
  'dtmf:disable_barge_in': (r) => new BargeInTask(r, 'dtmf', false),
  'text_to_speech:enable_barge_in': (r) => new BargeInTask(r, 'speech', true),
  'text_to_speech:disable_barge_in': (r) => new BargeInTask(r, 'speech', false),
  'text_to_speech:configure': (r) => new SpeechConfigureTask(r, 'tts'),
  'speech_to_text:configure': (r) => new SpeechConfigureTask(r, 'stt'),
  start_activities: (r) => new ActivitiesTask(r, true),
  stop_activities: (r) => new ActivitiesTask(r, false),
  end_session: (r) => new EndSessionTask(r),
  connect_to_agent: (r) => new ConnectToAgentTask(r),
  'user_defined:vgwActSendSMS': (r) => new SendSmsTask(r),
};

/** The spec key of a response. */
export function taskKey(r: GenericResponse): string {
  if (r.response_type === 'user_defined') return `user_defined:${r.user_defined?.vgwAction?.command ?? ''}`;
  const cmd = r.command_info?.type;
  return cmd ? `${r.response_type}:${cmd}` : r.response_type;
}

/** The task for a response, or undefined for an unsupported one (the runtime logs and skips it). */
export function createTask(r: GenericResponse): Task | undefined {
  return TASK_SPEC[taskKey(r)]?.(r);
}
