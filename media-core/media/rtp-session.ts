/**
 * One call's RTP stream (RFC 3550) over G.711 with RFC 4733 DTMF, optional SRTP (RFC 3711),
 * symmetric RTP latching (RFC 4961 style) and pacing by the shared {@link Scheduler}.
 *
 * Sending policy: packets are sent only while something plays (audio, or digits); while
 * idle nothing is sent (no comfort noise). The RTP timestamp is derived from the
 * scheduler's wall-clock slot, so it keeps advancing by 160 per 20 ms across silence, and
 * the first audio packet after a gap carries the marker bit (RFC 3551 section 4.1).
 *
 * Events:
 * - 'audio' (frame: Int16Array) 160 samples (20 ms, 8 kHz) decoded; a new array per frame
 *   (a view of a shared slab: see frame-slab.ts), which listeners may keep.
 * - 'digit' (DigitEvent) from RFC 4733 packets, or from in-band tones (Goertzel) when no
 *   telephone-event payload type was negotiated.
 * - 'latched' ({address, port}) when symmetric RTP switched the destination to the source
 *   of the received packets.
 * - 'rtp-timeout' () when no valid packet arrived for rtpTimeoutMs (once per silence).
 * - 'socket-error' (Error) when the UDP socket reports an error (the call continues).
 * - 'playback-error' (unknown) when a streaming source threw (its play() resolves completed=false).
 * - 'close' () once, from close().
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AudioSource, DigitEvent, PlaybackResult } from '../call/types.ts';
import { Playback } from './playback.ts';
import { ReceiveStats } from './receive-stats.ts';
import { decodeG711, encodeG711, type G711Codec } from './g711.ts';
import { emptyRtpHeader, parseRtpHeader, RTP_HEADER_LENGTH, writeRtpHeader } from './rtp-packet.ts';
import { SrtpContext, SRTP_AUTH_TAG_LENGTH } from './srtp.ts';
import { DtmfReceiver, DtmfSender, DtmfStep, TELEPHONE_EVENT_LENGTH, type SendDigitsOptions } from './dtmf.ts';
import { GoertzelDtmfDetector } from './goertzel.ts';
import { audioFrames } from './frame-slab.ts';
import { synthesizeDtmf } from './dtmf-tone.ts';
import type { PacedSender, Scheduler } from './scheduler.ts';
import type { PortPool } from './port-pool.ts';
import type { RtpRemoteInfo, RtpSocket } from './rtp-socket.ts';

/** Samples per 20 ms frame at 8000 Hz. */
const FRAME = 160;
/** Send buffers rotate so a datagram still queued in the kernel path is never overwritten. */
const SEND_BUFFERS = 4;
const SEND_BUFFER_SIZE = RTP_HEADER_LENGTH + FRAME + SRTP_AUTH_TAG_LENGTH + 18;
/** Recent sends remembered for withdrawing queued ones (a power of two; covers leads up to 300 ms). */
const SENT_HISTORY = 16;
/** Packets this close to due are left to go: the pacer thread may be taking them, ms. */
const WITHDRAW_MARGIN_MS = 2;

/** Options of {@link RtpSession.open}. */
export interface RtpSessionOptions {
  portPool: PortPool;
  codec: G711Codec;
  /** Payload type of the codec (0 PCMU, 8 PCMA, or as negotiated). */
  payloadType: number;
  /** Negotiated telephone-event payload type; when absent, in-band DTMF is detected and sent. */
  telephoneEventPt?: number;
  /** Where to send (from the SDP); packets are only received until it is known. */
  remote?: { address: string; port: number };
  /** SDES keys (30 bytes each: master key || salt): local protects what we send, remote unprotects what we receive. */
  srtp?: { localKey: Buffer; remoteKey: Buffer };
  scheduler: Scheduler;
  /** Emit 'rtp-timeout' after this many ms without a valid packet; 0 = off (default). */
  rtpTimeoutMs?: number;
  /** Silence from the latched source after which another source may be latched, ms (default 2000). */
  relatchAfterMs?: number;
  /**
   * Connect the socket to the latched source (default false): sends then skip Node's
   * per-packet address lookup (~35% less send CPU), and the kernel drops other sources
   * (they are not counted in `discarded`) until the latched one has been silent for
   * relatchAfterMs, when the socket is disconnected so another source can be latched.
   */
  connectLatched?: boolean;
}

