/**
 * The seam between the SIP/RTP engine (media-core/sip, media-core/media) and the
 * conversation runtime (media-core/conversation): one {@link Call} per inbound INVITE.
 *
 * Audio crosses this seam as 16-bit signed linear PCM, mono, 8000 Hz, in frames of
 * 160 samples (20 ms). G.711 coding, RTP, SRTP and pacing stay inside the engine.
 */
import type { EventEmitter } from 'node:events';
import type { SipHeader } from '../../events/sip-header.ts';

/** Samples per 20 ms frame at 8000 Hz. */
export const FRAME_SAMPLES = 160;

/** What the engine learned from the initial INVITE. Immutable for the call's life. */
export interface CallInfo {
  /** SIP Call-ID. */
  callId: string;
  /** Request-URI of the initial INVITE, as received. */
  requestUri: string;
  /** From header URI (without display name and tag). */
  fromUri: string;
  /** To header URI (without display name and tag). */
  toUri: string;
  /** Request-URI user part (the dialed number), e.g. "+15550100001" or "15550100001". */
  calledUser: string;
  /** From URI user part (the caller's number or name). Personal data: redact before logging. */
  callerUser: string;
  /** Display name of the From header, if any. */
  callerDisplayName?: string;
  /** Every header of the initial INVITE, in order, repeated headers kept, compact names expanded. */
  inviteHeaders: readonly SipHeader[];
  /** Signalling transport the INVITE came over. */
  transport: 'udp' | 'tcp' | 'tls';
  /** Where the INVITE came from. */
  remote: { address: string; port: number };
  /** Negotiated audio codec. */
  codec: 'PCMU' | 'PCMA';
  /** true when RFC 4733 telephone-event was negotiated (else in-band DTMF detection runs). */
  telephoneEvent: boolean;
  /** true when the media is SRTP (SDES, AES_CM_128_HMAC_SHA1_80). */
  srtp: boolean;
}

/** A DTMF digit the caller pressed. */
export interface DigitEvent {
  /** One of 0-9 * # A-D. */
  digit: string;
  /** Tone duration in ms when known (RFC 4733 duration / 8, INFO Duration). */
  durationMs?: number;
  /** How the digit arrived. */
  source: 'rfc4733' | 'info' | 'inband';
}

/** Why a call ended. */
export interface HangupEvent {
  /** remote: the peer sent BYE/CANCEL; local: hangup() or refer success; error: transport/RTP failure or drain deadline. */
  by: 'remote' | 'local' | 'error';
  reason: string;
}

/** PCM to play: a whole buffer, or chunks as they are produced (streamed TTS). 8 kHz 16-bit mono. */
export type AudioSource = Int16Array | AsyncIterable<Int16Array>;

/** How a playback ended. */
export interface PlaybackResult {
  /** true when every sample was sent; false when stopPlayback() or hangup cut it short. */
  completed: boolean;
  /** Audio actually sent, in ms. */
  playedMs: number;
}

/** Options of an outgoing REFER (RFC 3515, RFC 5589 blind transfer). */
export interface ReferOptions {
  /** Extra headers on the REFER request itself (custom_header send method). */
  headers?: SipHeader[];
  /** Headers embedded in the Refer-To URI as ?name=value (refer_to_header send method). */
  referToHeaders?: SipHeader[];
  /** Headers embedded in the REFER's Contact URI as ?name=value (contact_header send method). */
  contactHeaders?: SipHeader[];
  /** Referred-By value; default: the local URI of the dialog. */
  referredBy?: string;
  /** NOTIFY sipfrag status codes treated as success besides 2xx (accept_transfer_reject_codes). */
  acceptCodes?: number[];
  /** How long to wait for a final NOTIFY, in ms (default 30000). */
  timeoutMs?: number;
}

/** Result of refer(). On success the engine does not hang up by itself; the runtime sends BYE. */
export type ReferResult =
  | { status: 'success'; code: number }
  | { status: 'failure'; code: number; reason: string }
  | { status: 'rejected'; code: number; reason: string }
  | { status: 'timeout' };

/**
 * One inbound call. Events:
 * - 'answered' (): the 200 OK was acknowledged (ACK received) and media can flow.
 * - 'digit' (DigitEvent)
 * - 'audio' (frame: Int16Array of FRAME_SAMPLES samples): caller audio, decoded.
 * - 'hangup' (HangupEvent): emitted once; no method may be called usefully after it.
 */
export interface Call extends EventEmitter {
  readonly info: CallInfo;
  readonly state: 'ringing' | 'answered' | 'ended';
  /** Sends 200 OK with the SDP answer; resolves when ACK arrives. @throws if the call ended first. */
  answer(): Promise<void>;
  /** Refuses a ringing call with a final status (e.g. 404, 486, 503). */
  reject(status: number, reason?: string, headers?: SipHeader[]): void;
  /** Plays PCM; resolves when it finished or was stopped. One playback at a time: a new play() stops the old one. */
  play(source: AudioSource): Promise<PlaybackResult>;
  /** Stops the current playback at the next frame boundary (barge-in). */
  stopPlayback(): void;
  /** Sends digits as RFC 4733 events (or SIP INFO when no telephone-event was agreed). intervalMs default 200. */
  sendDigits(digits: string, opts?: { intervalMs?: number; durationMs?: number }): Promise<void>;
  /**
   * Sends REFER to `target` (sip: or tel: URI) and tracks the NOTIFYs to a result.
   * @throws UnsafeSipHeaderError (events/sip-header.ts) when the REFER would be malformed; nothing is sent.
   */
  refer(target: string, opts?: ReferOptions): Promise<ReferResult>;
  /** Sends BYE with the extra headers (end_session's sip.headers) and ends the call; headers the serializer refuses are dropped, the BYE still goes. */
  hangup(headers?: SipHeader[]): Promise<void>;
}
