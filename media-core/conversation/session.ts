/**
 * One call's conversation: answers, runs turns (caller input -> assistant -> responses)
 * until the call ends, and ends every failure in a defined way (failure message, then the
 * error outcome), so no caller is left in silence.
 *
 * Turn inputs are: speech (VAD-segmented, recognized), DTMF (single digits, or a
 * collection), and the texts the integration sends itself (vgwPostResponseTimeout,
 * vgwFinalUtteranceTimeout, vgwCallTransferFailed, vgwSMSFailed, vgwHangUp). Context
 * variables (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-context) are kept in ./context-vars.ts.
 */
import type { Logger } from '../../lib/log.ts';
import type { Store } from '../../lib/store/client.ts';
import { countMonthlyActiveUser } from '../../lib/store/mau.ts';
import type { Call, DigitEvent, HangupEvent, PlaybackResult } from '../call/types.ts';
import type { IntegrationConfig, VadConfig } from '../config/schema.ts';
import { callVariables, timeoutMs, turnContext, type TurnVariables } from './context-vars.ts';
import { DtmfCollector, type DtmfCollectParams } from './dtmf-collector.ts';
import { HistoryWriter } from './history.ts';
import { outcomes as outcomesTotal, turnLatency } from '../observability/call-metrics.ts';
import type { OutcomeInvoker } from './lambda-invoke.ts';
import { OutcomeDispatcher } from './outcome-dispatch.ts';
import type { AudioCache } from './audio-cache.ts';
import { vendorOf } from '../../adapters/registry.ts';
import { ttsFallbackPrompts } from './speech/speech-metrics.ts';
import { fetchWav8k, type AudioLimits } from './audio-fetch.ts';
import type { SttProvider } from './speech/stt.ts';
import type { TtsProvider } from './speech/tts.ts';
import { applyUpdate, effective, endTurn, type LayeredSettings, type Settings } from './speech/update-strategy.ts';
import { SpeechInput } from './speech-input.ts';
import { smsRequest, type SmsRequestLike } from './sms-request.ts';
import { DtmfCollectTask } from './tasks/dtmf-collect.ts';
import { createTask, taskKey } from './tasks/registry.ts';
import type { Activity, TaskHost, TaskResult } from './tasks/task.ts';
import { VGW_TEXT, type AssistantConnector, type ConversationContext, type GenericResponse } from './types.ts';

export type { SmsRequestLike };

export interface SessionDeps {
  call: Call;
  integration: IntegrationConfig;
  assistant: AssistantConnector;
  tts: TtsProvider;
  ttsDefaults: Settings;
  /** Absent: speech input is off (DTMF only). */
  stt?: SttProvider;
  sttDefaults: Settings;
  vad: VadConfig;
  sessionHistoryKey: string;
  store?: Store;
  invoke?: OutcomeInvoker;
  sendSms?: (req: SmsRequestLike) => Promise<unknown>;
  audioCache: AudioCache;
  log: Logger;
  /** Limits of fetched audio files. */
  audioLimits?: AudioLimits;
  /** The fallback prompt's audio, synthesized at start (undefined: synthesized when needed). */
  ttsFallback?: () => Int16Array | undefined;
}

interface PendingInput {
  text: string;
  isDtmf: boolean;
  vars: Partial<TurnVariables>;
}

export class ConversationSession implements TaskHost {
  readonly log: Logger;
  private readonly call: Call;
  private readonly cfg: IntegrationConfig;
  private readonly history: HistoryWriter;
  /** The call's contact center: connect_to_agent and end_session act through it (TaskHost). */
  readonly outcomes: OutcomeDispatcher;
  private readonly callVars: ConversationContext;
  private context: ConversationContext = {};
  private tts: LayeredSettings;
  private stt: LayeredSettings;
  private bargeIn: { dtmf: boolean; speech: boolean };
  private readonly activity = { dtmf_collection: true, speech_to_text_recognition: true };
  private ended = false;
  private playing = 0;
  private playToken = 0;
  private turnBargedIn = false;
  private pendingBarge = false;
  private readonly inputs: PendingInput[] = [];
  private waiter: { resolve: (i: PendingInput | undefined) => void; reject: (e: Error) => void } | undefined;
  private fatal: Error | undefined;
  private postTimer: NodeJS.Timeout | undefined;
  private collector: DtmfCollector | undefined;
  private readonly speech: SpeechInput;
  private consecutiveTimeouts = 0;
  /** performance.now() when the last caller input ended (digit, or final STT result). */
  inputEndedAt = 0;
  /** The inputEndedAt whose turn latency was observed already. */
  private latencyObservedFor = 0;
  /** performance.now() of the last caller frame loud enough to be speech (VAD minRms), and whether the last input was speech. */
  private lastVoicedAt = 0;
  /** The last speech turn's recognition time, from the end of the utterance to its result, ms. */
  private recognitionMs: number | undefined;
  private lastInputSpeech = false;

