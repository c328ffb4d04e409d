/**
 * The receiving half of one call's RTP stream (RFC 3550): checks and SRTP-unprotects each
 * datagram (RFC 3711), decides which source is the call's (latching), re-frames G.711
 * payloads of any size into 20 ms frames (strict learning: latching.ts), and recognizes RFC 4733 telephone-events or, when
 * none was negotiated, in-band DTMF tones (Goertzel). Keeps RFC 3550 loss and jitter
 * figures and notices when the peer falls silent (RTP inactivity: RTP, comfort noise and
 * RTCP from the call's source count as activity).
 */
import { performance } from 'node:perf_hooks';
import type { DigitEvent } from '../call/types.ts';
import { ReceiveStats } from './receive-stats.ts';
import { decodeG711, type G711Codec } from './g711.ts';
import { emptyRtpHeader, parseRtpHeader, RTP_HEADER_LENGTH } from './rtp-packet.ts';
import type { SrtpContext } from './srtp.ts';
import { DtmfReceiver } from './dtmf.ts';
import { GoertzelDtmfDetector } from './goertzel.ts';
import { audioFrames } from './frame-slab.ts';
import type { RtpRemoteInfo } from './rtp-socket.ts';
import { LatchVerdict, SourceLatch, type LatchOptions } from './latching.ts';
import { rtpDropped, rtpSourcesLearned, rtpTimeouts, type RtpDropReason } from './metrics.ts';

/** Samples per 20 ms frame at 8000 Hz. */
const FRAME = 160;
/** Comfort noise (RFC 3389, static payload type 13 of RFC 3551): not decoded, but a sign of life. */
const COMFORT_NOISE_PT = 13;

/** What is accepted: the codec side of an SDP negotiation. */
export interface ReceiveFormat {
  codec: G711Codec;
  payloadType: number;
  /** Negotiated telephone-event payload type; when absent, in-band DTMF is detected. */
  telephoneEventPt: number | undefined;
  /** SRTP context unprotecting what we receive (the peer's SDES key), if any. */
  srtp: SrtpContext | undefined;
}

/** Where the receiver reports to (its session). */
export interface ReceiverHooks {
  onDigit(digit: DigitEvent): void;
  /** The call's media now comes from address:port (symmetric RTP: send there too). */
  onSource(address: string, port: number): void;
  /** No valid packet for rtpTimeoutMs (once per silence). */
  onTimeout(): void;
}

/** Options of {@link RtpReceiver}. */
export interface ReceiverOptions {
  /** Report onTimeout after this many ms without a valid packet; 0 = off. */
  rtpTimeoutMs: number;
  /** Who may become the call's source (strict latching). */
  latch?: LatchOptions;
}

/** One call's RTP receiver; its session feeds it every datagram of the call's port. */
export class RtpReceiver {
  packetsReceived = 0;
  /** RTP payload octets received (headers, tags excluded). */
  bytesReceived = 0;
  /** Packets dropped: not RTP, unexpected payload type, SRTP authentication/replay failure, or from a source not the call's. */
  discarded = 0;
  readonly stats = new ReceiveStats();
  /**
   * Takes each decoded 160-sample frame, a new array (a view of a shared slab: frame-slab.ts)
   * it may keep. A direct callback, set by the session's owner, rather than an event: it runs
   * 50 times a second per call. Unset, frames are decoded into a reused array (in-band DTMF only).
   */
  onAudio: ((frame: Int16Array) => void) | undefined;

  private format: ReceiveFormat;
  private readonly header = emptyRtpHeader();
  private readonly dtmf: DtmfReceiver;
  private goertzel: GoertzelDtmfDetector | undefined;
  private readonly rxFrame = new Int16Array(FRAME);
  /** Decoded frame reused when nobody needs a fresh array (in-band detection only). */
  private readonly rxScratch = new Int16Array(FRAME);
  private rxFill = 0;
  private readonly latch: SourceLatch;
  private lastRx = performance.now();
  private timedOut = false;
  /** false while the peer legitimately sends nothing (hold): no inactivity report then. */
  private expecting = true;
  private readonly timeoutTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** @throws TypeError on a malformed trusted CIDR. */
  constructor(format: ReceiveFormat, private readonly hooks: ReceiverHooks, private readonly opts: ReceiverOptions) {
    this.format = format;
    this.latch = new SourceLatch(opts.latch);
    this.dtmf = new DtmfReceiver(hooks.onDigit);
    this.goertzel = format.telephoneEventPt === undefined ? new GoertzelDtmfDetector(hooks.onDigit) : undefined;
    if (opts.rtpTimeoutMs > 0) {
      this.timeoutTimer = setInterval(this.checkTimeout, Math.max(20, Math.min(1000, opts.rtpTimeoutMs / 4)));
      this.timeoutTimer.unref();
    }
  }

