/**
 * The base of every response-type task (one file per response type, like jambonz's one
 * file per verb). A task reads its response object and acts through a {@link TaskHost}
 * (the call's conversation session), so tasks hold no call state of their own.
 */
import type { Logger } from '../../../lib/log.ts';
import type { PlaybackResult } from '../../call/types.ts';
import type { GenericResponse } from '../types.ts';
import type { DtmfCollectParams } from '../dtmf-collector.ts';
import type { Outcomes } from '../outcome-dispatch.ts';

/** After a task: go on with the next response, or stop because the call has ended. */
export type TaskResult = 'continue' | 'ended';

export type Activity = 'dtmf_collection' | 'speech_to_text_recognition';

/** What a task may do to the call and the conversation. */
export interface TaskHost {
  readonly log: Logger;
  /** true once the caller barged in during this turn's playback (remaining prompts are skipped). */
  readonly bargedIn: boolean;
  /** Speaks text with the TTS settings in force; resolves when played or interrupted. @throws when TTS fails. */
  say(text: string): Promise<PlaybackResult>;
  /** Plays PCM (8 kHz 16-bit mono); `loop` plays it again until interrupted (not awaited). */
  playPcm(pcm: Int16Array, loop: boolean): Promise<PlaybackResult | undefined>;
  /** Fetches a WAV file (size and time limits). @throws Error saying what is wrong. */
  fetchAudio(url: string): Promise<Int16Array>;
  sendDigits(digits: string, intervalMs: number): Promise<void>;
  startDtmfCollection(p: DtmfCollectParams): void;
  setBargeIn(kind: 'dtmf' | 'speech', on: boolean): void;
  setActivity(a: Activity, on: boolean): void;
  configureSpeech(kind: 'tts' | 'stt', parameters: Record<string, unknown>, strategy: string | undefined): void;
  /** The call's contact center: connect_to_agent and end_session (../outcome-dispatch.ts). */
  readonly outcomes: Outcomes;
  /** Sends an SMS; false when it failed (vgwSMSFailed queued). */
  sendSms(parameters: Record<string, unknown>): Promise<boolean>;
}

export abstract class Task {
  /** true for tasks that play prompts; they are skipped after a barge-in in the same turn. */
  readonly plays: boolean = false;
  constructor(readonly response: GenericResponse) {}
  /** The response_type (and command) for logs. */
  get name(): string {
    const cmd = this.response.command_info?.type;
    return cmd ? `${this.response.response_type}:${cmd}` : this.response.response_type;
  }
  abstract exec(host: TaskHost): Promise<TaskResult>;
}

/** Reads a boolean that assistants may send as a string ("false"). */
export function asBool(v: unknown, dflt: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return dflt;
}

/** Reads a non-negative integer that may arrive as a string ("16"); undefined when absent or invalid. */
export function asInt(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