/** Number of numbers {@link RtpSession.writeStats} writes. */
export const STATS_FIELDS = 9;

/** Counters of one session (RFC 3550 section 6.4 / appendix A). */
export interface RtpStats {
  packetsSent: number;
  packetsReceived: number;
  /** RTP payload octets sent / received (headers, tags excluded). */
  bytesSent: number;
  bytesReceived: number;
  /** bytesSent + bytesReceived. */
  bytes: number;
  /** Packets expected minus received, from sequence numbers (RFC 3550 A.3), never negative. */
  lost: number;
  /** Interarrival jitter in timestamp units (RFC 3550 A.8). */
  jitter: number;
  /** The same in ms (8 kHz clock). */
  jitterMs: number;
  /** Packets dropped: not RTP, unexpected payload type, SRTP authentication/replay failure, or from a non-latched source. */
  discarded: number;
}

interface DigitJob {
  digits: string;
  opts: SendDigitsOptions;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A call's RTP endpoint on one port of the pool. Create with {@link RtpSession.open}. */
export class RtpSession extends EventEmitter implements PacedSender {
  /** Our RTP port (even). */
  readonly localPort: number;
  /** Our synchronization source identifier (random 32-bit, RFC 3550 section 8). */
  readonly ssrc: number;

  private readonly socket: RtpSocket;
  private readonly portPool: PortPool;
  private readonly scheduler: Scheduler;
  private codec: G711Codec;
  private payloadType: number;
  private telephoneEventPt: number | undefined;
  private srtpOut: SrtpContext | undefined;
  private srtpIn: SrtpContext | undefined;
  private srtpKeys: { localKey: Buffer; remoteKey: Buffer } | undefined;
  private remoteAddress: string | undefined;
  private remotePort = 0;
  private readonly relatchAfterMs: number;
  private readonly connectLatched: boolean;
  /** Socket connect state towards the latched source (connectLatched only). */
  private connectState: 'none' | 'connecting' | 'connected' = 'none';
  private connectInFlight = false;
  private relatchTimer: NodeJS.Timeout | undefined;
  private latchedAddress: string | undefined;
  private latchedPort = 0;
  private lastLatchedRx = -Infinity;

  private sequence: number;
  private readonly timestampBase: number;
  private lastAudioSlot = -2;
  private readonly sendBuffers: Buffer[];
  private sendIndex = 0;
  private readonly frame = new Int16Array(FRAME);
  private held = false;
  private closed = false;
  private registered = false;
  private playback: Playback | null = null;
  private readonly dtmfSender = new DtmfSender(FRAME);
  private readonly digitQueue: DigitJob[] = [];
  private digitJob: DigitJob | null = null;
  private inbandTone: Int16Array | null = null;
  private inbandOffset = 0;

  private readonly header = emptyRtpHeader();
  private dtmfReceiver: DtmfReceiver;
  private goertzel: GoertzelDtmfDetector | undefined;
  private readonly rxFrame = new Int16Array(FRAME);
  /** Decoded frame reused when nobody needs a fresh array (audio sink, in-band detection only). */
  private readonly rxScratch = new Int16Array(FRAME);
  private rxFill = 0;
  /**
   * Receives each decoded 160-sample frame without allocation (the RTP worker copies it into
   * its batch). The array is reused: valid only during the call.
   */
  audioSink: ((frame: Int16Array) => void) | undefined;
  private readonly rtpTimeoutMs: number;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private lastRx: number;
  private timedOut = false;

  /** Scheduler phase, kept across pauses so the call stays on one 20 ms grid. */
  private phase: number | undefined;
  /** The last slot ticked: a slot is never built twice (backfill and the loop may both offer it). */
  private lastTickSlot = -Infinity;
  /** The playing stream had no samples at the last tick (its slots were left unbuilt). */
  private starved = false;
  /** Ring of the last sends (slot, due ms, sequence number, payload bytes), to withdraw queued ones. */
  private readonly sentSlot = new Float64Array(SENT_HISTORY);
  private readonly sentDue = new Float64Array(SENT_HISTORY);
  private readonly sentSeq = new Uint16Array(SENT_HISTORY);
  private readonly sentBytes = new Uint16Array(SENT_HISTORY);
  private sentHead = 0;
  private sentCount = 0;

