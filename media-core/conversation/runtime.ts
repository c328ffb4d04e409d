/**
 * The conversation runtime the engine's onCall hands every inbound call to:
 * `createConversationRuntime(loaded, deps).onCall(call)` routes the call by its called
 * number (unknown -> 404), then runs a {@link ConversationSession} with the integration's
 * assistant, speech providers and contact-center vendor.
 */
import { readFileSync } from 'node:fs';
import { createLogger, type Logger } from '../../lib/log.ts';
import { redactNumber } from '../../lib/redact.ts';
import type { Store } from '../../lib/store/client.ts';
import { listNumbers, replaceNumbers } from '../../lib/store/numbers.ts';
import { newSessionHistoryKey } from '../../lib/store/session-history.ts';
import type { Call } from '../call/types.ts';
import { resolveFrom, type LoadedConfig } from '../config/load.ts';
import type { AssistantConfig, IntegrationConfig, SpeechConfig } from '../config/schema.ts';
import { LocalAssistant } from './assistants/local.ts';
import { WatsonAssistant } from './assistants/watson.ts';
import { WebhookAssistant } from './assistants/webhook.ts';
import { IamTokenSource, secretFromEnv } from './iam.ts';
import { vendorOf } from '../../adapters/registry.ts';
import { bindCallContact, ContactVerifier } from './contact.ts';
import type { OutcomeInvoker } from './lambda-invoke.ts';
import { configNumbers, createRouter } from './routing.ts';
import { ConversationSession, type SmsRequestLike } from './session.ts';
import { ByteBudgetAudioCache } from './audio-cache.ts';
import type { AudioLimits } from './audio-fetch.ts';
import { BoundedQueue } from './speech/bounded-queue.ts';
import { staticPrompts } from './speech/static-prompts.ts';
import { createDecoderPool } from './speech/stt-decoders.ts';
import { PocketsphinxStt } from './speech/stt-pocketsphinx.ts';
import type { SttDecoderPool } from './speech/stt-pool.ts';
import type { SttProvider } from './speech/stt.ts';
import { WatsonStt } from './speech/stt-watson.ts';
import { CachedTts } from './speech/tts-cache.ts';
import { BoundedTts, defaultTtsConcurrency } from './speech/tts-bounded.ts';
import { EspeakTts } from './speech/tts-espeak.ts';
import { WatsonTts } from './speech/tts-watson.ts';
import type { TtsProvider } from './speech/tts.ts';
import type { Settings } from './speech/update-strategy.ts';
import type { AssistantConnector } from './types.ts';
import { concat } from './speech/pcm.ts';

export interface RuntimeDeps {
  store?: Store;
  invoke?: OutcomeInvoker;
  sendSms?: (req: SmsRequestLike) => Promise<unknown>;
  log?: Logger;
  env?: Record<string, string | undefined>;
  /** Replace a provider (tests, benchmarks). */
  makeTts?: (speech: SpeechConfig) => TtsProvider;
  makeStt?: (speech: SpeechConfig, phrases: string[]) => SttProvider | undefined;
  makeAssistant?: (a: AssistantConfig) => AssistantConnector;
  /** Contact verification for the vendors that find a contact in the INVITE (default: from env and store). */
  contacts?: ContactVerifier;
}

export interface ConversationRuntime {
  onCall(call: Call): void;
  /** Calls in progress. */
  readonly active: number;
  /** Resolves when every call in progress has ended. */
  idle(): Promise<void>;
  /** The TTS cache of a speech settings name (benchmarks). */
  tts(name: string): CachedTts | undefined;
  /** The last sessions started (tests), newest last, at most 50. */
  readonly recent: ConversationSession[];
  /** The drain action of `call`'s integration (engine drain deadline); resolves when it is done. Never throws. */
  drain(call: Call): Promise<void>;
  /** Reads the numbers list now instead of within `numbers.cacheTtlMs` (tests, tools). Never rejects. */
  refreshNumbers(): Promise<void>;
  /**
   * Startup work, before calls arrive: starts the speech decoders, synthesizes each
   * integration's fallback prompt and the local assistants' static prompts. Failures are
   * logged (a prompt is then synthesized when first needed); resolves within `deadlineMs`.
   */
  warm(deadlineMs?: number): Promise<void>;
  /** Stops the speech decoders and refuses queued speech work (shutdown, tests). */
  close(): void;
}

