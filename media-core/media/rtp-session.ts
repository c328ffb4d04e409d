/**
 * One call's RTP stream (RFC 3550) over G.711 with RFC 4733 DTMF and optional SRTP (RFC
 * 3711) on one port of the pool: an {@link RtpSender} and an {@link RtpReceiver} sharing the
 * socket, the negotiated format and the destination. This file is the glue: it applies SDP
 * to both halves and turns their reports into events.
 *
 * Caller audio goes to the one {@link RtpSession.onAudio} callback (per packet: no event).
 * Events:
 * - 'digit' (DigitEvent) from RFC 4733 packets, or from in-band tones (Goertzel) when no
 *   telephone-event payload type was negotiated.
 * - 'latched' ({address, port}) when strict latching learned a new source (latching.ts) and
 *   the destination moved there (symmetric RTP).
 * - 'rtp-timeout' () when nothing arrived from the call's source for rtpTimeoutMs (RTP,
 *   comfort noise and RTCP on the RTP port + 1 count), once per silence, never while
 *   expectMedia(false) (hold).
 * - 'socket-error' (Error) when the UDP socket reports an error (the call continues).
 * - 'playback-error' (unknown) when a streaming source threw (its play() resolves completed=false).
 * - 'close' () once, from close().
 */
import { EventEmitter } from 'node:events';
import type { AudioSource, PlaybackResult } from '../call/types.ts';
import { SrtcpContext, SrtpContext } from './srtp.ts';
import type { SendDigitsOptions } from './dtmf.ts';
import type { Scheduler } from './scheduler.ts';
import type { PortPool } from './port-pool.ts';
import { receiveDatagrams, type RtpSocket } from './rtp-socket.ts';
import type { CodecUpdate, MediaSession, MediaSessionOptions } from './media-session.ts';
import { RtpSender } from './rtp-sender.ts';
import { RtpReceiver } from './rtp-receiver.ts';
import { isRtcp } from './rtcp.ts';
import { RtcpReporter, type PeerReport } from './rtcp-reporter.ts';

/** Options of {@link RtpSession.open}. */
export interface RtpSessionOptions extends MediaSessionOptions {
  portPool: PortPool;
  scheduler: Scheduler;
}

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
  /** Packets dropped: not RTP, unexpected payload type, SRTP authentication/replay failure, or from a source not the call's. */
  discarded: number;
}

type Keys = { localKey: Buffer; remoteKey: Buffer };

/** A call's RTP endpoint on one port of the pool. Create with {@link RtpSession.open}. */
export class RtpSession extends EventEmitter implements MediaSession {
  /** Our RTP port (even). */
  readonly localPort: number;
  private readonly sender: RtpSender;
  private readonly receiver: RtpReceiver;
  private readonly reporter: RtcpReporter | undefined;
  private closed = false;
  private update: CodecUpdate;
  private srtpOut: SrtpContext | undefined;
  private srtpIn: SrtpContext | undefined;
  private srtcpOut: SrtcpContext | undefined;
  private srtcpIn: SrtcpContext | undefined;
  private readonly stopReceiving: () => void;

  /**
   * Allocates a port from the pool and starts receiving.
   * @throws PortPoolExhaustedError when the pool has no free port (answer 503);
   *   RangeError when SRTP keys are not 30 bytes.
   */
  static async open(opts: RtpSessionOptions): Promise<RtpSession> {
    const { port, socket } = await opts.portPool.allocate();
    const rtcp = await opts.portPool.openRtcp(port);
    try {
      return new RtpSession(opts, port, socket, rtcp);
    } catch (err) {
      rtcp?.close();
      opts.portPool.release(port);
      throw err;
    }
  }

  private constructor(
    private readonly opts: RtpSessionOptions,
    port: number,
    private readonly socket: RtpSocket,
    /** The RTCP port (RTP port + 1), when it could be bound. */
    private readonly rtcp: RtpSocket | undefined,
  ) {
    super();
    this.localPort = port;
    this.update = opts;
    this.setKeys(opts.srtp);
    this.sender = new RtpSender(socket, opts.scheduler, this.sendFormat(), (err) => this.emit('playback-error', err));
    this.receiver = new RtpReceiver(this.receiveFormat(), {
      onDigit: (d) => this.emit('digit', d),
      onSource: (address, port) => this.onSource(address, port),
      onTimeout: () => this.emit('rtp-timeout'),
    }, { rtpTimeoutMs: opts.rtpTimeoutMs ?? 0, latch: opts.latch });
    if (opts.remote) this.setRemote(opts.remote.address, opts.remote.port);
    this.stopReceiving = receiveDatagrams(socket, this.receiver.onPacket);
    socket.on('error', this.onSocketError);
    this.reporter = rtcp && new RtcpReporter(rtcp, {
      ssrc: this.sender.ssrc,
      sent: () => ({ packets: this.sender.packetsSent, octets: this.sender.bytesSent, rtpTimestampNow: this.sender.rtpTimestampNow() }),
      receiveFigures: () => this.receiver.stats.reportFigures(),
      rtpDestination: () => this.sender.destination,
      // An SRTP call's RTCP is SRTCP, keyed like its SRTP (RFC 3711 section 3.4).
      protect: (packet) => (this.srtcpOut ? this.srtcpOut.protect(packet) : packet),
    }, `${this.sender.ssrc.toString(16)}@media-core`, opts.rtcpIntervalMs);
    if (rtcp) {
      receiveDatagrams(rtcp, (msg, rinfo) => {
        if (!isRtcp(msg) || !this.receiver.rtcpFrom(rinfo.address)) return;
        const plain = this.srtcpIn ? this.srtcpIn.unprotect(msg) : msg;
        if (plain) this.reporter?.onPacket(plain, rinfo);
      });
    }
  }

