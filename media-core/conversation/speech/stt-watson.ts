/**
 * IBM Watson Speech to Text over its WebSocket interface: connect to
 * {url}/v1/recognize?model=<narrowband model> with a bearer token, send
 * `{"action":"start","content-type":"audio/l16;rate=8000;endianness=little-endian",
 * "interim_results":true,...}`, then binary audio, then `{"action":"stop"}`. The service
 * answers `{"state":"listening"}`, then results `{result_index, results:[{final,
 * alternatives}]}`; the first result with `final: true` (Watson's end of phrase) resolves
 * the recognition even before our VAD ends the utterance.
 * (cloud.ibm.com/docs/speech-to-text?topic=speech-to-text-websockets)
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
  iam: IamTokenSource;
  /** Called with each interim (non-final) result. */
  onInterim?: (r: SttResult) => void;
  /** Longest wait for the final result after end(), ms (default 5000). */
  finalTimeoutMs?: number;
}

export class WatsonStt implements SttProvider {
  readonly name = 'watson';
  constructor(private readonly o: WatsonSttOptions) {}

  open(settings: Settings): Recognition {
    // configure responses put recognize parameters under narrowband_recognize (seed 004 table 1).
    const nb = (settings.narrowband_recognize ?? {}) as Settings;
    const { model = this.o.model, ...params } = { ...settings, ...nb } as Settings & { model?: string };
    delete (params as Settings).narrowband_recognize;
    delete (params as Settings).broadband_recognize;
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
        const url = `${this.o.url.replace(/\/$/, '')}/v1/recognize?model=${encodeURIComponent(String(model))}`;
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
