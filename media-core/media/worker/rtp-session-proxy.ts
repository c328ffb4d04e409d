/**
 * Main-thread stand-in for an {@link RtpSession} that lives in an RTP worker thread: the
 * same members and events (media-session.ts), forwarded as messages (protocol.ts).
 *
 * - play(Int16Array) sends a copy of the samples (structured clone: the caller keeps its
 *   buffer usable, e.g. a cached prompt played again); play(AsyncIterable) pulls chunks from
 *   the producer only when the worker's playback asks for them (its 1 s read-ahead).
 * - 'audio' frames cross threads only while this proxy has 'audio' listeners (subscribe on
 *   the first listener, unsubscribe after the last), in batches; digits always cross.
 * - stats are read from memory the worker shares, refreshed every 100 ms, and exactly
 *   after each play() settles and at close.
 * - 'media-error' (Error) when the worker died: the session is then closed.
 */
import { EventEmitter } from 'node:events';
import type { AudioSource, DigitEvent, PlaybackResult } from '../../call/types.ts';
import type { SendDigitsOptions } from '../dtmf.ts';
import { STATS_FIELDS, type RtpStats } from '../rtp-session.ts';
import { SRTP_MASTER_LENGTH } from '../srtp.ts';
import type { CodecUpdate, MediaSession } from './media-session.ts';
import type { FromWorker, ToWorker, WireSrtp } from './protocol.ts';

/** How a proxy reaches its worker. */
export interface WorkerLink {
  post(msg: ToWorker, transfer?: ArrayBuffer[]): void;
}

interface PendingPlay {
  resolve: (r: PlaybackResult) => void;
  iterator: AsyncIterator<Int16Array> | undefined;
}

const DTMF_CHARS = '0123456789*#ABCDabcd';
const EMPTY = new Int16Array(0);

/** Copies SDES keys for the wire (a Buffer from Node's pool would clone its whole 8 KB slab). */
export function wireSrtp(k: { localKey: Buffer; remoteKey: Buffer } | undefined): WireSrtp | undefined {
  if (!k) return undefined;
  if (k.localKey.length !== SRTP_MASTER_LENGTH || k.remoteKey.length !== SRTP_MASTER_LENGTH) {
    throw new RangeError(`SRTP master key||salt must be ${SRTP_MASTER_LENGTH} bytes`);
  }
  return { localKey: Uint8Array.from(k.localKey), remoteKey: Uint8Array.from(k.remoteKey) };
}

/** A worker-backed RTP session. Created by {@link RtpWorkerPool.open}. */
export class RtpSessionProxy extends EventEmitter implements MediaSession {
  private closed = false;
  private listening = false;
  private remoteNow: { address: string; port: number } | undefined;
  private finalStats: Float64Array | undefined;
  private playSeq = 0;
  private readonly plays = new Map<number, PendingPlay>();
  private digitSeq = 0;
  private readonly digitJobs = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  /**
   * @param id session id, unique in the pool; @param stats the worker's shared counters,
   * this session's at [slot * STATS_FIELDS].
   */
  constructor(
    readonly id: number,
    private readonly link: WorkerLink,
    readonly localPort: number,
    readonly ssrc: number,
    private readonly stats$: Float64Array,
    private readonly slot: number,
    remote: { address: string; port: number } | undefined,
  ) {
    super();
    this.remoteNow = remote && { ...remote };
    this.on('newListener', (event: string) => {
      if (event === 'audio' && !this.listening && !this.closed) {
        this.listening = true;
        this.link.post({ t: 'listen', id: this.id, on: true });
      }
    });
    this.on('removeListener', (event: string) => {
      if (event === 'audio' && this.listening && this.listenerCount('audio') === 0 && !this.closed) {
        this.listening = false;
        this.link.post({ t: 'listen', id: this.id, on: false });
      }
    });
  }