  /**
   * Takes each decoded caller frame: 160 samples (20 ms, 8 kHz), a new array per frame (a view
   * of a shared slab: see frame-slab.ts) that it may keep. Unset (the default), nothing is
   * decoded for nobody.
   */
  get onAudio(): ((frame: Int16Array) => void) | undefined {
    return this.receiver.onAudio;
  }

  set onAudio(fn: ((frame: Int16Array) => void) | undefined) {
    this.receiver.onAudio = fn;
  }

  /** Our synchronization source identifier (random 32-bit, RFC 3550 section 8). */
  get ssrc(): number {
    return this.sender.ssrc;
  }

  /** RTCP so far: reports sent and received, and the peer's view of our stream (undefined without RTCP). */
  get rtcpStats(): { reportsSent: number; reportsReceived: number; peer: PeerReport | undefined } | undefined {
    const r = this.reporter;
    return r && { reportsSent: r.reportsSent, reportsReceived: r.reportsReceived, peer: r.peer };
  }

  /** Where packets are sent (the latched source once symmetric RTP latched), if known. */
  get remote(): { address: string; port: number } | undefined {
    return this.sender.destination;
  }

  /** true after close(). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Counters so far. */
  get stats(): RtpStats {
    const s = this.sender;
    const r = this.receiver;
    return {
      packetsSent: s.packetsSent,
      packetsReceived: r.packetsReceived,
      bytesSent: s.bytesSent,
      bytesReceived: r.bytesReceived,
      bytes: s.bytesSent + r.bytesReceived,
      lost: r.stats.lost,
      jitter: r.stats.jitter,
      jitterMs: r.stats.jitterMs,
      discarded: r.discarded,
    };
  }

  /** Sets the destination from SDP (initial or re-INVITE); latching starts over. */
  setRemote(address: string, port: number): void {
    this.sender.setDestination({ address, port });
    this.receiver.expect({ address, port });
  }

  /**
   * Applies a re-INVITE's negotiation. SRTP contexts are kept when the keys are unchanged
   * (so rollover counters survive), rebuilt when they change, dropped when `srtp` is absent.
   * @throws RangeError when SRTP keys are not 30 bytes.
   */
  updateCodec(opts: CodecUpdate): void {
    const k = this.update.srtp;
    const sameKeys = k && opts.srtp ? k.localKey.equals(opts.srtp.localKey) && k.remoteKey.equals(opts.srtp.remoteKey) : !k && !opts.srtp;
    if (!sameKeys) this.setKeys(opts.srtp);
    const changed = opts.codec !== this.update.codec || opts.payloadType !== this.update.payloadType || !sameKeys;
    this.update = opts;
    this.sender.setFormat(this.sendFormat(), changed);
    this.receiver.setFormat(this.receiveFormat());
  }

  /**
   * Plays 8 kHz 16-bit mono PCM: a whole buffer, or chunks from an async iterable consumed as
   * they come (read ahead at most 1 s). Frames are 160 samples, the last one zero-padded.
   * A new play() or stopPlayback() ends the current one with completed=false; close() too.
   * While on hold the audio is consumed in real time but not sent.
   * @returns how it ended and the ms of audio consumed.
   */
  play(source: AudioSource): Promise<PlaybackResult> {
    return this.sender.play(source);
  }

  /** Ends the current playback (completed=false). No-op when nothing plays. */
  stopPlayback(): void {
    this.sender.stopPlayback();
  }

  /**
   * Sends digits as RFC 4733 telephone-events (or as in-band tones when no telephone-event
   * was negotiated), pausing audio playback meanwhile. Calls queue behind each other.
   * @param opts.durationMs tone length (default 100), opts.intervalMs gap between digits (default 200).
   * @throws (rejects) Error for characters other than 0-9 * # A-D.
   */
  sendDigits(digits: string, opts: SendDigitsOptions = {}): Promise<void> {
    return this.sender.sendDigits(digits, opts);
  }

  /** Hold (true): send nothing until hold(false); receiving continues. */
  hold(on: boolean): void {
    this.sender.hold(on);
  }

  /** Whether the peer is expected to send (false while it holds): rtp-timeout is suspended meanwhile. */
  expectMedia(on: boolean): void {
    this.receiver.expectMedia(on);
  }

  /** Stops everything and releases the port. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sender.close();
    this.receiver.close();
    this.stopReceiving();
    this.reporter?.close();
    this.rtcp?.close();
    this.opts.portPool.release(this.localPort);
    this.emit('close');
  }

  private onSource(address: string, port: number): void {
    const d = this.sender.destination;
    if (d?.address === address && d.port === port) return;
    this.sender.setDestination({ address, port });
    this.emit('latched', { address, port });
  }

  private readonly onSocketError = (err: Error): void => {
    this.emit('socket-error', err);
  };

  private setKeys(keys: Keys | undefined): void {
    this.srtpOut = keys ? new SrtpContext(keys.localKey) : undefined;
    this.srtpIn = keys ? new SrtpContext(keys.remoteKey) : undefined;
    this.srtcpOut = keys ? new SrtcpContext(keys.localKey) : undefined;
    this.srtcpIn = keys ? new SrtcpContext(keys.remoteKey) : undefined;
  }

  private sendFormat() {
    const u = this.update;
    return { codec: u.codec, payloadType: u.payloadType, telephoneEventPt: u.telephoneEventPt, srtp: this.srtpOut };
  }

  private receiveFormat() {
    const u = this.update;
    return { codec: u.codec, payloadType: u.payloadType, telephoneEventPt: u.telephoneEventPt, srtp: this.srtpIn };
  }
}