/** The TTS settings a call starts with (the cache key of prompts synthesized at start). */
export function ttsDefaultsOf(speech: SpeechConfig): Settings {
  return { voice: speech.tts.voice, ...(speech.tts.provider === 'espeak' ? { rate: speech.tts.rate } : {}) };
}

/** The STT settings a call starts with: Watson's model and custom models. */
export function sttDefaultsOf(speech: SpeechConfig): Settings {
  const s = speech.stt;
  if (s.provider !== 'watson') return {};
  return {
    model: s.model,
    ...(s.languageCustomizationId ? { language_customization_id: s.languageCustomizationId } : {}),
    ...(s.acousticCustomizationId ? { acoustic_customization_id: s.acousticCustomizationId } : {}),
    ...(s.customizationWeight !== undefined ? { customization_weight: s.customizationWeight } : {}),
  };
}

export function createConversationRuntime(loaded: LoadedConfig, deps: RuntimeDeps = {}): ConversationRuntime {
  const { config, baseDir } = loaded;
  const log = deps.log ?? createLogger('conversation');
  const env = deps.env ?? process.env;
  const seed = configNumbers(config);
  const store = deps.store;
  // With a state table the numbers list lives there (every instance routes alike); the config
  // file seeds it once, for the local demo, when the table has none yet.
  const seeded = store ? replaceNumbers(store, seed, { onlyIfAbsent: true }).catch((err: Error) => log.warn({ err: err.message }, 'numbers list not seeded')) : undefined;
  const route = createRouter(config.integrations, {
    seed,
    ttlMs: config.numbers.cacheTtlMs,
    source: store
      ? async () => {
          await seeded;
          const l = await listNumbers(store);
          return l.version ? l.entries : undefined;
        }
      : undefined,
    onProblem: (message) => log.warn(message),
  });
  const audioCache = new ByteBudgetAudioCache(config.audioFetch.cacheBytes);
  const af = config.audioFetch;
  const audioLimits: AudioLimits = { maxBytes: af.maxBytes, timeoutMs: af.timeoutMs, allowLoopback: af.allowLoopback, ca: af.caFile ? readFileSync(resolveFrom(baseDir, af.caFile)) : undefined };
  const iams = new Map<string, IamTokenSource>();
  const iam = (url: string, keyEnv: string) => {
    const id = `${url}|${keyEnv}`;
    if (!iams.has(id)) iams.set(id, new IamTokenSource(url, secretFromEnv(keyEnv, env)));
    return iams.get(id)!;
  };

  const assistants = new Map<string, AssistantConnector>();
  const assistantFor = (name: string): AssistantConnector => {
    let a = assistants.get(name);
    if (a) return a;
    const c = config.assistants[name]!;
    if (deps.makeAssistant) a = deps.makeAssistant(c);
    else if (c.type === 'local') a = LocalAssistant.fromFile(resolveFrom(baseDir, c.file));
    else if (c.type === 'watson') a = new WatsonAssistant({ skill: c.skill, url: c.url, assistantId: c.assistantId, version: c.version, timeoutMs: c.timeoutMs, iam: iam(c.iamUrl, c.apiKeyEnv) });
    else a = new WebhookAssistant({ url: c.url, timeoutMs: c.timeoutMs, token: c.tokenEnv ? secretFromEnv(c.tokenEnv, env) : undefined });
    assistants.set(name, a);
    return a;
  };

  const q = config.speechQueues;
  // One synthesis queue for the process: every provider's syntheses share its bound.
  const ttsQueue = new BoundedQueue({ name: 'tts', concurrency: q.ttsConcurrency || defaultTtsConcurrency(), bound: q.ttsQueueBound, deadlineMs: q.ttsDeadlineMs });
  const ttsCaches = new Map<string, CachedTts>();
  const ttsFor = (name: string): CachedTts => {
    let t = ttsCaches.get(name);
    if (t) return t;
    const s = config.speech[name]!;
    const inner = deps.makeTts
      ? deps.makeTts(s)
      : s.tts.provider === 'espeak'
        ? new EspeakTts({ voice: s.tts.voice, rate: s.tts.rate })
        : new WatsonTts({ url: s.tts.url, voice: s.tts.voice, timeoutMs: s.tts.timeoutMs, iam: iam(s.tts.iamUrl, s.tts.apiKeyEnv) });
    t = new CachedTts(new BoundedTts(inner, ttsQueue), config.ttsCacheEntries);
    ttsCaches.set(name, t);
    return t;
  };

  // Decoder pools by acoustic model and dictionary, shared by every integration using them.
  const pools = new Map<string, SttDecoderPool>();
  const poolFor = (hmm: string, dict: string): SttDecoderPool => {
    const id = `${hmm}|${dict}`;
    let p = pools.get(id);
    if (!p) {
      p = createDecoderPool({
        hmm,
        dict,
        name: pools.size === 0 ? 'stt' : `stt-${pools.size + 1}`,
        size: q.sttDecoders,
        queueBound: q.sttQueueBound,
        deadlineMs: q.sttDeadlineMs,
        onWorkerError: (err) => log.error({ err: err.message }, 'speech decoder failed; the utterance gets a no-match turn'),
      });
      pools.set(id, p);
    }
    return p;
  };
  const sttProviders = new Map<string, SttProvider | undefined>();
  const sttFor = (i: IntegrationConfig): SttProvider | undefined => {
    const id = `${i.speech}|${i.assistant}`;
    if (sttProviders.has(id)) return sttProviders.get(id);
    const s = config.speech[i.speech]!;
    const a = assistantFor(i.assistant);
    const phrases = a instanceof LocalAssistant ? a.phrases() : [];
    const p = deps.makeStt
      ? deps.makeStt(s, phrases)
      : s.stt.provider === 'pocketsphinx'
        ? new PocketsphinxStt({ hmm: s.stt.hmm, dict: s.stt.dict, phrases, snapThreshold: s.stt.snapThreshold, minCoverage: s.stt.minCoverage, vadPaddingMs: (s.vad.prerollFrames + s.vad.hangoverFrames) * 20, pool: poolFor(s.stt.hmm, s.stt.dict) })
        : new WatsonStt({
            url: s.stt.url,
            model: s.stt.model,
            languageCustomizationId: s.stt.languageCustomizationId,
            acousticCustomizationId: s.stt.acousticCustomizationId,
            customizationWeight: s.stt.customizationWeight,
            iam: iam(s.stt.iamUrl, s.stt.apiKeyEnv),
          });
    sttProviders.set(id, p);
    return p;
  };

  // Build every integration's providers now, so a broken config fails at start, not on a call.
  for (const i of config.integrations) {
    assistantFor(i.assistant);
    ttsFor(i.speech);
    sttFor(i);
  }

  const contacts = deps.contacts ?? new ContactVerifier({ store: deps.store, env, log });
  // Fallback prompt audio by integration number, synthesized by warm().
  const fallbacks = new Map<string, Int16Array>();
  const drain = async (src: Awaited<ReturnType<TtsProvider['synthesize']>>): Promise<Int16Array> => {
    if (src instanceof Int16Array) return src;
    const parts: Int16Array[] = [];
    for await (const c of src) parts.push(c);
    return concat(parts);
  };
  const warm = async (): Promise<void> => {
    const jobs: Promise<unknown>[] = [];
    for (const p of pools.values()) jobs.push(p.start().catch((err: Error) => log.error({ err: err.message }, 'speech decoders not started; they start on first use')));
    for (const i of config.integrations) {
      const speech = config.speech[i.speech]!;
      const tts = ttsFor(i.speech);
      const settings = ttsDefaultsOf(speech);
      jobs.push(
        tts
          .synthesize(i.ttsFallbackMessage, settings)
          .then(drain)
          .then((pcm) => fallbacks.set(i.number, pcm))
          .catch((err: Error) => log.error({ err: err.message, number: i.number }, 'fallback prompt not synthesized at start')),
      );
      const a = assistantFor(i.assistant);
      if (a instanceof LocalAssistant) {
        for (const text of staticPrompts(a.script)) jobs.push(tts.synthesize(text, settings).then(drain).catch((err: Error) => log.warn({ err: err.message }, 'static prompt not synthesized at start')));
      }
    }
    await Promise.all(jobs);
  };

  let active = 0;
  let idleWaiters: (() => void)[] = [];
  const recent: ConversationSession[] = [];
  // Sessions running, by their call (the drain action needs the session of an engine call); bounded by admitted calls.
  const running = new Map<Call, ConversationSession>();

  return {
    get active() {
      return active;
    },
    recent,
    refreshNumbers: () => route.refresh(),
    tts: (name) => ttsCaches.get(name),
    warm: (deadlineMs = 60_000) => Promise.race([warm(), new Promise<void>((r) => setTimeout(r, deadlineMs).unref())]),
    close() {
      ttsQueue.close();
      for (const p of pools.values()) p.close();
    },
    idle: () => (active === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r))),
    drain: async (call: Call) => {
      await running.get(call)?.drain().catch((err: Error) => log.error({ callId: call.info.callId, err: err.message }, 'drain action failed'));
    },
    onCall(call: Call) {
      if (!route.stale) return admit(call);
      // The numbers list is older than its TTL: this call waits for one read (at most
      // readTimeoutMs) and counts as active meanwhile, so idle() and drain wait for it too.
      active++;
      void route.refresh().then(() => {
        try {
          admit(call);
        } finally {
          ended();
        }
      });
    },
  };

  function ended(): void {
    active--;
    if (active === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  }

  function admit(call: Call): void {
    const integration = route(call.info.calledUser);
    const clog = log.child({ callId: call.info.callId });
    if (!integration) {
      clog.info({ called: redactNumber(call.info.calledUser) }, 'no integration for the called number; 404');
      call.reject(404, 'Not Found');
      return;
    }
    if (vendorOf(integration.contactCenter.vendor).findContact) {
      // The contact is decided (token verified, bound) before the call is answered; a call
      // without a verifiable contact is refused, so the flow or script takes its error path.
      // Counted as active meanwhile, so idle() and drain wait for the decision.
      active++;
      void contacts.verify(call.info, integration.contactCenter).then((d) => {
        if (d.ok) {
          bindCallContact(call, d.contact);
          startSession(call, integration, clog);
        } else call.reject(403, 'Forbidden');
        ended();
      });
      return;
    }
    startSession(call, integration, clog);
  }

  function startSession(call: Call, integration: IntegrationConfig, clog: Logger): void {
    const speech = config.speech[integration.speech]!;
    const session = new ConversationSession({
      call,
      integration,
      assistant: assistantFor(integration.assistant),
      tts: ttsFor(integration.speech),
      ttsDefaults: ttsDefaultsOf(speech),
      ttsFallback: () => fallbacks.get(integration.number),
      stt: sttFor(integration),
      sttDefaults: sttDefaultsOf(speech),
      vad: speech.vad,
      sessionHistoryKey: newSessionHistoryKey(),
      store: deps.store,
      invoke: deps.invoke,
      sendSms: deps.sendSms,
      audioCache,
      audioLimits,
      log: clog,
    });
    recent.push(session);
    if (recent.length > 50) recent.shift();
    active++;
    running.set(call, session);
    clog.info({ called: integration.number, caller: redactNumber(call.info.callerUser), vendor: integration.contactCenter.vendor }, 'call');
    void session.run().finally(() => {
      running.delete(call);
      ended();
    });
  }
}