  private readonly receiveStats = new ReceiveStats();
  private packetsSent = 0;
  private packetsReceived = 0;
  private bytesSent = 0;
  private bytesReceived = 0;
  private discarded = 0;

  /**
   * Allocates a port from the pool and starts receiving.
   * @throws PortPoolExhaustedError when the pool has no free port (answer 503);
   *   RangeError when SRTP keys are not 30 bytes.
   */
  static async open(opts: RtpSessionOptions): Promise<RtpSession> {
    const { port, socket } = await opts.portPool.allocate();
    try {
      return new RtpSession(opts, port, socket);
    } catch (err) {
      opts.portPool.release(port);
      throw err;
    }
  }

  private constructor(opts: RtpSessionOptions, port: number, socket: RtpSocket) {
    super();
    this.localPort = port;
    this.socket = socket;
    this.portPool = opts.portPool;
    this.scheduler = opts.scheduler;
    this.codec = opts.codec;
    this.payloadType = opts.payloadType;
    this.telephoneEventPt = opts.telephoneEventPt;
    this.relatchAfterMs = opts.relatchAfterMs ?? 2000;
    this.connectLatched = opts.connectLatched ?? false;
    this.rtpTimeoutMs = opts.rtpTimeoutMs ?? 0;
    const rnd = randomBytes(10);
    this.ssrc = rnd.readUInt32BE(0);
    this.sequence = rnd.readUInt16BE(4);
    this.timestampBase = rnd.readUInt32BE(6);
    this.sendBuffers = Array.from({ length: SEND_BUFFERS }, () => Buffer.alloc(SEND_BUFFER_SIZE));
    this.setSrtp(opts.srtp);
    if (opts.remote) this.setRemote(opts.remote.address, opts.remote.port);
    this.dtmfReceiver = new DtmfReceiver(this.onDigit);
    this.goertzel = this.telephoneEventPt === undefined ? new GoertzelDtmfDetector(this.onDigit) : undefined;
    this.lastRx = performance.now();
    socket.on('message', this.onMessage);
    socket.on('error', this.onSocketError);
    if (this.rtpTimeoutMs > 0) {
      this.timeoutTimer = setInterval(this.checkTimeout, Math.max(20, Math.min(1000, this.rtpTimeoutMs / 4)));
      this.timeoutTimer.unref();
    }
  }

  /** Where packets are sent (the latched source once symmetric RTP latched), if known. */
  get remote(): { address: string; port: number } | undefined {
    return this.remoteAddress === undefined ? undefined : { address: this.remoteAddress, port: this.remotePort };
  }

  /** true after close(). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Counters so far. */
  get stats(): RtpStats {
    return {
      packetsSent: this.packetsSent,
      packetsReceived: this.packetsReceived,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      bytes: this.bytesSent + this.bytesReceived,
      lost: this.receiveStats.lost,
      jitter: this.receiveStats.jitter,
      jitterMs: this.receiveStats.jitterMs,
      discarded: this.discarded,
    };
  }

  /**
   * Writes the counters of {@link stats} into out[offset...offset+STATS_FIELDS) without
   * allocating (the RTP worker publishes them in shared memory), in RtpStats field order.
   */
  writeStats(out: Float64Array, offset: number): void {
    out[offset] = this.packetsSent;
    out[offset + 1] = this.packetsReceived;
    out[offset + 2] = this.bytesSent;
    out[offset + 3] = this.bytesReceived;
    out[offset + 4] = this.bytesSent + this.bytesReceived;
    out[offset + 5] = this.receiveStats.lost;
    out[offset + 6] = this.receiveStats.jitter;
    out[offset + 7] = this.receiveStats.jitterMs;
    out[offset + 8] = this.discarded;
  }

  /**
   * Sets the destination from SDP (initial or re-INVITE). Latching starts over: the first
   * valid packets from another source will move the destination there (NAT).
   */
  setRemote(address: string, port: number): void {
    const rebuild = (address !== this.remoteAddress || port !== this.remotePort) && this.withdrawQueued();
    this.disconnect();
    this.remoteAddress = address;
    this.remotePort = port;
    this.latchedAddress = undefined;
    this.latchedPort = 0;
    this.lastLatchedRx = -Infinity;
    if (rebuild) this.scheduler.backfill(this);
  }

