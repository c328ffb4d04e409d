/**
 * The receiving half of one call's RTP stream (RFC 3550): checks and SRTP-unprotects each
 * datagram (RFC 3711), decides which source is the call's (latching), re-frames G.711
 * payloads of any size into 20 ms frames, and recognizes RFC 4733 telephone-events or, when
 * none was negotiated, in-band DTMF tones (Goertzel). Keeps RFC 3550 loss and jitter
 * figures and notices when the peer falls silent (RTP inactivity).
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

/** Samples per 20 ms frame at 8000 Hz. */
const FRAME = 160;

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
  /** Number of 'audio' listeners: with none, frames are decoded into a reused array. */
  audioListeners(): number;
  /** A decoded 160-sample frame; a new array when audioListeners() > 0. */
  onAudio(frame: Int16Array): void;
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
  /** Silence from the latched source after which another source may be latched, ms. */
  relatchAfterMs: number;
}

/** One call's RTP receiver; its session feeds it every datagram of the call's port. */
export class RtpReceiver {
  packetsReceived = 0;
  /** RTP payload octets received (headers, tags excluded). */
  bytesReceived = 0;
  /** Packets dropped: not RTP, unexpected payload type, SRTP authentication/replay failure, or from a source not the call's. */
  discarded = 0;
  readonly stats = new ReceiveStats();

  private format: ReceiveFormat;
  private readonly header = emptyRtpHeader();
  private readonly dtmf: DtmfReceiver;
  private goertzel: GoertzelDtmfDetector | undefined;
  private readonly rxFrame = new Int16Array(FRAME);
  /** Decoded frame reused when nobody needs a fresh array (in-band detection only). */
  private readonly rxScratch = new Int16Array(FRAME);
  private rxFill = 0;
  private latchedAddress: string | undefined;
  private latchedPort = 0;
  private lastLatchedRx = -Infinity;
  private lastRx = performance.now();
  private timedOut = false;
  private readonly timeoutTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(format: ReceiveFormat, private readonly hooks: ReceiverHooks, private readonly opts: ReceiverOptions) {
    this.format = format;
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

  /** A new SDP destination (answer, re-INVITE): latching starts over. */
  expect(_remote: { address: string; port: number } | undefined): void {
    this.latchedAddress = undefined;
    this.latchedPort = 0;
    this.lastLatchedRx = -Infinity;
  }

  /** Stops the inactivity timer and pending digit timers. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timeoutTimer) clearInterval(this.timeoutTimer);
    this.dtmf.dispose();
  }

  private readonly checkTimeout = (): void => {
    if (this.closed || this.timedOut) return;
    if (performance.now() - this.lastRx >= this.opts.rtpTimeoutMs) {
      this.timedOut = true;
      this.hooks.onTimeout();
    }
  };

  /** One datagram from the call's port. `msg` may be a view valid only during the call. */
  readonly onPacket = (msg: Buffer, rinfo: RtpRemoteInfo): void => {
    if (this.closed) return;
    let length = msg.length;
    const f = this.format;
    // Cheap checks first, before any cryptography: version 2 and an expected payload type.
    if (length < RTP_HEADER_LENGTH || msg[0]! >> 6 !== 2) { this.discarded++; return; }
    const pt = msg[1]! & 0x7f;
    const isEvent = pt === f.telephoneEventPt;
    if (pt !== f.payloadType && !isEvent) { this.discarded++; return; }
    if (f.srtp) {
      length = f.srtp.unprotect(msg, length);
      if (length < 0) { this.discarded++; return; }
    }
    const h = parseRtpHeader(msg, length, this.header);
    if (!h) { this.discarded++; return; }

    const now = performance.now();
    if (rinfo.port !== this.latchedPort || rinfo.address !== this.latchedAddress) {
      if (this.latchedAddress !== undefined && now - this.lastLatchedRx < this.opts.relatchAfterMs) { this.discarded++; return; }
      this.latchedAddress = rinfo.address;
      this.latchedPort = rinfo.port;
      this.hooks.onSource(rinfo.address, rinfo.port);
    }
    this.lastLatchedRx = now;
    this.lastRx = now;
    this.timedOut = false;
    this.packetsReceived++;
    this.bytesReceived += h.payloadLength;
    this.stats.update(h.ssrc, h.sequenceNumber, h.timestamp, now, !isEvent);

    if (isEvent) {
      this.dtmf.push(h.timestamp, msg, h.headerLength, h.payloadLength);
      return;
    }
    const listeners = this.hooks.audioListeners();
    if (!this.goertzel && listeners === 0) return;
    if (h.payloadLength === FRAME && this.rxFill === 0) {
      // 'audio' listeners get a new array per frame; otherwise the scratch frame avoids garbage.
      this.deliver(decodeG711(f.codec, msg, listeners > 0 ? audioFrames.take() : this.rxScratch, h.headerLength, FRAME));
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
        if (listeners > 0) {
          const copy = audioFrames.take();
          copy.set(this.rxFrame);
          this.deliver(copy);
        } else this.deliver(this.rxFrame);
      }
    }
  };

  private deliver(frame: Int16Array): void {
    this.goertzel?.process(frame);
    this.hooks.onAudio(frame);
  }
}