  constructor(private readonly d: SessionDeps) {
    this.call = d.call;
    this.cfg = d.integration;
    this.log = d.log;
    this.history = new HistoryWriter(d.store, d.sessionHistoryKey, d.log);
    this.outcomes = new OutcomeDispatcher({
      call: d.call,
      vendor: d.integration.contactCenter,
      sessionHistoryKey: d.sessionHistoryKey,
      invoke: d.invoke,
      store: d.store,
      log: d.log,
      conversation: {
        say: this.sayQuietly,
        history: this.history,
        transferFailed: () => this.inputs.push({ text: VGW_TEXT.callTransferFailed, isDtmf: false, vars: {} }),
        ended: (transferred) => {
          this.ended = true;
          // The assistant learns that the caller went to an agent; its answer has nowhere to go.
          if (transferred) this.d.assistant.message(this.call.info.callId, { input: { text: VGW_TEXT.callTransferred }, context: this.context }).catch(() => {});
        },
      },
    });
    this.callVars = callVariables(d.call.info, d.integration.customInviteHeaders);
    this.tts = { call: { ...d.ttsDefaults } };
    this.stt = { call: { ...d.sttDefaults } };
    this.bargeIn = { ...d.integration.bargeIn };
    this.speech = new SpeechInput(d.stt, d.vad, {
      admit: () => {
        const ok = !(this.collector?.active === true && this.collector.params.ignoreSpeech) && this.bargeInAllowed('speech');
        if (ok) this.clearPostTimer();
        return ok;
      },
      settings: () => effective(this.stt),
      finalTimeoutMs: () => timeoutMs(this.context, 'final_utterance_timeout_count', this.cfg.finalUtteranceTimeoutMs),
      onResult: (text, r) => {
        this.inputEndedAt = performance.now();
        this.recognitionMs = this.speech.utteranceEndedAt > 0 ? this.inputEndedAt - this.speech.utteranceEndedAt : undefined;
        this.lastInputSpeech = true;
        if (this.collector?.active) {
          this.collector.cancel();
          this.collector = undefined;
        }
        this.deliver({ text, isDtmf: false, vars: { speech_to_text_result: r } });
      },
      onEmpty: () => {
        if (this.waiter) this.armPostTimer();
      },
      onFinalTimeout: () => this.deliver({ text: VGW_TEXT.finalUtteranceTimeout, isDtmf: false, vars: { final_utterance_timeout_occurred: true } }),
      onError: (err) => this.setFatal(err),
    });
  }

  /** The session history key (tests, the screen pop). */
  get sessionHistoryKey(): string {
    return this.d.sessionHistoryKey;
  }

  get bargedIn(): boolean {
    return this.turnBargedIn;
  }