  /**
   * Applies a re-INVITE's negotiation. SRTP contexts are kept when the keys are unchanged
   * (so rollover counters survive), rebuilt when they change, dropped when `srtp` is absent.
   * @throws RangeError when SRTP keys are not 30 bytes.
   */
  updateCodec(opts: { codec: G711Codec; payloadType: number; telephoneEventPt?: number; srtp?: { localKey: Buffer; remoteKey: Buffer } }): void {
    const k = this.srtpKeys;
    const sameKeys = k && opts.srtp ? k.localKey.equals(opts.srtp.localKey) && k.remoteKey.equals(opts.srtp.remoteKey) : !k && !opts.srtp;
    const rebuild = (opts.codec !== this.codec || opts.payloadType !== this.payloadType || !sameKeys) && this.withdrawQueued();
    this.codec = opts.codec;
    this.payloadType = opts.payloadType;
    this.telephoneEventPt = opts.telephoneEventPt;
    this.goertzel = opts.telephoneEventPt === undefined ? (this.goertzel ?? new GoertzelDtmfDetector(this.onDigit)) : undefined;
    this.goertzel?.reset();
    this.rxFill = 0;
    if (!sameKeys) this.setSrtp(opts.srtp);
    if (rebuild) this.scheduler.backfill(this);
  }

  /**
   * Plays 8 kHz 16-bit mono PCM: a whole buffer, or chunks from an async iterable consumed as
   * they come (read ahead at most 1 s). Frames are 160 samples, the last one zero-padded.
   * A new play() or stopPlayback() ends the current one with completed=false; close() too.
   * While on hold the audio is consumed in real time but not sent.
   * @returns how it ended and the ms of audio consumed.
   */
  play(source: AudioSource): Promise<PlaybackResult> {
    this.stopPlayback();
    if (this.closed) return Promise.resolve({ completed: false, playedMs: 0 });
    const pb = new Playback(source, this.onPlaybackError);
    this.playback = pb;
    // A stream that has nothing yet leaves its slots unbuilt; its first samples backfill them.
    pb.onData = () => {
      if (this.playback === pb && this.starved) {
        this.starved = false;
        this.scheduler.backfill(this);
      }
    };
    this.activate();
    return pb.result.then((r) => (r.completed ? this.afterQueued(r) : r));
  }

  /**
   * Resolves with `value` once the packets queued so far have left (the native pacer sends
   * up to its lead later than they were built), so a BYE after play() cuts nothing off.
   */
  private afterQueued<T>(value: T): Promise<T> | T {
    if (!('cancelFrom' in this.socket) || this.sentCount === 0 || this.closed) return value;
    const wait = this.sentDue[(this.sentHead - 1) & (SENT_HISTORY - 1)]! - performance.now();
    if (wait <= 0) return value;
    return new Promise((resolve) => setTimeout(() => resolve(value), Math.ceil(wait) + 1));
  }

  /** Ends the current playback (completed=false). No-op when nothing plays. */
  stopPlayback(): void {
    const pb = this.playback;
    this.playback = null;
    if (pb) this.withdrawQueued();
    pb?.finish(false);
  }

  /**
   * Sends digits as RFC 4733 telephone-events (or as in-band tones when no telephone-event
   * was negotiated), pausing audio playback meanwhile. Calls queue behind each other.
   * @param opts.durationMs tone length (default 100), opts.intervalMs gap between digits (default 200).
   * @throws (rejects) Error for characters other than 0-9 * # A-D.
   */
  sendDigits(digits: string, opts: SendDigitsOptions = {}): Promise<void> {
    for (const ch of digits) {
      if (!'0123456789*#ABCDabcd'.includes(ch)) return Promise.reject(new Error(`not a DTMF digit: ${JSON.stringify(ch)}`));
    }
    if (this.closed || digits.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.digitQueue.push({ digits, opts, resolve, reject });
      if (!this.digitJob) this.nextDigitJob();
      this.activate();
    });
  }

  /** Hold (true): send nothing until hold(false); receiving continues. */
  hold(on: boolean): void {
    this.held = on;
    if (on) this.withdrawQueued();
  }

