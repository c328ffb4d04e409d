/**
 * The RTP session API the SIP engine uses, whatever carries the packets (see carrier.ts).
 * See media-core/media/README.md for the semantics of each member.
 */
import type { EventEmitter } from 'node:events';
import type { AudioSource, PlaybackResult } from '../call/types.ts';
import type { G711Codec } from './g711.ts';
import type { SendDigitsOptions } from './dtmf.ts';
import type { RtpStats } from './rtp-session.ts';
import type { LatchOptions } from './latching.ts';

/** What an SDP negotiation applies to a session (re-INVITEs included). */
export interface CodecUpdate {
  codec: G711Codec;
  payloadType: number;
  telephoneEventPt?: number;
  /** SDES master keys, 30 bytes each (RFC 4568, AES_CM_128_HMAC_SHA1_80). */
  srtp?: { localKey: Buffer; remoteKey: Buffer };
}

/**
 * One call's RTP endpoint. Caller audio goes to `onAudio` (one direct callback: it runs per
 * packet). Events: 'digit' (DigitEvent), 'latched', 'rtp-timeout', 'socket-error',
 * 'playback-error', 'close'.
 */
export interface MediaSession extends EventEmitter {
  /** Takes each decoded caller frame (Int16Array, 160 samples, may be kept); unset = not decoded. */
  onAudio: ((frame: Int16Array) => void) | undefined;
  /** Our even RTP port. */
  readonly localPort: number;
  /** Our SSRC (RFC 3550 section 8). */
  readonly ssrc: number;
  readonly stats: RtpStats;
  /** Current destination (latched source once symmetric RTP latched). */
  readonly remote: { address: string; port: number } | undefined;
  readonly isClosed: boolean;
  setRemote(address: string, port: number): void;
  /** @throws RangeError when SRTP keys are not 30 bytes. */
  updateCodec(opts: CodecUpdate): void;
  play(source: AudioSource): Promise<PlaybackResult>;
  stopPlayback(): void;
  sendDigits(digits: string, opts?: SendDigitsOptions): Promise<void>;
  hold(on: boolean): void;
  /** Whether the peer is expected to send (false while it holds): 'rtp-timeout' is suspended meanwhile. */
  expectMedia(on: boolean): void;
  close(): void;
}

/** Per-call options of a carrier's session (the port and scheduler are the carrier's business). */
export interface MediaSessionOptions {
  codec: G711Codec;
  payloadType: number;
  telephoneEventPt?: number;
  remote?: { address: string; port: number };
  srtp?: { localKey: Buffer; remoteKey: Buffer };
  /** Emit 'rtp-timeout' after this many ms without a valid packet; 0 = off. */
  rtpTimeoutMs?: number;
  /** Who may become the call's source besides the SDP's address and port (strict latching). */
  latch?: LatchOptions;
  /** Mean RTCP report interval, ms (default 5000, the RFC 3550 minimum; tests shorten it). */
  rtcpIntervalMs?: number;
}