  /** Runs the call to its end. Never throws. */
  async run(): Promise<void> {
    const call = this.call;
    call.once('hangup', (e: HangupEvent) => this.onHangup(e));
    call.on('digit', (e: DigitEvent) => this.onDigit(e));
    this.listenToAudio();
    try {
      await call.answer();
    } catch (err) {
      this.log.info({ err: (err as Error).message }, 'call ended before answer');
      return this.cleanup();
    }
    this.history.start({
      startedAt: new Date().toISOString(),
      calledNumber: this.cfg.number,
      callerRedacted: call.info.callerUser ? `…${call.info.callerUser.replace(/\D/g, '').slice(-2)}` : undefined,
      vendor: this.cfg.contactCenter.vendor,
      vendorLabel: vendorOf(this.cfg.contactCenter.vendor).label,
    });
    if (this.d.store && call.info.callerUser) {
      countMonthlyActiveUser(this.d.store, call.info.callerUser).catch((err: Error) => this.log.error({ err: err.message }, 'MAU count failed'));
    }
    try {
      await this.d.assistant.startSession?.(call.info.callId);
      let input: PendingInput | undefined = { text: '', isDtmf: false, vars: {} };
      for (let turn = 0; turn < this.cfg.maxTurns && input && !this.ended; turn++) {
        const before = this.silentTooLong(input);
        const generic = before ? [] : await this.ask(input);
        if (before || this.silentTooLong(input, generic)) {
          this.log.info({ timeouts: this.consecutiveTimeouts, mode: this.cfg.silenceHangup }, 'caller silent for too long; hanging up');
          await this.outcomes.endSession([]);
          break;
        }
        if (this.ended || (await this.runResponses(generic)) === 'ended' || this.ended) break;
        input = await this.nextInput();
      }
      if (!this.ended && input) {
        this.log.warn({ maxTurns: this.cfg.maxTurns }, 'turn limit reached; hanging up');
        await this.outcomes.endSession([]);
      }
    } catch (err) {
      await this.fail(err as Error);
    } finally {
      this.cleanup();
      await this.d.assistant.endSession?.(call.info.callId).catch(() => {});
    }
  }

  /**
   * Auto-hang-up after repeated silence (IntegrationConfig maxConsecutiveTimeouts and
   * silenceHangup). Called before the turn is sent (`generic` undefined) and after.
   * `always`: the timeout after maxConsecutiveTimeouts consecutive ones hangs up before the
   * assistant is asked. `unhandled`: a timeout counts only when the assistant answers it with
   * no response at all, and the maxConsecutiveTimeouts-th such one hangs up; an assistant
   * that handles vgwPostResponseTimeout itself (any response) keeps the call. Any other
   * input starts the count again.
   */
  private silentTooLong(input: PendingInput, generic?: GenericResponse[]): boolean {
    const mode = this.cfg.silenceHangup;
    if (input.text !== VGW_TEXT.postResponseTimeout) {
      this.consecutiveTimeouts = 0;
      return false;
    }
    if (mode === 'never') return false;
    if (mode === 'always') return generic === undefined && ++this.consecutiveTimeouts > this.cfg.maxConsecutiveTimeouts;
    if (generic === undefined) return false;
    if (generic.length > 0) {
      this.consecutiveTimeouts = 0;
      return false;
    }
    return ++this.consecutiveTimeouts >= this.cfg.maxConsecutiveTimeouts;
  }

  /** Sends one turn to the assistant and records it. @returns the responses to run. */
  private async ask(input: PendingInput): Promise<GenericResponse[]> {
    const vars: TurnVariables = {
      is_dtmf: input.isDtmf,
      barge_in_occurred: input.vars.barge_in_occurred ?? false,
      post_response_timeout_occurred: input.vars.post_response_timeout_occurred ?? false,
      final_utterance_timeout_occurred: input.vars.final_utterance_timeout_occurred ?? false,
      ...(input.vars.dtmf_collection_succeeded !== undefined ? { dtmf_collection_succeeded: input.vars.dtmf_collection_succeeded } : {}),
      ...(input.vars.speech_to_text_result !== undefined ? { speech_to_text_result: input.vars.speech_to_text_result } : {}),
    };
    this.context = turnContext(this.context, this.callVars, vars);
    if (input.text) this.history.append({ who: input.text.startsWith('vgw') ? 'system' : 'caller', text: input.text, ...(input.isDtmf ? { isDtmf: true } : {}) });
    this.log.debug({ isDtmf: input.isDtmf, inputChars: input.text.length, vgw: input.text.startsWith('vgw') ? input.text : undefined }, 'turn input');
    const reply = await this.d.assistant.message(this.call.info.callId, { input: { text: input.text }, context: this.context });
    this.log.debug({ responses: reply.output.generic.map(taskKey) }, 'turn reply');
    this.context = reply.context;
    this.tts = endTurn(this.tts);
    this.stt = endTurn(this.stt);
    this.turnBargedIn = false;
    for (const r of reply.output.generic) {
      const text = r.response_type === 'text' ? r.text : r.response_type === 'connect_to_agent' ? r.agent_available?.message : undefined;
      this.history.append({ who: 'assistant', text: typeof text === 'string' ? text : taskKey(r), responseType: r.response_type });
    }
    return reply.output.generic;
  }