  /** Stops everything and releases the port. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deactivate();
    if (this.timeoutTimer) clearInterval(this.timeoutTimer);
    this.stopPlayback();
    this.dtmfSender.stop();
    this.inbandTone = null;
    const jobs = this.digitJob ? [this.digitJob, ...this.digitQueue] : [...this.digitQueue];
    this.digitJob = null;
    this.digitQueue.length = 0;
    for (const j of jobs) j.resolve();
    this.dtmfReceiver.dispose();
    this.disconnect();
    this.socket.off('message', this.onMessage);
    this.portPool.release(this.localPort);
    this.emit('close');
  }

  /** Scheduler callback: sends at most one packet for this 20 ms slot. */
  tick(slot: number): void {
    if (this.closed || slot <= this.lastTickSlot) return;
    this.lastTickSlot = slot;
    // ToUint32 reduces mod 2^32 exactly: slot * 160 stays far below 2^53.
    const timestamp = (this.timestampBase + slot * FRAME) >>> 0;
    if (this.digitJob) {
      if (this.inbandTone) {
        const tone = this.inbandTone;
        const n = Math.min(FRAME, tone.length - this.inbandOffset);
        this.sendAudio(slot, timestamp, tone, this.inbandOffset, n);
        this.inbandOffset += n;
        if (this.inbandOffset >= tone.length) this.finishDigitJob();
        return;
      }
      const buf = this.sendBuffers[this.sendIndex]!;
      const step = this.dtmfSender.next(buf, RTP_HEADER_LENGTH, timestamp);
      if (step === DtmfStep.Packet) {
        this.sendPacket(buf, this.dtmfSender.marker, this.telephoneEventPt ?? 101, this.dtmfSender.eventTimestamp, TELEPHONE_EVENT_LENGTH);
      } else if (step === DtmfStep.Done) {
        this.finishDigitJob();
      }
      return;
    }
    const pb = this.playback;
    if (!pb) {
      this.deactivate();
      return;
    }
    const count = pb.next(this.frame);
    if (count > 0) this.sendAudio(slot, timestamp, pb.frameSource, pb.frameOffset, count);
    else if (!pb.finished && this.scheduler.leadMs > 0) {
      // Nothing to send yet (a stream still starting): leave the slot unbuilt for backfill.
      this.lastTickSlot = slot - 1;
      this.starved = true;
    }
    if (pb.finished) this.playback = null;
  }

  // ---- sending -------------------------------------------------------------------------

  private activate(): void {
    if (this.closed) return;
    if (!this.registered) {
      this.registered = true;
      this.phase = this.scheduler.add(this, this.phase);
    }
    // With a lead, slots up to leadMs ahead were already built: fill this call's share now.
    this.scheduler.backfill(this);
  }

  /**
   * Withdraws the packets the native pacer holds for later (audio stopped, hold), so the
   * peer hears the change at once rather than after the lead; the sequence number and the
   * slot go back to the first withdrawn packet, so the peer sees no gap. Digits in progress
   * keep their packets. A no-op on node:dgram sockets (they send at once).
   * When the destination, codec or SRTP keys change (re-INVITE, latching), the caller then
   * backfills, so those slots are built again with what holds now; the audio they carried is
   * not replayed (a prompt skips at most the lead).
   * @returns true when packets were withdrawn.
   */
  private withdrawQueued(): boolean {
    const socket = this.socket;
    if (!('cancelFrom' in socket) || this.digitJob || this.sentCount === 0 || this.closed) return false;
    const cutoff = performance.now() + WITHDRAW_MARGIN_MS;
    const mask = SENT_HISTORY - 1;
    let k = 0;
    let bytes = 0;
    while (k < this.sentCount && this.sentDue[(this.sentHead - 1 - k) & mask]! >= cutoff) {
      bytes += this.sentBytes[(this.sentHead - 1 - k) & mask]!;
      k++;
    }
    if (k === 0) return false;
    const first = (this.sentHead - k) & mask;
    socket.cancelFrom(this.sentDue[first]!);
    this.sequence = this.sentSeq[first]!;
    this.lastTickSlot = this.sentSlot[first]! - 1;
    this.lastAudioSlot = Math.min(this.lastAudioSlot, this.lastTickSlot);
    this.packetsSent -= k;
    this.bytesSent -= bytes;
    this.sentHead = first;
    this.sentCount -= k;
    return true;
  }

  private deactivate(): void {
    if (this.registered) {
      this.registered = false;
      this.scheduler.remove(this);
    }
  }

