/**
 * The media layer of the media core: G.711, RTP/SRTP, RFC 4733 and in-band DTMF, SDP
 * offer/answer, RTP port allocation and the shared 20 ms pacing scheduler.
 * See README.md in this folder for how the SIP engine uses it.
 */
export { encodeG711, decodeG711, g711Silence, G711_PAYLOAD_TYPE, type G711Codec } from './g711.ts';
export {
  negotiateAnswer, createOffer, acceptAnswer, isRejection, PTIME_MS, OFFER_TELEPHONE_EVENT_PT,
  type LocalMedia, type SdpNegotiation, type SdpRejection, type MediaDirection,
} from './sdp.ts';
export {
  parseRtpHeader, writeRtpHeader, serializeRtp, emptyRtpHeader, rtpHeaderLength, RTP_HEADER_LENGTH,
  type RtpHeader, type RtpPacketFields,
} from './rtp-packet.ts';
export {
  SrtpContext, deriveSrtpSessionKeys, aesCmKeystream, SRTP_SUITE, SRTP_MASTER_LENGTH, SRTP_AUTH_TAG_LENGTH,
  type SrtpSessionKeys,
} from './srtp.ts';
export { Scheduler, type PacedSender, type SchedulerOptions, type TickDeviationStats } from './scheduler.ts';
export { PortPool, PortPoolExhaustedError, type PortPoolOptions, type RtpPort } from './port-pool.ts';
export {
  DtmfReceiver, DtmfSender, DtmfStep, parseTelephoneEvent, writeTelephoneEvent, eventToDigit, digitToEvent, DTMF_DIGITS,
  type TelephoneEvent, type DtmfReceiverOptions, type SendDigitsOptions,
} from './dtmf.ts';
export { GoertzelDtmfDetector, DTMF_ROW_HZ, DTMF_COL_HZ, DTMF_KEYPAD, type GoertzelOptions } from './goertzel.ts';
export { synthesizeDtmf, dtmfFrequencies } from './dtmf-tone.ts';
export { Playback } from './playback.ts';
export { ReceiveStats } from './receive-stats.ts';
export { RtpSession, type RtpSessionOptions, type RtpStats } from './rtp-session.ts';
export { RtpSender, type SendFormat } from './rtp-sender.ts';
export { RtpReceiver, type ReceiveFormat, type ReceiverHooks, type ReceiverOptions } from './rtp-receiver.ts';
export type { MediaSession, MediaSessionOptions, CodecUpdate } from './media-session.ts';
export { openCarrier, type RtpCarrier, type CarrierKind, type CarrierOptions, type PacingStats } from './carrier.ts';
