/**
 * IBM Watson speech emulation for local runs and tests: Speech to Text over its WebSocket
 * recognize API, Text to Speech synthesize, and the IAM token endpoint both need. Strict
 * about what the documented API requires, lenient where Watson is (unknown start-message
 * arguments are warned about, as Watson does, not refused).
 *
 * - POST /identity/token  (https://cloud.ibm.com/docs/account?topic=account-iamtoken_from_apikey)
 *   form grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=<the configured fake key>
 *   -> {access_token, token_type, expires_in, expiration}; a wrong key -> 400 BXNIM0415E.
 * - WebSocket /speech-to-text/v1/recognize?model=..&language_customization_id=..&acoustic_customization_id=..
 *   (https://cloud.ibm.com/apidocs/speech-to-text#recognize-audio-websockets), bearer token in
 *   the Authorization header or `access_token` query parameter. Text message
 *   `{"action":"start","content-type":"audio/l16;rate=8000",...}` -> `{"state":"listening"}`;
 *   binary audio; interim results (`interim_results: true`) every 250 ms of audio with a
 *   growing prefix of the transcript; `{"action":"stop"}` -> after `latencyMs` the final
 *   result `{result_index, results:[{final:true, alternatives:[{transcript, confidence}]}]}`,
 *   then `{"state":"listening"}` again. Unknown or unknown-customization URL parameters refuse
 *   the handshake (400); customization ids in the start message are "Unknown arguments"
 *   (a warning in the result, and the custom model is not applied).
 * - POST /text-to-speech/v1/synthesize?voice=..  (https://cloud.ibm.com/apidocs/text-to-speech#synthesize)
 *   JSON {text}; Accept audio/mulaw;rate=8000, audio/l16;rate=8000 or audio/wav -> a
 *   speech-like signal (about 60 ms per character) streamed in 100 ms chunks after
 *   `ttsLatencyMs`; unknown voice 404, empty text 400, text over 5 KB 413.
 * - GET /_sandbox/watson/sessions (recorded recognize sessions); POST /_sandbox/watson
 *   {transcript?, latencyMs?, ttsLatencyMs?} changes the canned behaviour.
 *
 * The canned transcript is the default, or the one configured for the language
 * customization applied, so a test can see a custom model take effect end to end.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import alawmulaw from 'alawmulaw';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseJson, sendJson } from './http.ts';
import { wavHeader } from '../../media-core/conversation/speech/pcm.ts';

export interface WatsonEmulatorOptions {
  /** The fake API key IAM accepts (SANDBOX_WATSON_APIKEY; generated when unset). */
  apiKey: string;
  /** Final transcript of every recognition (default "what are your opening hours"). */
  transcript?: string;
  /** From stop to the final result, ms (default 100). */
  latencyMs?: number;
  /** From request to the first synthesized audio, ms (default 50). */
  ttsLatencyMs?: number;
  /** Custom language models that exist, with the transcript each one yields. */
  languageCustomizations?: Record<string, string>;
  /** Custom acoustic models that exist. */
  acousticCustomizations?: string[];
  /** Recognize sessions open at once (default 5000); beyond, the handshake gets 503. */
  maxSessions?: number;
  /** Closes a session with no audio for this long, ms (Watson: 30 s). */
  inactivityMs?: number;
}

/** What one recognize session received and answered. */
export interface RecognizeSession {
  /** URL query parameters (access_token left out). */
  query: Record<string, string>;
  start?: Record<string, unknown>;
  audioBytes: number;
  warnings: string[];
  /** Custom models applied (from the URL). */
  applied: { language?: string; acoustic?: string };
  finalTranscript?: string;
  stopped: boolean;
  error?: string;
}