  /** Encodes pcm[offset, offset+count) zero-padded to 160 samples and sends it. */
  private sendAudio(slot: number, timestamp: number, pcm: Int16Array, offset: number, count: number): void {
    const marker = slot !== this.lastAudioSlot + 1;
    const buf = this.sendBuffers[this.sendIndex]!;
    encodeG711(this.codec, pcm, buf, RTP_HEADER_LENGTH, offset, count);
    if (count < FRAME) {
      encodeG711(this.codec, SILENCE, buf, RTP_HEADER_LENGTH + count, 0, FRAME - count);
    }
    if (this.sendPacket(buf, marker, this.payloadType, timestamp, FRAME)) this.lastAudioSlot = slot;
  }

  /** @returns true when the packet went out. */
  private sendPacket(buf: Buffer, marker: boolean, payloadType: number, timestamp: number, payloadLength: number): boolean {
    // Packets not sent (hold, no destination yet) take no sequence number: the peer must not count them lost.
    if (this.held || this.remoteAddress === undefined || this.remotePort === 0) return false;
    this.sendIndex = (this.sendIndex + 1) % SEND_BUFFERS;
    writeRtpHeader(buf, 0, marker, payloadType, this.sequence, timestamp, this.ssrc);
    let length = RTP_HEADER_LENGTH + payloadLength;
    if (this.srtpOut) length = this.srtpOut.protect(buf, length);
    if (length < 0) return false;
    const h = this.sentHead;
    this.sentSlot[h] = this.lastTickSlot;
    this.sentDue[h] = this.scheduler.currentDueMs ?? performance.now();
    this.sentSeq[h] = this.sequence;
    this.sentBytes[h] = payloadLength;
    this.sentHead = (h + 1) & (SENT_HISTORY - 1);
    if (this.sentCount < SENT_HISTORY) this.sentCount++;
    this.sequence = (this.sequence + 1) & 0xffff;
    if (this.connectState === 'connected') this.socket.send(buf, 0, length);
    else this.socket.send(buf, 0, length, this.remotePort, this.remoteAddress);
    this.packetsSent++;
    this.bytesSent += payloadLength;
    return true;
  }

  private nextDigitJob(): void {
    const job = this.digitQueue.shift() ?? null;
    this.digitJob = job;
    if (!job) return;
    try {
      if (this.telephoneEventPt !== undefined) {
        this.inbandTone = null;
        this.dtmfSender.start(job.digits, job.opts);
      } else {
        this.inbandTone = synthesizeDtmf(job.digits, job.opts.durationMs ?? 100, job.opts.intervalMs ?? 200);
        this.inbandOffset = 0;
      }
    } catch (err) {
      this.digitJob = null;
      job.reject(err);
      this.nextDigitJob();
    }
  }

  private finishDigitJob(): void {
    const job = this.digitJob;
    this.inbandTone = null;
    this.nextDigitJob();
    if (job) void Promise.resolve(this.afterQueued(undefined)).then(job.resolve);
  }

  // ---- receiving -----------------------------------------------------------------------

  private readonly onDigit = (d: DigitEvent): void => {
    this.emit('digit', d);
  };

  private readonly onPlaybackError = (err: unknown): void => {
    this.emit('playback-error', err);
  };

  private readonly onSocketError = (err: Error): void => {
    this.emit('socket-error', err);
  };

  private readonly checkTimeout = (): void => {
    if (this.closed || this.timedOut) return;
    if (performance.now() - this.lastRx >= this.rtpTimeoutMs) {
      this.timedOut = true;
      this.emit('rtp-timeout');
    }
  };

