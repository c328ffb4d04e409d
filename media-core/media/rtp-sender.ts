/**
 * The sending half of one call's RTP stream (RFC 3550) over G.711, with RFC 4733 digits (or
 * in-band tones) and SRTP protection (RFC 3711), paced by the shared {@link Scheduler}.
 *
 * Sending policy: packets are sent only while something plays (audio, or digits); while
 * idle nothing is sent (no comfort noise). The RTP timestamp is derived from the
 * scheduler's wall-clock slot, so it keeps advancing by 160 per 20 ms across silence, and
 * the first audio packet after a gap carries the marker bit (RFC 3551 section 4.1).
 * Nothing is sent while held or while no destination is known.
 */
import { randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AudioSource, PlaybackResult } from '../call/types.ts';
import { Playback } from './playback.ts';
import { encodeG711, type G711Codec } from './g711.ts';
import { RTP_HEADER_LENGTH, writeRtpHeader } from './rtp-packet.ts';
import { SRTP_AUTH_TAG_LENGTH, type SrtpContext } from './srtp.ts';
import { DtmfSender, DtmfStep, TELEPHONE_EVENT_LENGTH, type SendDigitsOptions } from './dtmf.ts';
import { synthesizeDtmf } from './dtmf-tone.ts';
import type { PacedSender, Scheduler } from './scheduler.ts';
import type { RtpSocket } from './rtp-socket.ts';

/** Samples per 20 ms frame at 8000 Hz. */
const FRAME = 160;
/** Send buffers rotate so a datagram still queued in the kernel path is never overwritten. */
const SEND_BUFFERS = 4;
const SEND_BUFFER_SIZE = RTP_HEADER_LENGTH + FRAME + SRTP_AUTH_TAG_LENGTH + 18;
/** Recent sends remembered for withdrawing queued ones (a power of two; covers leads up to 300 ms). */
const SENT_HISTORY = 16;
/** Packets this close to due are left to go: the pacer thread may be taking them, ms. */
const WITHDRAW_MARGIN_MS = 2;
const SILENCE = new Int16Array(FRAME);

/** What is sent and how: the codec side of an SDP negotiation. */
export interface SendFormat {
  codec: G711Codec;
  /** Payload type of the codec (0 PCMU, 8 PCMA, or as negotiated). */
  payloadType: number;
  /** Negotiated telephone-event payload type; when absent, digits are sent as in-band tones. */
  telephoneEventPt: number | undefined;
  /** SRTP context protecting what we send (our SDES key), if any. */
  srtp: SrtpContext | undefined;
}

interface DigitJob {
  digits: string;
  opts: SendDigitsOptions;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** One call's RTP sender on its session's socket. */
export class RtpSender implements PacedSender {
  /** Our synchronization source identifier (random 32-bit, RFC 3550 section 8). */
  readonly ssrc: number;
  packetsSent = 0;
  /** RTP payload octets sent (headers, tags excluded). */
  bytesSent = 0;

  private format: SendFormat;
  private address: string | undefined;
  private port = 0;
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

  /** @param onPlaybackError told when a streaming source throws (its play() resolves completed=false). */
  constructor(
    private readonly socket: RtpSocket,
    private readonly scheduler: Scheduler,
    format: SendFormat,
    private readonly onPlaybackError: (err: unknown) => void,
  ) {
    this.format = format;
    const rnd = randomBytes(10);
    this.ssrc = rnd.readUInt32BE(0);
    this.sequence = rnd.readUInt16BE(4);
    this.timestampBase = rnd.readUInt32BE(6);
    this.sendBuffers = Array.from({ length: SEND_BUFFERS }, () => Buffer.alloc(SEND_BUFFER_SIZE));
  }

  /** The RTP timestamp of the current 20 ms slot (for RTCP sender reports). */
  rtpTimestampNow(): number {
    return (this.timestampBase + this.scheduler.currentSlot() * FRAME) >>> 0;
  }

  /** Where packets go, if known. */
  get destination(): { address: string; port: number } | undefined {
    return this.address === undefined ? undefined : { address: this.address, port: this.port };
  }