  /** Applies a re-INVITE's format: in-band detection and re-framing start over. */
  setFormat(format: ReceiveFormat): void {
    this.format = format;
    this.goertzel = format.telephoneEventPt === undefined ? (this.goertzel ?? new GoertzelDtmfDetector(this.hooks.onDigit)) : undefined;
    this.goertzel?.reset();
    this.rxFill = 0;
  }

  /** A new SDP destination (answer, re-INVITE): the call's source, and a new learning window. */
  expect(remote: { address: string; port: number } | undefined): void {
    this.latch.expect(remote, performance.now());
  }

  /** Stops the inactivity timer and pending digit timers. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timeoutTimer) clearInterval(this.timeoutTimer);
    this.dtmf.dispose();
  }

  /**
   * Whether the peer is expected to send (false on hold: a=inactive, a=recvonly from the peer,
   * c=0.0.0.0). The inactivity clock restarts on each change.
   */
  expectMedia(on: boolean): void {
    this.expecting = on;
    this.lastRx = performance.now();
    this.timedOut = false;
  }

  /**
   * An RTCP packet (RFC 3550 section 6) arrived from `address`: activity when it is the call's
   * source IP. @returns whether it is (only then is the report read).
   */
  rtcpFrom(address: string): boolean {
    if (address !== this.latch.source?.address) return false;
    this.lastRx = performance.now();
    return true;
  }

  private readonly checkTimeout = (): void => {
    if (this.closed || this.timedOut || !this.expecting) return;
    if (performance.now() - this.lastRx >= this.opts.rtpTimeoutMs) {
      this.timedOut = true;
      rtpTimeouts.inc();
      this.hooks.onTimeout();
    }
  };

  /** One datagram from the call's port. `msg` may be a view valid only during the call. */
  readonly onPacket = (msg: Buffer, rinfo: RtpRemoteInfo): void => {
    if (this.closed) return;
    let length = msg.length;
    const f = this.format;
    // Cheap checks first, before any cryptography: version 2 and an expected payload type.
    if (length < RTP_HEADER_LENGTH || msg[0]! >> 6 !== 2) return this.drop('malformed');
    const pt = msg[1]! & 0x7f;
    const isEvent = pt === f.telephoneEventPt;
    if (pt !== f.payloadType && !isEvent && pt !== COMFORT_NOISE_PT) return this.drop('payload_type');
    if (f.srtp) {
      length = f.srtp.unprotect(msg, length);
      if (length < 0) return this.drop('srtp');
    }
    const h = parseRtpHeader(msg, length, this.header);
    if (!h) return this.drop('malformed');

    const now = performance.now();
    const verdict = this.latch.check(rinfo.address, rinfo.port, h.sequenceNumber, f.srtp !== undefined, now);
    if (verdict === LatchVerdict.Drop) return this.drop('source');
    if (verdict === LatchVerdict.Learned) {
      rtpSourcesLearned.inc();
      this.hooks.onSource(rinfo.address, rinfo.port);
    }
    this.lastRx = now;
    this.timedOut = false;
    if (pt === COMFORT_NOISE_PT && pt !== f.payloadType) return;
    this.packetsReceived++;
    this.bytesReceived += h.payloadLength;
    this.stats.update(h.ssrc, h.sequenceNumber, h.timestamp, now, !isEvent);

    if (isEvent) {
      this.dtmf.push(h.timestamp, msg, h.headerLength, h.payloadLength);
      return;
    }
    const onAudio = this.onAudio;
    if (!this.goertzel && !onAudio) return;
    if (h.payloadLength === FRAME && this.rxFill === 0) {
      // A listener gets a new array per frame; otherwise the scratch frame avoids garbage.
      this.deliver(decodeG711(f.codec, msg, onAudio ? audioFrames.take() : this.rxScratch, h.headerLength, FRAME), onAudio);
      return;
    }
    // Other packet sizes (ptime 10, 30...) are re-framed into 160-sample frames.
    let off = h.headerLength;
    let left = h.payloadLength;
    while (left > 0) {
      const take = Math.min(left, FRAME - this.rxFill);
      decodeG711(f.codec, msg, this.rxFrame.subarray(this.rxFill), off, take);
      this.rxFill += take;
      off += take;
      left -= take;
      if (this.rxFill === FRAME) {
        this.rxFill = 0;
        if (onAudio) {
          const copy = audioFrames.take();
          copy.set(this.rxFrame);
          this.deliver(copy, onAudio);
        } else this.deliver(this.rxFrame, undefined);
      }
    }
  };

  private drop(reason: RtpDropReason): void {
    this.discarded++;
    rtpDropped[reason].inc();
  }

  private deliver(frame: Int16Array, onAudio: ((frame: Int16Array) => void) | undefined): void {
    this.goertzel?.process(frame);
    onAudio?.(frame);
  }
}