  private readonly onMessage = (msg: Buffer, rinfo: RtpRemoteInfo): void => {
    if (this.closed) return;
    let length = msg.length;
    // Cheap checks first, before any cryptography: version 2 and an expected payload type.
    if (length < RTP_HEADER_LENGTH || msg[0]! >> 6 !== 2) { this.discarded++; return; }
    const pt = msg[1]! & 0x7f;
    const isEvent = pt === this.telephoneEventPt;
    if (pt !== this.payloadType && !isEvent) { this.discarded++; return; }
    if (this.srtpIn) {
      length = this.srtpIn.unprotect(msg, length);
      if (length < 0) { this.discarded++; return; }
    }
    const h = parseRtpHeader(msg, length, this.header);
    if (!h) { this.discarded++; return; }

    const now = performance.now();
    if (rinfo.port !== this.latchedPort || rinfo.address !== this.latchedAddress) {
      if (this.latchedAddress !== undefined && now - this.lastLatchedRx < this.relatchAfterMs) { this.discarded++; return; }
      this.latch(rinfo.address, rinfo.port);
    }
    this.lastLatchedRx = now;
    this.lastRx = now;
    this.timedOut = false;
    this.packetsReceived++;
    this.bytesReceived += h.payloadLength;
    this.receiveStats.update(h.ssrc, h.sequenceNumber, h.timestamp, now, !isEvent);

    if (isEvent) {
      this.dtmfReceiver.push(h.timestamp, msg, h.headerLength, h.payloadLength);
      return;
    }
    const listeners = this.listenerCount('audio');
    if (!this.goertzel && !this.audioSink && listeners === 0) return;
    if (h.payloadLength === FRAME && this.rxFill === 0) {
      // 'audio' listeners get a new array per frame; otherwise the scratch frame avoids garbage.
      this.deliver(decodeG711(this.codec, msg, listeners > 0 ? audioFrames.take() : this.rxScratch, h.headerLength, FRAME));
      return;
    }
    // Other packet sizes (ptime 10, 30...) are re-framed into 160-sample frames.
    let off = h.headerLength;
    let left = h.payloadLength;
    while (left > 0) {
      const take = Math.min(left, FRAME - this.rxFill);
      decodeG711(this.codec, msg, this.rxFrame.subarray(this.rxFill), off, take);
      this.rxFill += take;
      off += take;
      left -= take;
      if (this.rxFill === FRAME) {
        this.rxFill = 0;
        if (this.listenerCount('audio') > 0) {
          const copy = audioFrames.take();
          copy.set(this.rxFrame);
          this.deliver(copy);
        } else this.deliver(this.rxFrame);
      }
    }
  };

  private deliver(frame: Int16Array): void {
    this.goertzel?.process(frame);
    this.audioSink?.(frame);
    this.emit('audio', frame);
  }

  private latch(address: string, port: number): void {
    const rebuild = (address !== this.remoteAddress || port !== this.remotePort) && this.withdrawQueued();
    this.disconnect();
    this.latchedAddress = address;
    this.latchedPort = port;
    if (this.connectLatched && !this.closed) this.connect(address, port);
    if (address !== this.remoteAddress || port !== this.remotePort) {
      this.remoteAddress = address;
      this.remotePort = port;
      this.emit('latched', { address, port });
    }
    if (rebuild) this.scheduler.backfill(this);
  }

  /**
   * Connects the socket to the latched source. Node allows one connect at a time and throws
   * on sends with an address once connected, so a connect that completes after the latch
   * moved on is undone and redone for the current source.
   */
  private connect(address: string, port: number): void {
    this.connectState = 'connecting';
    if (this.connectInFlight) return;
    this.connectInFlight = true;
    this.socket.connect(port, address, (err?: Error) => {
      this.connectInFlight = false;
      if (this.closed) return;
      if (err) {
        this.connectState = 'none';
        return;
      }
      const current = this.connectState === 'connecting' && this.latchedAddress === address && this.latchedPort === port;
      if (current) {
        this.connectState = 'connected';
        this.relatchTimer = setInterval(this.checkRelatch, Math.max(50, this.relatchAfterMs / 2));
        this.relatchTimer.unref();
        return;
      }
      try { this.socket.disconnect(); } catch { /* closed meanwhile */ }
      if (this.connectState === 'connecting' && this.latchedAddress !== undefined) this.connect(this.latchedAddress, this.latchedPort);
    });
  }

  /** Back to an unconnected socket (new SDP remote, re-latch, close). */
  private disconnect(): void {
    if (this.relatchTimer) clearInterval(this.relatchTimer);
    this.relatchTimer = undefined;
    if (this.connectState === 'connected') {
      try { this.socket.disconnect(); } catch { /* already closed */ }
    }
    // A connect still in flight is undone by its callback.
    this.connectState = 'none';
  }

  /** While connected only the latched source reaches us: after its silence, listen to everyone again. */
  private readonly checkRelatch = (): void => {
    if (performance.now() - this.lastLatchedRx >= this.relatchAfterMs) this.disconnect();
  };

  private setSrtp(keys: { localKey: Buffer; remoteKey: Buffer } | undefined): void {
    this.srtpKeys = keys;
    this.srtpOut = keys ? new SrtpContext(keys.localKey) : undefined;
    this.srtpIn = keys ? new SrtpContext(keys.remoteKey) : undefined;
  }
}

const SILENCE = new Int16Array(FRAME);
