/**
 * Messages between the main thread (RtpWorkerPool / RtpSessionProxy) and an RTP worker
 * thread (rtp-worker.ts), sent with postMessage (structured clone). `id` names a session,
 * unique across the pool; `play` names one playback of that session; `req` one request.
 */
import type { DigitEvent } from '../../call/types.ts';
import type { G711Codec } from '../g711.ts';
import type { SendDigitsOptions } from '../dtmf.ts';
import type { TickDeviationStats } from '../scheduler.ts';

/** Data given to a worker at start (workerData). */
export interface WorkerInit {
  /** Worker index in the pool (logs). */
  index: number;
  /** Address RTP sockets bind to. */
  address: string;
  /** This worker's share of the RTP port range (inclusive, even ports used). */
  portMin: number;
  portMax: number;
  /** Shared Float64Array memory: STATS_FIELDS numbers per slot, one slot per open session. */
  stats: SharedArrayBuffer;
  /** Scheduler spinMs (see SchedulerOptions). */
  spinMs: number;
  /** Nice value for this thread (Linux: per thread; below 0 needs CAP_SYS_NICE); undefined = inherit. */
  nice?: number;
  /** Flush received audio to the main thread at most this long after the first frame, ms. */
  audioBatchMs: number;
}

/** SRTP keys as plain bytes (a Buffer arrives as a Uint8Array). */
export interface WireSrtp {
  localKey: Uint8Array;
  remoteKey: Uint8Array;
}

export interface WireCodec {
  codec: G711Codec;
  payloadType: number;
  telephoneEventPt?: number;
  srtp?: WireSrtp;
}

/** Main thread to worker. */
export type ToWorker =
  | { t: 'open'; id: number; codec: G711Codec; payloadType: number; telephoneEventPt?: number; remote?: { address: string; port: number }; srtp?: WireSrtp; rtpTimeoutMs?: number; relatchAfterMs?: number }
  | { t: 'remote'; id: number; address: string; port: number }
  | ({ t: 'codec'; id: number } & WireCodec)
  /** pcm: a whole buffer; absent: a stream whose chunks come as 'chunk'/'end' answers to 'pull'. */
  | { t: 'play'; id: number; play: number; pcm?: Int16Array }
  | { t: 'chunk'; id: number; play: number; pcm: Int16Array }
  | { t: 'end'; id: number; play: number; failed: boolean }
  | { t: 'stop'; id: number }
  | { t: 'digits'; id: number; req: number; digits: string; opts: SendDigitsOptions }
  | { t: 'hold'; id: number; on: boolean }
  | { t: 'listen'; id: number; on: boolean }
  | { t: 'close'; id: number }
  | { t: 'pacing'; req: number }
  | { t: 'reset-pacing' }
  /** The buffers of an 'audio' batch, handed back for reuse (transferred). */
  | { t: 'recycle'; ids: Uint32Array; pcm: Int16Array };

/** Worker to main thread. */
export type FromWorker =
  /** The worker finished loading and listens; niceError when `nice` could not be applied. */
  | { t: 'ready'; niceError?: string }
  | { t: 'opened'; id: number; port: number; ssrc: number; slot: number }
  | { t: 'open-failed'; id: number; name: string; message: string; min?: number; max?: number; address?: string }
  | { t: 'played'; id: number; play: number; completed: boolean; playedMs: number }
  | { t: 'pull'; id: number; play: number }
  | { t: 'digits-done'; id: number; req: number; error?: string }
  | { t: 'digit'; id: number; digit: DigitEvent }
  | { t: 'latched'; id: number; address: string; port: number }
  | { t: 'rtp-timeout'; id: number }
  | { t: 'socket-error'; id: number; message: string }
  | { t: 'playback-error'; id: number; message: string }
  /** Final counters (STATS_FIELDS numbers, empty when the session never opened). */
  | { t: 'closed'; id: number; stats: number[] }
  /** Received audio of listened sessions: frame i (160 samples at pcm[160 i]) belongs to ids[i]. */
  | { t: 'audio'; ids: Uint32Array; pcm: Int16Array; count: number }
  | { t: 'pacing'; req: number; stats: TickDeviationStats; sessions: number };