  /**
   * Sends to address:port from now on; packets queued for the old destination are withdrawn
   * and built again for the new one. undefined stops sending, and so does anything but an
   * IPv4 unicast-looking address with a port 1-65535 (SDP is validated before it gets here:
   * sdp.ts destinationProblem; this is the last guard, so no send can throw per packet).
   */
  setDestination(dest: { address: string; port: number } | undefined): void {
    if (dest && !(isIPv4(dest.address) && dest.address !== '0.0.0.0' && dest.port > 0 && dest.port <= 65535)) dest = undefined;
    if (dest?.address === this.address && (dest?.port ?? 0) === this.port) return;
    const rebuild = this.withdrawQueued();
    this.address = dest?.address;
    this.port = dest?.port ?? 0;
    if (rebuild) this.scheduler.backfill(this);
  }

  /** Applies a new format (re-INVITE); `changed` false keeps the queued packets (same codec and keys). */
  setFormat(format: SendFormat, changed: boolean): void {
    const rebuild = changed && this.withdrawQueued();
    this.format = format;
    if (rebuild) this.scheduler.backfill(this);
  }

  /** See RtpSession.play. */
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

  /** Ends the current playback (completed=false). No-op when nothing plays. */
  stopPlayback(): void {
    const pb = this.playback;
    this.playback = null;
    if (pb) this.withdrawQueued();
    pb?.finish(false);
  }

  /** See RtpSession.sendDigits. */
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

  /** Hold (true): send nothing until hold(false). */
  hold(on: boolean): void {
    this.held = on;
    if (on) this.withdrawQueued();
  }

  /** Stops sending for good: playback ends, queued digits resolve. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deactivate();
    this.stopPlayback();
    this.dtmfSender.stop();
    this.inbandTone = null;
    const jobs = this.digitJob ? [this.digitJob, ...this.digitQueue] : [...this.digitQueue];
    this.digitJob = null;
    this.digitQueue.length = 0;
    for (const j of jobs) j.resolve();
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
        this.sendPacket(buf, this.dtmfSender.marker, this.format.telephoneEventPt ?? 101, this.dtmfSender.eventTimestamp, TELEPHONE_EVENT_LENGTH);
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

  private activate(): void {
    if (this.closed) return;
    if (!this.registered) {
      this.registered = true;
      this.phase = this.scheduler.add(this, this.phase);
    }
    // With a lead, slots up to leadMs ahead were already built: fill this call's share now.
    this.scheduler.backfill(this);
  }

  private deactivate(): void {
    if (this.registered) {
      this.registered = false;
      this.scheduler.remove(this);
    }
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

  /** Encodes pcm[offset, offset+count) zero-padded to 160 samples and sends it. */
  private sendAudio(slot: number, timestamp: number, pcm: Int16Array, offset: number, count: number): void {
    const marker = slot !== this.lastAudioSlot + 1;
    const buf = this.sendBuffers[this.sendIndex]!;
    const codec = this.format.codec;
    encodeG711(codec, pcm, buf, RTP_HEADER_LENGTH, offset, count);
    if (count < FRAME) encodeG711(codec, SILENCE, buf, RTP_HEADER_LENGTH + count, 0, FRAME - count);
    if (this.sendPacket(buf, marker, this.format.payloadType, timestamp, FRAME)) this.lastAudioSlot = slot;
  }

  /** @returns true when the packet went out. */
  private sendPacket(buf: Buffer, marker: boolean, payloadType: number, timestamp: number, payloadLength: number): boolean {
    // Packets not sent (hold, no destination yet) take no sequence number: the peer must not count them lost.
    if (this.held || this.address === undefined || this.port === 0) return false;
    this.sendIndex = (this.sendIndex + 1) % SEND_BUFFERS;
    writeRtpHeader(buf, 0, marker, payloadType, this.sequence, timestamp, this.ssrc);
    let length = RTP_HEADER_LENGTH + payloadLength;
    if (this.format.srtp) length = this.format.srtp.protect(buf, length);
    if (length < 0) return false;
    const h = this.sentHead;
    this.sentSlot[h] = this.lastTickSlot;
    this.sentDue[h] = this.scheduler.currentDueMs ?? performance.now();
    this.sentSeq[h] = this.sequence;
    this.sentBytes[h] = payloadLength;
    this.sentHead = (h + 1) & (SENT_HISTORY - 1);
    if (this.sentCount < SENT_HISTORY) this.sentCount++;
    this.sequence = (this.sequence + 1) & 0xffff;
    this.socket.send(buf, 0, length, this.port, this.address);
    this.packetsSent++;
    this.bytesSent += payloadLength;
    return true;
  }

  private nextDigitJob(): void {
    const job = this.digitQueue.shift() ?? null;
    this.digitJob = job;
    if (!job) return;
    try {
      if (this.format.telephoneEventPt !== undefined) {
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
}