  /** Runs a turn's responses in order; DTMF collections start first so keys pressed during the prompt count. */
  private async runResponses(generic: GenericResponse[]): Promise<TaskResult> {
    const tasks = generic.map((r) => ({ r, t: createTask(r) }));
    for (const { t } of tasks) if (t instanceof DtmfCollectTask) await t.exec(this);
    for (const { r, t } of tasks) {
      if (this.ended) return 'ended';
      if (!t) {
        this.log.warn({ responseType: r.response_type, key: taskKey(r) }, 'unsupported response type skipped');
        continue;
      }
      if (t instanceof DtmfCollectTask || (t.plays && this.turnBargedIn)) continue;
      if ((await t.exec(this)) === 'ended') return 'ended';
    }
    return this.ended ? 'ended' : 'continue';
  }

  // ---- input ----

  private deliver(i: PendingInput): void {
    if (this.ended) return;
    this.clearPostTimer();
    if (this.pendingBarge) {
      i.vars.barge_in_occurred = true;
      this.pendingBarge = false;
    }
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w.resolve(i);
    else this.inputs.push(i);
  }

  /** The next input: queued, arriving, or the post-response timeout. undefined when the call ended. */
  private nextInput(): Promise<PendingInput | undefined> {
    if (this.fatal) return Promise.reject(this.fatal);
    const queued = this.inputs.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.resolve(undefined);
    if (!this.activity.dtmf_collection && (!this.activity.speech_to_text_recognition || !this.speech.available)) {
      // No input can arrive: the assistant drives the next turn itself.
      return Promise.resolve({ text: VGW_TEXT.noInputTurn, isDtmf: false, vars: {} });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.armPostTimer();
    });
  }

  private armPostTimer(): void {
    this.clearPostTimer();
    if (!this.waiter || this.speech.busy || this.collector?.started) return;
    const ms = timeoutMs(this.context, 'post_response_timeout_count', this.cfg.postResponseTimeoutMs);
    this.postTimer = setTimeout(() => {
      this.collector?.cancel();
      this.collector = undefined;
      this.deliver({ text: VGW_TEXT.postResponseTimeout, isDtmf: false, vars: { post_response_timeout_occurred: true } });
    }, ms);
  }

  private clearPostTimer(): void {
    clearTimeout(this.postTimer);
    this.postTimer = undefined;
  }

  /** Stops playback when barge-in of `kind` is on; false when input during playback must be ignored. */
  private bargeInAllowed(kind: 'dtmf' | 'speech'): boolean {
    if (this.playing === 0) return true;
    if (!this.bargeIn[kind]) return false;
    this.call.stopPlayback();
    this.turnBargedIn = true;
    this.pendingBarge = true;
    return true;
  }

  private onDigit(e: DigitEvent): void {
    this.log.debug({ source: e.source, playing: this.playing !== 0, collecting: this.collector?.active === true }, 'digit');
    if (this.ended || !this.activity.dtmf_collection) return;
    if (!this.bargeInAllowed('dtmf')) return;
    this.inputEndedAt = performance.now();
    this.lastInputSpeech = false;
    this.clearPostTimer();
    if (this.collector?.active) this.collector.push(e.digit);
    else this.deliver({ text: e.digit, isDtmf: true, vars: {} });
  }

  private onAudio(frame: Int16Array): void {
    if (this.ended || !this.activity.speech_to_text_recognition) return;
    if (frameRms(frame) >= this.d.vad.minRms) this.lastVoicedAt = performance.now();
    this.speech.push(frame);
  }

  private setFatal(err: Error): void {
    this.fatal ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  private onHangup(e: HangupEvent): void {
    const wasEnded = this.ended;
    this.ended = true;
    this.history.append({ who: 'system', text: `call ended (${e.by}: ${e.reason})` });
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(undefined);
    if (!wasEnded && e.by === 'remote') {
      // The assistant learns that the caller hung up; its answer has nowhere to go.
      this.d.assistant.message(this.call.info.callId, { input: { text: VGW_TEXT.hangUp }, context: this.context }).catch(() => {});
    }
    this.cleanup();
  }

  private cleanup(): void {
    this.clearPostTimer();
    this.collector?.cancel();
    this.speech.stop();
  }

  /** Any failure: failure message, then the error outcome (BYE without attributes). */
  private async fail(err: Error): Promise<void> {
    this.log.error({ err: err.message }, 'conversation failed');
    this.history.append({ who: 'system', text: `conversation failed: ${err.message}` });
    if (this.ended || this.call.state === 'ended') return;
    try {
      await Promise.race([this.say(this.cfg.failureMessage), new Promise((r) => setTimeout(r, 20_000).unref())]);
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'failure message not played');
    }
    this.ended = true;
    const sent = await this.outcomes.error().then(() => true, (e: Error) => (this.log.error({ err: e.message }, 'error outcome failed'), false));
    outcomesTotal.inc({ vendor: this.cfg.contactCenter.vendor, kind: 'error', result: sent ? 'sent' : 'failed' });
  }

  // ---- TaskHost ----

  async say(text: string): Promise<PlaybackResult> {
    const src = await this.synthesizeOrFallback(text);
    if (this.ended || !src) return { completed: false, playedMs: 0 };
    return this.play(src);
  }

  /**
   * A failed synthesis is retried once; then the fallback prompt (integration
   * ttsFallbackMessage, synthesized at start) takes its place and the skip is recorded in
   * the session history, so a TTS failure never ends the conversation.
   * @returns undefined when not even the fallback prompt can be had (nothing plays).
   */
  private async synthesizeOrFallback(text: string): Promise<Parameters<Call['play']>[0] | undefined> {
    let last: Error | undefined;
    for (let attempt = 0; attempt < 2 && !this.ended; attempt++) {
      try {
        return await this.d.tts.synthesize(text, effective(this.tts));
      } catch (err) {
        last = err as Error;
        this.log.warn({ err: last.message, attempt: attempt + 1, chars: text.length }, 'text to speech failed');
      }
    }
    if (this.ended) return undefined;
    this.log.error({ err: last?.message, chars: text.length }, 'prompt skipped; fallback prompt plays');
    ttsFallbackPrompts.inc();
    this.history.append({ who: 'system', text: `prompt skipped: text to speech failed (${last?.message ?? 'unknown'})` });
    const cached = this.d.ttsFallback?.();
    if (cached) return cached;
    try {
      return await this.d.tts.synthesize(this.cfg.ttsFallbackMessage, this.d.ttsDefaults);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'fallback prompt not available');
      return undefined;
    }
  }

  private async play(src: Parameters<Call['play']>[0]): Promise<PlaybackResult> {
    if (this.inputEndedAt > this.latencyObservedFor) {
      // Turn latency: from the caller's last voiced frame (so the VAD hangover and the
      // recognition count) or last digit, to the answer's playback start (its first packet is
      // due in the next 20 ms slot).
      this.latencyObservedFor = this.inputEndedAt;
      const speech = this.lastInputSpeech && this.lastVoicedAt > 0 && this.lastVoicedAt <= this.inputEndedAt;
      const ms = performance.now() - (speech ? this.lastVoicedAt : this.inputEndedAt);
      turnLatency.observe({ input: speech ? 'speech' : 'dtmf' }, ms / 1000);
      // recognitionMs splits it: the recognizer's own time (a decoder, or Watson) and the rest.
      this.log.info({ turnLatencyMs: Math.round(ms), input: speech ? 'speech' : 'dtmf', ...(speech && this.recognitionMs !== undefined ? { recognitionMs: Math.round(this.recognitionMs) } : {}) }, 'turn answered');
    }
    const token = ++this.playToken;
    this.playing = token;
    try {
      return await this.call.play(src);
    } finally {
      if (this.playing === token) this.playing = 0;
    }
  }

  async playPcm(pcm: Int16Array, loop: boolean): Promise<PlaybackResult | undefined> {
    if (!loop) return this.play(pcm);
    void (async () => {
      // Looped audio (hold music) plays until interrupted; bounded at 1000 rounds.
      for (let i = 0; i < 1000 && !this.ended; i++) {
        const r = await this.play(pcm).catch(() => ({ completed: false, playedMs: 0 }));
        if (!r.completed) break;
      }
    })();
    return undefined;
  }

  fetchAudio(url: string): Promise<Int16Array> {
    return fetchWav8k(url, this.d.audioCache, this.d.audioLimits);
  }

  async sendDigits(digits: string, intervalMs: number): Promise<void> {
    await this.call.sendDigits(digits, { intervalMs });
  }

  startDtmfCollection(p: DtmfCollectParams): void {
    this.collector?.cancel();
    const start = () => {
      this.collector = new DtmfCollector(p, (c) => {
        this.collector = undefined;
        if (!p.stopAfterCollection) start();
        this.deliver({ text: c.digits, isDtmf: true, vars: { dtmf_collection_succeeded: c.succeeded } });
      });
    };
    start();
  }

  setBargeIn(kind: 'dtmf' | 'speech', on: boolean): void {
    this.bargeIn[kind] = on;
  }

  setActivity(a: Activity, on: boolean): void {
    this.activity[a] = on;
    if (!on && a === 'speech_to_text_recognition') this.speech.stop();
    if (a === 'speech_to_text_recognition') this.listenToAudio();
  }

  private readonly audioListener = (f: Int16Array) => this.onAudio(f);

  /**
   * Caller audio is subscribed to only while speech can be recognized: with RTP in worker
   * threads, an unheard call's frames then never cross to this thread.
   */
  private listenToAudio(): void {
    const want = this.speech.available && this.activity.speech_to_text_recognition && !this.ended;
    const has = this.call.listeners('audio').includes(this.audioListener);
    if (want && !has) this.call.on('audio', this.audioListener);
    else if (!want && has) this.call.off('audio', this.audioListener);
  }

  configureSpeech(kind: 'tts' | 'stt', parameters: Record<string, unknown>, strategy: string | undefined): void {
    if (kind === 'tts') this.tts = applyUpdate(this.tts, parameters, strategy);
    else this.stt = applyUpdate(this.stt, parameters, strategy);
  }

  /** Speech settings in force (tests). */
  speechSettings(kind: 'tts' | 'stt'): Settings {
    return effective(kind === 'tts' ? this.tts : this.stt);
  }

  private sayQuietly = async (text: string | undefined): Promise<void> => {
    if (!text || this.call.state === 'ended') return;
    try {
      await this.say(text);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'prompt not played');
    }
  };

  /**
   * The drain deadline came (SIGTERM): stop the conversation where it is and end the call with
   * the integration's drainAction (OutcomeDispatcher.drain). No-op once the session ended
   * (an outcome of its own is already under way).
   */
  async drain(): Promise<void> {
    if (this.ended || this.call.state === 'ended') return;
    this.ended = true;
    this.history.append({ who: 'system', text: `drain: ${this.cfg.drainAction}` });
    this.cleanup();
    this.call.stopPlayback();
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(undefined);
    const r = await this.outcomes.drain(this.cfg.drainAction);
    this.history.append({ who: 'system', text: `drain ${r}` });
  }

  async sendSms(p: Record<string, unknown>): Promise<boolean> {
    const req = smsRequest(p, this.call.info, this.cfg);
    try {
      if (!req.body) throw new Error('vgwActSendSMS needs a message');
      if (!this.d.sendSms) throw new Error('no SMS provider configured');
      await this.d.sendSms(req);
      this.history.append({ who: 'system', text: 'SMS sent' });
      return true;
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'SMS not sent');
      this.inputs.push({ text: VGW_TEXT.smsFailed, isDtmf: false, vars: {} });
      return false;
    }
  }

  /** Resolves when queued history writes are done (tests). */
  async flushHistory(): Promise<void> {
    await this.history.flush();
  }
}

/** Root mean square of a frame of 16-bit samples. */
function frameRms(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
  return frame.length ? Math.sqrt(sum / frame.length) : 0;
}