  get remote(): { address: string; port: number } | undefined {
    return this.remoteNow && { ...this.remoteNow };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get stats(): RtpStats {
    const a = this.finalStats ?? this.stats$;
    const o = this.finalStats ? 0 : this.slot * STATS_FIELDS;
    return {
      packetsSent: a[o]!, packetsReceived: a[o + 1]!, bytesSent: a[o + 2]!, bytesReceived: a[o + 3]!, bytes: a[o + 4]!,
      lost: a[o + 5]!, jitter: a[o + 6]!, jitterMs: a[o + 7]!, discarded: a[o + 8]!,
    };
  }

  setRemote(address: string, port: number): void {
    this.remoteNow = { address, port };
    if (!this.closed) this.link.post({ t: 'remote', id: this.id, address, port });
  }

  /** @throws RangeError when SRTP keys are not 30 bytes (checked here, before crossing). */
  updateCodec(opts: CodecUpdate): void {
    const srtp = wireSrtp(opts.srtp);
    if (!this.closed) this.link.post({ t: 'codec', id: this.id, codec: opts.codec, payloadType: opts.payloadType, telephoneEventPt: opts.telephoneEventPt, srtp });
  }

  play(source: AudioSource): Promise<PlaybackResult> {
    if (this.closed) return Promise.resolve({ completed: false, playedMs: 0 });
    const n = ++this.playSeq;
    const pending: PendingPlay = { resolve: () => undefined, iterator: undefined };
    const result = new Promise<PlaybackResult>((resolve) => (pending.resolve = resolve));
    this.plays.set(n, pending);
    if (source instanceof Int16Array) {
      this.link.post({ t: 'play', id: this.id, play: n, pcm: source });
    } else {
      pending.iterator = source[Symbol.asyncIterator]();
      this.link.post({ t: 'play', id: this.id, play: n });
    }
    return result;
  }

  stopPlayback(): void {
    if (!this.closed) this.link.post({ t: 'stop', id: this.id });
  }

  sendDigits(digits: string, opts: SendDigitsOptions = {}): Promise<void> {
    for (const ch of digits) {
      if (!DTMF_CHARS.includes(ch)) return Promise.reject(new Error(`not a DTMF digit: ${JSON.stringify(ch)}`));
    }
    if (this.closed || digits.length === 0) return Promise.resolve();
    const req = ++this.digitSeq;
    return new Promise<void>((resolve, reject) => {
      this.digitJobs.set(req, { resolve, reject });
      this.link.post({ t: 'digits', id: this.id, req, digits, opts: { durationMs: opts.durationMs, intervalMs: opts.intervalMs } });
    });
  }

  hold(on: boolean): void {
    if (!this.closed) this.link.post({ t: 'hold', id: this.id, on });
  }

  /** Ends everything and releases the port in the worker. Idempotent; 'close' is emitted at once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listening = false;
    this.link.post({ t: 'close', id: this.id });
    this.emit('close');
  }

  // ---- from the pool ----------------------------------------------------------------

  /** One received frame (the proxy's own copy). */
  deliverAudio(frame: Int16Array): void {
    if (!this.closed) this.emit('audio', frame);
  }

  /** A message of the worker about this session (audio excepted). */
  onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'played': {
        const p = this.plays.get(m.play);
        if (!p) return;
        this.plays.delete(m.play);
        const it = p.iterator;
        if (!m.completed && it?.return) {
          // The producer is told to stop, as in-process playback does; its errors no longer matter.
          Promise.resolve().then(() => it.return!()).catch(() => undefined);
        }
        p.resolve({ completed: m.completed, playedMs: m.playedMs });
        return;
      }
      case 'pull':
        this.pull(m.play);
        return;
      case 'digits-done': {
        const j = this.digitJobs.get(m.req);
        this.digitJobs.delete(m.req);
        if (m.error !== undefined) j?.reject(new Error(m.error));
        else j?.resolve();
        return;
      }
      case 'digit':
        this.emit('digit', m.digit satisfies DigitEvent);
        return;
      case 'latched':
        this.remoteNow = { address: m.address, port: m.port };
        this.emit('latched', { address: m.address, port: m.port });
        return;
      case 'rtp-timeout':
        if (!this.closed) this.emit('rtp-timeout');
        return;
      case 'socket-error':
        this.emit('socket-error', new Error(m.message));
        return;
      case 'playback-error':
        this.emit('playback-error', new Error(m.message));
        return;
      case 'closed':
        if (m.stats.length === STATS_FIELDS) this.finalStats = Float64Array.from(m.stats);
        this.settleAll();
        return;
      default:
    }
  }

  /** The worker thread died: settle everything, report 'media-error', close. */
  onWorkerDied(err: Error): void {
    if (!this.finalStats) this.finalStats = this.stats$.slice(this.slot * STATS_FIELDS, (this.slot + 1) * STATS_FIELDS);
    this.settleAll();
    if (this.closed) return;
    this.closed = true;
    this.listening = false;
    this.emit('media-error', err);
    this.emit('close');
  }

  private settleAll(): void {
    for (const [n, p] of this.plays) this.onMessage({ t: 'played', id: this.id, play: n, completed: false, playedMs: 0 });
    for (const j of this.digitJobs.values()) j.resolve();
    this.digitJobs.clear();
  }

  /** The worker's playback wants the next chunk of stream `n`. */
  private pull(n: number): void {
    const p = this.plays.get(n);
    const it = p?.iterator;
    if (!it) return;
    it.next().then(
      (r) => {
        if (!this.plays.has(n)) return;
        if (r.done) this.link.post({ t: 'end', id: this.id, play: n, failed: false });
        else this.link.post({ t: 'chunk', id: this.id, play: n, pcm: r.value instanceof Int16Array ? r.value : EMPTY });
      },
      (err: unknown) => {
        if (!this.plays.has(n)) return;
        this.emit('playback-error', err);
        this.link.post({ t: 'end', id: this.id, play: n, failed: true });
      },
    );
  }
}
