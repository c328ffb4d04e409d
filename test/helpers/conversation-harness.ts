/**
 * Test harness: a runtime over a config built in code, with a scripted assistant that
 * records its requests, a fake TTS that records what was said, and an optional fake STT.
 */
import { parseConfig } from '../../media-core/config/load.ts';
import type { AdapterReply, OutcomeEvent } from '../../events/outcome.ts';
import { createConversationRuntime, type ConversationRuntime, type RuntimeDeps } from '../../media-core/conversation/runtime.ts';
import type { SttProvider } from '../../media-core/conversation/speech/stt.ts';
import type { TtsProvider } from '../../media-core/conversation/speech/tts.ts';
import type { Settings } from '../../media-core/conversation/speech/update-strategy.ts';
import type { AssistantConnector, GenericResponse, TurnReply, TurnRequest } from '../../media-core/conversation/types.ts';
import { FakeCall, fakeCallInfo } from './fake-call.ts';
import type { CallInfo } from '../../media-core/call/types.ts';

export class ScriptedTestAssistant implements AssistantConnector {
  readonly kind = 'test';
  readonly requests: TurnRequest[] = [];
  fail = false;
  constructor(private readonly answer: (text: string, req: TurnRequest) => GenericResponse[] | TurnReply) {}
  async message(_id: string, req: TurnRequest): Promise<TurnReply> {
    this.requests.push(structuredClone(req));
    if (this.fail) throw new Error('assistant down');
    const a = this.answer(req.input.text, req);
    return Array.isArray(a) ? { output: { generic: a }, context: req.context } : a;
  }
  texts(): string[] {
    return this.requests.map((r) => r.input.text);
  }
}

export class RecordingTts implements TtsProvider {
  readonly name = 'fake';
  readonly said: { text: string; settings: Settings }[] = [];
  fail = false;
  /** Samples per character (8 kHz): 80 = 10 ms per character. */
  constructor(private readonly perChar = 80) {}
  async synthesize(text: string, settings: Settings): Promise<Int16Array> {
    if (this.fail) throw new Error('tts down');
    this.said.push({ text, settings });
    return new Int16Array(text.length * this.perChar).fill(1000);
  }
  texts(): string[] {
    return this.said.map((s) => s.text);
  }
}

export interface HarnessOptions {
  vendor?: Record<string, unknown>;
  integration?: Record<string, unknown>;
  stt?: SttProvider;
  deps?: RuntimeDeps;
  ttsPerChar?: number;
  /** Top-level configuration fields merged in (e.g. audioFetch). */
  config?: Record<string, unknown>;
}

export function makeRuntime(assistant: AssistantConnector, o: HarnessOptions = {}): { runtime: ConversationRuntime; tts: RecordingTts } {
  const tts = new RecordingTts(o.ttsPerChar);
  const loaded = parseConfig(
    {
      assistants: { a: { type: 'webhook', url: 'http://127.0.0.1:9/unused' } },
      speech: { s: { tts: { provider: 'espeak' }, stt: { provider: 'pocketsphinx' }, vad: { startFrames: 2, hangoverFrames: 5, prerollFrames: 2 } } },
      integrations: [
        {
          number: '+15550100001',
          assistant: 'a',
          speech: 's',
          contactCenter: o.vendor ?? { vendor: 'sip_trunk', agentUri: 'sip:agent@127.0.0.1:5090' },
          postResponseTimeoutMs: 60_000,
          ...o.integration,
        },
      ],
      ...o.config,
    },
    '/tmp',
  );
  const runtime = createConversationRuntime(loaded, {
    makeAssistant: () => assistant,
    makeTts: () => tts,
    makeStt: () => o.stt,
    ...o.deps,
  });
  return { runtime, tts };
}

/** Starts a fake call on the runtime. */
export function startCall(runtime: ConversationRuntime, info: Partial<CallInfo> = {}, speed = 50): FakeCall {
  const call = new FakeCall(fakeCallInfo(info), speed);
  runtime.onCall(call);
  return call;
}

/** A Lambda invoker stub that records events and answers with `status`. */
export function stubInvoker(status: 'applied' | 'rejected' | 'throw' = 'applied') {
  const events: { fn: string; event: OutcomeEvent; at: number }[] = [];
  const invoke = async (fn: string, event: OutcomeEvent): Promise<AdapterReply> => {
    events.push({ fn, event, at: performance.now() });
    if (status === 'throw') throw new Error('invoke failed');
    return status === 'applied'
      ? { status: 'applied', outcomeId: event.outcomeId, vendor: event.vendor, duplicate: false, attempts: 1 }
      : { status: 'rejected', outcomeId: event.outcomeId, vendor: event.vendor, reason: 'vendor_rejected', message: 'no', attempts: 1 };
  };
  return { events, invoke };
}
