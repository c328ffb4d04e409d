/**
 * IBM Watson Speech to Text over its WebSocket interface: connect to
 * {url}/v1/recognize?model=<narrowband model> with a bearer token, send
 * `{"action":"start","content-type":"audio/l16;rate=8000;endianness=little-endian",
 * "interim_results":true,...}`, then binary audio, then `{"action":"stop"}`. The service
 * answers `{"state":"listening"}`, then results `{result_index, results:[{final,
 * alternatives}]}`; the first result with `final: true` (Watson's end of phrase) resolves
 * the recognition even before our VAD ends the utterance.
 * (cloud.ibm.com/docs/speech-to-text?topic=speech-to-text-websockets)
 *
 * Parameters go where the recognize WebSocket API takes them
 * (https://cloud.ibm.com/apidocs/speech-to-text#recognize-audio-websockets): `model`,
 * `language_customization_id`, `acoustic_customization_id`, `base_model_version` and
 * `x-watson-learning-opt-out` are URL query parameters; everything else
 * (`customization_weight`, `smart_formatting`, ...) goes in the start message. A custom
 * model id in the start message is only an "Unknown arguments" warning to Watson, and the
 * model is not applied. The deprecated `customization_id` is sent as
 * `language_customization_id`.
 */
import WebSocket from 'ws';
import type { IamTokenSource } from '../iam.ts';
import type { SttResult } from '../types.ts';
import type { Recognition, SttProvider } from './stt.ts';
import type { Settings } from './update-strategy.ts';

export interface WatsonSttOptions {
  /** ws:// or wss:// base URL of the instance. */
  url: string;
  model: string;
  /** Custom language model applied unless the call's settings name another (URL parameter language_customization_id). */
  languageCustomizationId?: string;
  /** Custom acoustic model, likewise (acoustic_customization_id). */
  acousticCustomizationId?: string;
  /** customization_weight (start message), likewise. */
  customizationWeight?: number;
  iam: IamTokenSource;
  /** Called with each interim (non-final) result. */
  onInterim?: (r: SttResult) => void;
  /** Longest wait for the final result after end(), ms (default 5000). */
  finalTimeoutMs?: number;
}

/** Recognize parameters that belong in the WebSocket URL, not the start message. */
export const URL_PARAMETERS: readonly string[] = ['model', 'language_customization_id', 'acoustic_customization_id', 'base_model_version', 'x-watson-learning-opt-out'];

/** This project's settings that are not Watson parameters (./stt-pocketsphinx.ts). */
const LOCAL_SETTINGS = ['grammar_phrases', 'narrowband_recognize', 'broadband_recognize'];

/**
 * Splits STT settings (defaults merged with `narrowband_recognize`, seed configure
 * responses) into the recognize URL's query and the start message's parameters.
 */
export function recognizeParameters(settings: Settings, defaults: Settings): { query: URLSearchParams; start: Settings } {
  const nb = (settings.narrowband_recognize ?? {}) as Settings;
  const all: Settings = { ...defaults, ...settings, ...(typeof nb === 'object' && nb !== null && !Array.isArray(nb) ? nb : {}) };
  if (all.customization_id !== undefined && all.language_customization_id === undefined) all.language_customization_id = all.customization_id;
  delete all.customization_id;
  const query = new URLSearchParams({ model: String(all.model) });
  const start: Settings = {};
  for (const [k, v] of Object.entries(all)) {
    if (LOCAL_SETTINGS.includes(k) || k === 'model' || v === undefined || v === null) continue;
    if (URL_PARAMETERS.includes(k)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') query.set(k, String(v));
    } else start[k] = v;
  }
  return { query, start };
}

export class WatsonStt implements SttProvider {
  readonly name = 'watson';
  constructor(private readonly o: WatsonSttOptions) {}

  open(settings: Settings): Recognition {
    // configure responses put recognize parameters under narrowband_recognize (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions).
    const { query, start: params } = recognizeParameters(settings, {
      model: this.o.model,
      language_customization_id: this.o.languageCustomizationId,
      acoustic_customization_id: this.o.acousticCustomizationId,
      customization_weight: this.o.customizationWeight,
    });
    const queued: Buffer[] = [];
    let ws: WebSocket | undefined;
    let open = false;
    let ended = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let settle!: { resolve: (r: SttResult) => void; reject: (e: Error) => void };
    const result = new Promise<SttResult>((resolve, reject) => (settle = { resolve, reject }));
    result.catch(() => {});
    const finish = (r?: SttResult, e?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        ws?.close();
      } catch {
        /* already closed */
      }
      if (e) settle.reject(e);
      else settle.resolve(r!);
    };
    const send = (b: Buffer) => {
      if (open && ws?.readyState === WebSocket.OPEN) ws.send(b);
      else queued.push(b);
    };
    const stop = () => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ action: 'stop' }));

    this.o.iam.token().then(
      (token) => {
        if (settled) return;
        const url = `${this.o.url.replace(/\/$/, '')}/v1/recognize?${query}`;
        ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: 5000 });
        let listening = 0;
        ws.on('open', () => {
          ws!.send(JSON.stringify({ action: 'start', 'content-type': 'audio/l16;rate=8000;endianness=little-endian', interim_results: true, ...params }));
          open = true;
          for (const b of queued.splice(0)) ws!.send(b);
          if (ended) stop();
        });
        ws.on('message', (data, isBinary) => {
          if (isBinary) return;
          let msg: { state?: string; error?: string; results?: SttResult['results']; result_index?: number; warnings?: string[] };
          try {
            msg = JSON.parse(data.toString());
          } catch {
            return;
          }
          if (msg.error) return finish(undefined, new Error(`Watson STT error: ${msg.error}`));
          if (msg.state === 'listening' && ++listening >= 2) return finish({ result_index: 0, results: [] });
          if (Array.isArray(msg.results)) {
            const r: SttResult = { result_index: msg.result_index ?? 0, results: msg.results, ...(msg.warnings ? { warnings: msg.warnings } : {}) };
            if (msg.results.some((x) => x.final)) finish(r);
            else this.o.onInterim?.(r);
          }
        });
        ws.on('error', (e) => finish(undefined, new Error(`Watson STT connection failed: ${e.message}`)));
        ws.on('close', () => finish(undefined, new Error('Watson STT closed before a final result')));
      },
      (e: Error) => finish(undefined, e),
    );

    return {
      write: (f) => {
        if (!ended && !settled) send(Buffer.from(f.buffer, f.byteOffset, f.byteLength));
      },
      end: () => {
        if (ended) return;
        ended = true;
        stop();
        timer = setTimeout(() => finish(undefined, new Error('Watson STT gave no final result in time')), this.o.finalTimeoutMs ?? 5000);
      },
      abort: () => finish(undefined, new Error('recognition aborted')),
      result,
    };
  }
}