export interface WatsonEmulator {
  /** HTTP routes; false when the path is not Watson's. */
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<boolean>;
  /** WebSocket upgrade of /speech-to-text/v1/recognize; false when not Watson's path. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  sessions(): RecognizeSession[];
  configure(c: { transcript?: string; latencyMs?: number; ttsLatencyMs?: number }): void;
  reset(): void;
  close(): void;
}

/** SANDBOX_WATSON_APIKEY, SANDBOX_WATSON_TRANSCRIPT, SANDBOX_WATSON_LATENCY_MS, SANDBOX_WATSON_LANGUAGE_CUSTOMIZATIONS (id=transcript;...), SANDBOX_WATSON_ACOUSTIC_CUSTOMIZATIONS (id,id). */
export function watsonOptionsFromEnv(env: Record<string, string | undefined> = process.env): WatsonEmulatorOptions {
  const num = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : undefined);
  const lang: Record<string, string> = {};
  for (const pair of (env.SANDBOX_WATSON_LANGUAGE_CUSTOMIZATIONS ?? '').split(';').filter(Boolean)) {
    const [id, t] = pair.split('=');
    if (id) lang[id.trim()] = (t ?? '').trim();
  }
  return {
    apiKey: env.SANDBOX_WATSON_APIKEY || `local-fake-watson-${randomBytes(12).toString('hex')}`,
    transcript: env.SANDBOX_WATSON_TRANSCRIPT || undefined,
    latencyMs: num(env.SANDBOX_WATSON_LATENCY_MS),
    languageCustomizations: lang,
    acousticCustomizations: (env.SANDBOX_WATSON_ACOUSTIC_CUSTOMIZATIONS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  };
}

const STT_MODELS = new Set(['en-US_NarrowbandModel', 'en-US_BroadbandModel', 'en-US_Telephony', 'en-US_Multimedia', 'en-GB_NarrowbandModel', 'en-GB_Telephony', 'es-ES_NarrowbandModel', 'es-ES_Telephony', 'fr-FR_NarrowbandModel', 'fr-FR_Telephony', 'de-DE_NarrowbandModel', 'de-DE_Telephony']);
const URL_PARAMS = new Set(['access_token', 'model', 'language_customization_id', 'acoustic_customization_id', 'base_model_version', 'customization_id', 'x-watson-learning-opt-out', 'x-watson-metadata']);
const START_PARAMS = new Set([
  'action', 'content-type', 'customization_weight', 'inactivity_timeout', 'interim_results', 'keywords', 'keywords_threshold', 'max_alternatives',
  'word_alternatives_threshold', 'word_confidence', 'timestamps', 'profanity_filter', 'smart_formatting', 'smart_formatting_version', 'speaker_labels',
  'grammar_name', 'redaction', 'processing_metrics', 'processing_metrics_interval', 'audio_metrics', 'end_of_phrase_silence_time',
  'split_transcript_at_phrase_end', 'speech_detector_sensitivity', 'background_audio_suppression', 'low_latency', 'character_insertion_bias',
]);
const TTS_VOICES = new Set(['en-US_AllisonV3Voice', 'en-US_MichaelV3Voice', 'en-US_LisaV3Voice', 'en-US_EmilyV3Voice', 'en-US_HenryV3Voice', 'en-US_KevinV3Voice', 'en-US_OliviaV3Voice', 'en-GB_KateV3Voice', 'en-GB_JamesV3Voice', 'es-ES_EnriqueV3Voice', 'es-ES_LauraV3Voice', 'fr-FR_ReneeV3Voice', 'de-DE_BirgitV3Voice']);
const MAX_AUDIO_BYTES = 20 * 1024 * 1024;
const MAX_TEXT_BYTES = 5 * 1024;
const MAX_TOKENS = 10_000;
const MAX_SESSIONS_KEPT = 2000;

/** Bytes per second of a recognize content-type, or undefined when unsupported. */
function audioRate(contentType: unknown): number | undefined {
  if (typeof contentType !== 'string') return undefined;
  const [type, ...params] = contentType.split(';').map((s) => s.trim().toLowerCase());
  const rate = Number(params.find((p) => p.startsWith('rate='))?.slice(5));
  if (type === 'audio/l16') return Number.isInteger(rate) && rate >= 8000 && rate <= 48000 ? rate * 2 : undefined;
  if (type === 'audio/mulaw' || type === 'audio/basic') return Number.isInteger(rate) && rate > 0 ? rate : 8000;
  return undefined;
}

/** A speech-like test signal: voiced bursts per character, silence at spaces (8 kHz PCM). */
export function syntheticSpeech(text: string): Int16Array {
  const per = 480; // 60 ms a character
  const out = new Int16Array(Math.max(1, text.length) * per);
  for (let c = 0; c < text.length; c++) {
    if (text[c] === ' ') continue;
    const f = 140 + (text.charCodeAt(c) % 20) * 8;
    for (let i = 0; i < per; i++) {
      const env = Math.sin((Math.PI * i) / per);
      const t = (c * per + i) / 8000;
      out[c * per + i] = Math.round(6000 * env * (Math.sin(2 * Math.PI * f * t) + 0.5 * Math.sin(4 * Math.PI * f * t)));
    }
  }
  return out;
}


export function createWatsonEmulator(o: WatsonEmulatorOptions): WatsonEmulator {
  let transcript = o.transcript ?? 'what are your opening hours';
  let latencyMs = o.latencyMs ?? 100;
  let ttsLatencyMs = o.ttsLatencyMs ?? 50;
  const tokens = new Set<string>();
  let sessions: RecognizeSession[] = [];
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const maxSessions = o.maxSessions ?? 5000;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };

  const bearer = (req: IncomingMessage, query?: URLSearchParams): string | undefined => {
    const h = req.headers.authorization;
    if (h?.startsWith('Bearer ')) return h.slice(7);
    return query?.get('access_token') ?? undefined;
  };
  const authorized = (token: string | undefined) => token !== undefined && tokens.has(token);

  function iamToken(res: ServerResponse, body: Buffer, req: IncomingMessage): void {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return sendJson(res, 400, { errorCode: 'BXNIM0109E', errorMessage: 'Property missing or empty. Operation not supported, content-type must be application/x-www-form-urlencoded' });
    }
    const form = new URLSearchParams(body.toString('utf8'));
    if (form.get('grant_type') !== 'urn:ibm:params:oauth:grant-type:apikey') return sendJson(res, 400, { errorCode: 'BXNIM0109E', errorMessage: 'Property missing or empty. Operation not supported, grant_type' });
    if (form.get('apikey') !== o.apiKey) return sendJson(res, 400, { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found.' });
    const token = `fake-iam-${randomBytes(18).toString('base64url')}`;
    if (tokens.size >= MAX_TOKENS) tokens.delete(tokens.values().next().value as string);
    tokens.add(token);
    const now = Math.floor(Date.now() / 1000);
    sendJson(res, 200, { access_token: token, refresh_token: 'not_supported', token_type: 'Bearer', expires_in: 3600, expiration: now + 3600, scope: 'ibm openid' });
  }

  async function synthesize(req: IncomingMessage, res: ServerResponse, body: Buffer, url: URL): Promise<void> {
    if (!authorized(bearer(req))) return sendJson(res, 401, { code: 401, error: 'Unauthorized' });
    const voice = url.searchParams.get('voice') ?? 'en-US_MichaelV3Voice';
    if (!TTS_VOICES.has(voice)) return sendJson(res, 404, { code: 404, error: `Model '${voice}' not found`, code_description: 'Not Found' });
    const json = parseJson(body) as { text?: unknown } | undefined;
    const text = req.method === 'GET' ? url.searchParams.get('text') : typeof json?.text === 'string' ? json.text : undefined;
    if (!text) return sendJson(res, 400, { code: 400, error: 'No text specified', code_description: 'Bad Request' });
    if (Buffer.byteLength(text) > MAX_TEXT_BYTES) return sendJson(res, 413, { code: 413, error: 'Text exceeds 5 KB', code_description: 'Payload Too Large' });
    const accept = String(req.headers.accept ?? url.searchParams.get('accept') ?? 'audio/ogg;codecs=opus').toLowerCase().replace(/\s/g, '');
    const pcm = syntheticSpeech(text.replace(/<[^>]{0,200}>/g, ''));
    let encode: (x: Int16Array) => Buffer;
    let type: string;
    let header: Buffer | undefined;
    if (accept.startsWith('audio/mulaw')) {
      if (!accept.includes('rate=8000')) return sendJson(res, 400, { code: 400, error: 'audio/mulaw requires rate=8000 here', code_description: 'Bad Request' });
      encode = (x) => Buffer.from(alawmulaw.mulaw.encode(x));
      type = 'audio/mulaw;rate=8000';
    } else if (accept.startsWith('audio/l16') || accept.startsWith('audio/wav')) {
      encode = (x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
      type = accept.startsWith('audio/wav') ? 'audio/wav' : 'audio/l16;rate=8000';
      if (type === 'audio/wav') header = wavHeader(pcm.length * 2, 8000);
    } else return sendJson(res, 406, { code: 406, error: `Unsupported Accept ${accept} (emulated: audio/mulaw;rate=8000, audio/l16;rate=8000, audio/wav)`, code_description: 'Not Acceptable' });
    await new Promise((r) => later(ttsLatencyMs, () => r(undefined)));
    res.writeHead(200, { 'content-type': type, 'transfer-encoding': 'chunked' });
    if (header) res.write(header);
    const chunk = 800;
    let i = 0;
    const next = () => {
      if (res.destroyed) return;
      if (i >= pcm.length) return void res.end();
      res.write(encode(pcm.subarray(i, i + chunk)));
      i += chunk;
      // Streamed faster than real time, as Watson does.
      later(20, next);
    };
    next();
  }

  function recognize(ws: WebSocket, s: RecognizeSession): void {
    let bytesPerSecond = 0;
    let nextInterim = 0;
    let idle: NodeJS.Timeout | undefined;
    const send = (m: unknown) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(m));
    const fail = (error: string) => {
      s.error = error;
      send({ error });
      ws.close(1011);
    };
    // One timer per session, pushed back by each message (refresh() reuses it).
    const armIdle = () => {
      if (idle) idle.refresh();
      else idle = setTimeout(() => fail(`Session timed out due to inactivity after ${Math.round((o.inactivityMs ?? 30_000) / 1000)} seconds.`), o.inactivityMs ?? 30_000);
    };
    const words = () => (s.applied.language && o.languageCustomizations?.[s.applied.language]) || transcript;
    armIdle();
    ws.on('close', () => clearTimeout(idle));
    // A malformed frame from a client must end that session only, never the sandbox.
    ws.on('error', (e) => {
      s.error = e.message;
      ws.terminate();
    });
    ws.on('message', (data, isBinary) => {
      armIdle();
      if (isBinary) {
        if (!s.start || s.stopped) return fail('Audio received before a start message');
        s.audioBytes += (data as Buffer).length;
        if (s.audioBytes > MAX_AUDIO_BYTES) return fail('Audio exceeds the size limit');
        const w = words().split(' ');
        if (s.start.interim_results === true && s.audioBytes >= nextInterim) {
          nextInterim += bytesPerSecond / 4;
          const n = Math.min(w.length, Math.max(1, Math.floor(s.audioBytes / (bytesPerSecond / 2))));
          send({ result_index: 0, results: [{ final: false, alternatives: [{ transcript: `${w.slice(0, n).join(' ')} ` }] }] });
        }
        return;
      }
      const m = parseJson(data as Buffer) as Record<string, unknown> | undefined;
      if (!m || typeof m.action !== 'string') return fail('Invalid JSON: a text message must be {"action": ...}');
      if (m.action === 'start') {
        const rate = audioRate(m['content-type']);
        if (!rate) return fail(`Unsupported or missing content-type "${String(m['content-type'] ?? '')}" (emulated: audio/l16;rate=N, audio/mulaw;rate=8000)`);
        bytesPerSecond = rate;
        nextInterim = rate / 4;
        s.start = m;
        s.stopped = false;
        const unknown = Object.keys(m).filter((k) => !START_PARAMS.has(k));
        if (unknown.length) s.warnings.push(`Unknown arguments: ${unknown.join(', ')}.`);
        return void send({ state: 'listening' });
      }
      if (m.action === 'stop') {
        if (!s.start) return fail('stop before start');
        s.stopped = true;
        const finalText = s.audioBytes > 0 ? words() : '';
        later(latencyMs, () => {
          if (finalText) {
            s.finalTranscript = finalText;
            send({ result_index: 0, ...(s.warnings.length ? { warnings: s.warnings } : {}), results: [{ final: true, alternatives: [{ transcript: `${finalText} `, confidence: 0.92 }] }] });
          }
          send({ state: 'listening' });
        });
        return;
      }
      fail(`Unknown action "${m.action}"`);
    });
  }

  const emulator: WatsonEmulator = {
    async handle(req, res, body) {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const path = url.pathname;
      if (req.method === 'POST' && path === '/identity/token') return iamToken(res, body, req), true;
      if ((req.method === 'POST' || req.method === 'GET') && path === '/text-to-speech/v1/synthesize') return await synthesize(req, res, body, url), true;
      if (req.method === 'GET' && path === '/_sandbox/watson/sessions') return sendJson(res, 200, sessions), true;
      if (req.method === 'POST' && path === '/_sandbox/watson') {
        const c = parseJson(body) as Record<string, unknown> | undefined;
        const ok = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 30_000);
        if (!c || (c.transcript !== undefined && typeof c.transcript !== 'string') || !ok(c.latencyMs) || !ok(c.ttsLatencyMs)) {
          return sendJson(res, 400, { error: 'expected {transcript?: string, latencyMs?: 0-30000, ttsLatencyMs?: 0-30000}' }), true;
        }
        emulator.configure(c as { transcript?: string; latencyMs?: number; ttsLatencyMs?: number });
        return sendJson(res, 200, { transcript, latencyMs, ttsLatencyMs }), true;
      }
      return false;
    },
    upgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      if (url.pathname !== '/speech-to-text/v1/recognize') return false;
      const refuse = (status: number, error: string) => {
        const body = JSON.stringify({ code: status, error });
        socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 503 ? 'Service Unavailable' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return true;
      };
      if (!authorized(bearer(req, url.searchParams))) return refuse(401, 'Unauthorized');
      if (wss.clients.size >= maxSessions) return refuse(503, 'Too many sessions');
      const unknown = [...url.searchParams.keys()].filter((k) => !URL_PARAMS.has(k));
      if (unknown.length) return refuse(400, `Unknown query parameters: ${unknown.join(', ')}`);
      const model = url.searchParams.get('model') ?? 'en-US_BroadbandModel';
      if (!STT_MODELS.has(model)) return refuse(400, `Model ${model} not found`);
      const lang = url.searchParams.get('language_customization_id') ?? url.searchParams.get('customization_id') ?? undefined;
      const acoustic = url.searchParams.get('acoustic_customization_id') ?? undefined;
      if (lang !== undefined && !(lang in (o.languageCustomizations ?? {}))) return refuse(400, `Invalid value for language_customization_id: ${lang} not found`);
      if (acoustic !== undefined && !(o.acousticCustomizations ?? []).includes(acoustic)) return refuse(400, `Invalid value for acoustic_customization_id: ${acoustic} not found`);
      const query = Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'access_token'));
      const s: RecognizeSession = { query, audioBytes: 0, warnings: [], applied: { ...(lang ? { language: lang } : {}), ...(acoustic ? { acoustic } : {}) }, stopped: false };
      if (sessions.length >= MAX_SESSIONS_KEPT) sessions.shift();
      sessions.push(s);
      wss.handleUpgrade(req, socket, head, (ws) => recognize(ws, s));
      return true;
    },
    sessions: () => sessions.map((s) => structuredClone(s)),
    configure(c) {
      if (c.transcript !== undefined) transcript = c.transcript;
      if (c.latencyMs !== undefined) latencyMs = c.latencyMs;
      if (c.ttsLatencyMs !== undefined) ttsLatencyMs = c.ttsLatencyMs;
    },
    reset() {
      // Issued tokens stay valid (a running media core caches its token for an hour).
      sessions = [];
      transcript = o.transcript ?? 'what are your opening hours';
      latencyMs = o.latencyMs ?? 100;
      ttsLatencyMs = o.ttsLatencyMs ?? 50;
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
  return emulator;
}
