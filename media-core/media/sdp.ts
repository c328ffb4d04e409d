/**
 * SDP offer/answer (RFC 3264) over SDP (RFC 4566) for one G.711 audio stream with optional
 * RFC 4733 telephone-event and SDES-keyed SRTP (RFC 4568, AES_CM_128_HMAC_SHA1_80).
 * Parsing and writing use sdp-transform; the negotiation rules are ours.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { isIP, isIPv4 } from 'node:net';
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { SRTP_MASTER_LENGTH, SRTP_SUITE } from './srtp.ts';

/** Media direction attribute (RFC 3264 section 5.1), from our point of view in results. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** Where and how we receive media. */
export interface LocalMedia {
  /** Our IP address for o= and c= (IPv4 dotted or IPv6). */
  address: string;
  /** Our RTP port (even). */
  port: number;
  /** o= session id; keep it for the dialog's life (random digits when omitted). */
  sessionId?: string;
  /** o= session version: 1 for the first SDP, +1 for each later one in the dialog (RFC 3264 section 8). */
  version?: number;
  /** Our SRTP master key || salt, 30 bytes; generated when SRTP is needed and this is omitted. */
  srtpKey?: Buffer;
  /** Local development: accept loopback media destinations (127.0.0.0/8); refused otherwise. */
  allowLoopback?: boolean;
}

/** The outcome of a successful negotiation. */
export interface SdpNegotiation {
  rejected?: false;
  /** The answer SDP (for negotiateAnswer: ours to send; for acceptAnswer: the peer's). */
  answerSdp: string;
  codec: 'PCMU' | 'PCMA';
  /** Payload type of the codec (0 or 8 normally). */
  payloadType: number;
  /** Payload type of telephone-event/8000 when both sides have it. */
  telephoneEventPt?: number;
  /** Where to send RTP (from the peer's c= and m=). 0.0.0.0 means the peer holds the call. */
  remote: { address: string; port: number };
  /** Our direction: 'recvonly' or 'inactive' means we must not send (the call is on hold). */
  direction: MediaDirection;
  /** Present when the stream is SRTP: keys are 30-byte master key || salt. */
  srtp?: { remoteKey: Buffer; localKey: Buffer; suite: typeof SRTP_SUITE };
  /** Packetization time in ms (always 20). */
  ptime: number;
  /** o= session id and version we used; pass version + 1 with the next offer or answer. */
  sessionId: string;
  version: number;
}

/** A negotiation that failed: the INVITE (or re-INVITE) gets this status, 488 Not Acceptable Here. */
export interface SdpRejection {
  rejected: true;
  status: 488;
  reason: string;
}

/** Our packetization time, ms. */
export const PTIME_MS = 20;
/** Payload type we offer for telephone-event. */
export const OFFER_TELEPHONE_EVENT_PT = 101;

const reject = (reason: string): SdpRejection => ({ rejected: true, status: 488, reason });

/**
 * Why the peer's media destination is unusable, or undefined when we may send there: an IPv4
 * literal (our RTP sockets are udp4; no hostnames, so no DNS lookup decides where media goes),
 * port 1024-65535, and not loopback (unless `allowLoopback`), multicast (224/4), link-local
 * (169.254/16), "this network" (0/8) or reserved/broadcast (240/4). c=0.0.0.0 is legal: the
 * RFC 2543 hold (RFC 3264 section 8.4), to which nothing is sent. These rules keep an offer
 * from turning the media core into a packet source aimed at third parties or at local
 * services (issue class: RFC 3264 section 5.1 lets an offer name any address).
 */
export function destinationProblem(address: string, port: number, allowLoopback = false): string | undefined {
  if (address === '0.0.0.0') return undefined;
  if (!isIPv4(address)) return isIP(address) ? `IPv6 media address ${address}: only IPv4 is supported` : 'connection address is not an IP literal';
  if (!(Number.isInteger(port) && port >= 1024 && port <= 65535)) return `media port ${port} is outside 1024-65535`;
  const [a, b] = address.split('.').map(Number) as [number, number];
  if (a === 127 && !allowLoopback) return 'loopback media address';
  if (a >= 224 && a <= 239) return 'multicast media address';
  if (a === 169 && b === 254) return 'link-local media address';
  if (a === 0 || a >= 240) return 'reserved or broadcast media address';
  return undefined;
}

const MIRROR: Record<MediaDirection, MediaDirection> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

function safeParse(sdp: string): SessionDescription | null {
  if (typeof sdp !== 'string' || !/^v=0/m.test(sdp)) return null;
  try {
    return parse(sdp);
  } catch {
    return null;
  }
}

const payloadList = (m: MediaDescription): number[] =>
  String(m.payloads ?? '').trim().split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n < 128);

/** Encoding name and clock rate of a payload type: from a=rtpmap, else the static table. */
function encodingOf(m: MediaDescription, pt: number): { name: string; rate: number } | undefined {
  const map = m.rtp.find((r) => r.payload === pt);
  if (map) return { name: map.codec.toUpperCase(), rate: map.rate ?? 0 };
  if (pt === 0) return { name: 'PCMU', rate: 8000 };
  if (pt === 8) return { name: 'PCMA', rate: 8000 };
  return undefined;
}

function pickCodec(m: MediaDescription): { codec: 'PCMU' | 'PCMA'; pt: number } | undefined {
  for (const pt of payloadList(m)) {
    const enc = encodingOf(m, pt);
    if (enc && enc.rate === 8000 && (enc.name === 'PCMU' || enc.name === 'PCMA')) return { codec: enc.name, pt };
  }
  return undefined;
}

function telephoneEventPt(m: MediaDescription): number | undefined {
  const pts = payloadList(m);
  return m.rtp.find((r) => r.codec.toLowerCase() === 'telephone-event' && r.rate === 8000 && pts.includes(r.payload))?.payload;
}

function directionOf(session: SessionDescription, m: MediaDescription): MediaDirection {
  return (m.direction ?? session.direction ?? 'sendrecv') as MediaDirection;
}

function connectionOf(session: SessionDescription, m: MediaDescription): string | undefined {
  return m.connection?.ip ?? session.connection?.ip;
}

const isSecure = (proto: string) => /^RTP\/SAVPF?$/i.test(proto.trim());
const isPlain = (proto: string) => /^RTP\/AVPF?$/i.test(proto.trim());

/** The 30-byte master key of an acceptable a=crypto line (our suite, no MKI, no session params). */
function cryptoKey(line: { suite: string; config: string; sessionConfig?: string }): Buffer | undefined {
  if (line.suite !== SRTP_SUITE || line.sessionConfig) return undefined;
  const first = line.config.split(';')[0]!;
  if (!first.startsWith('inline:')) return undefined;
  const [b64, ...params] = first.slice('inline:'.length).split('|');
  if (params.some((p) => p.includes(':'))) return undefined; // MKI present: unsupported
  const key = Buffer.from(b64!, 'base64');
  return key.length === SRTP_MASTER_LENGTH ? key : undefined;
}

function origin(local: LocalMedia): { sessionId: string; version: number; o: SessionDescription['origin'] } {
  const sessionId = local.sessionId ?? String(randomInt(1, 2 ** 47));
  const version = local.version ?? 1;
  return {
    sessionId,
    version,
    o: { username: '-', sessionId, sessionVersion: version, netType: 'IN', ipVer: ipVer(local.address), address: local.address },
  };
}

const ipVer = (address: string): number => (address.includes(':') ? 6 : 4);

function audioMedia(
  port: number,
  protocol: string,
  codecs: Array<{ pt: number; name: string }>,
  tePt: number | undefined,
  direction: MediaDirection,
  crypto?: { id: number; key: Buffer },
): MediaDescription {
  const rtp = codecs.map((c) => ({ payload: c.pt, codec: c.name, rate: 8000 }));
  const m: MediaDescription = {
    type: 'audio',
    port,
    protocol,
    payloads: [...codecs.map((c) => c.pt), ...(tePt !== undefined ? [tePt] : [])].join(' '),
    rtp: tePt !== undefined ? [...rtp, { payload: tePt, codec: 'telephone-event', rate: 8000 }] : rtp,
    fmtp: tePt !== undefined ? [{ payload: tePt, config: '0-15' }] : [],
    ptime: PTIME_MS,
    direction,
  };
  if (crypto) m.crypto = [{ id: crypto.id, suite: SRTP_SUITE, config: `inline:${crypto.key.toString('base64')}` }];
  return m;
}

function sessionSdp(local: LocalMedia, o: SessionDescription['origin'], media: MediaDescription[]): string {
  const session: SessionDescription = {
    version: 0,
    origin: o,
    name: '-',
    connection: { version: ipVer(local.address), ip: local.address },
    timing: { start: 0, stop: 0 },
    media,
  };
  return write(session);
}

/**
 * Answers an SDP offer (RFC 3264 section 6), for an initial INVITE or a re-INVITE
 * (hold: a=sendonly/a=inactive/c=0.0.0.0 yields direction recvonly/inactive; unhold yields
 * sendrecv again). For a re-INVITE pass the same port, srtpKey and sessionId, and version + 1.
 *
 * Rules: the first audio stream with a non-zero port is used, other streams are refused with
 * port 0; the codec is the first offered of PCMU/PCMA at 8000 Hz; telephone-event/8000 is
 * kept with the offer's payload type; ptime 20; direction mirrored; RTP/SAVP needs an
 * a=crypto AES_CM_128_HMAC_SHA1_80 line with an inline key (no MKI) and is answered with our
 * own key under the same tag.
 * The peer's destination must pass {@link destinationProblem}.
 * @returns the negotiation, or a rejection (status 488) saying why; never throws on bad SDP.
 */
export function negotiateAnswer(offerSdp: string, local: LocalMedia): SdpNegotiation | SdpRejection {
  const offer = safeParse(offerSdp);
  if (!offer || !offer.media?.length) return reject('offer has no media description');
  const audioIndex = offer.media.findIndex((m) => m.type === 'audio' && m.port > 0 && (isSecure(m.protocol) || isPlain(m.protocol)));
  if (audioIndex < 0) return reject('no usable audio stream offered (RTP/AVP or RTP/SAVP with a non-zero port)');
  const m = offer.media[audioIndex]!;
  const chosen = pickCodec(m);
  if (!chosen) return reject('no acceptable codec offered (PCMU or PCMA at 8000 Hz)');
  const address = connectionOf(offer, m);
  if (!address) return reject('offer has no connection address (c=)');
  const unusable = destinationProblem(address, m.port, local.allowLoopback);
  if (unusable) return reject(unusable);
  const tePt = telephoneEventPt(m);

  let srtp: SdpNegotiation['srtp'];
  let crypto: { id: number; key: Buffer } | undefined;
  if (isSecure(m.protocol)) {
    const line = (m.crypto ?? []).find((c) => cryptoKey(c) !== undefined);
    if (!line) return reject(`RTP/SAVP offered without an acceptable a=crypto ${SRTP_SUITE} inline key`);
    const localKey = local.srtpKey ?? randomBytes(SRTP_MASTER_LENGTH);
    if (localKey.length !== SRTP_MASTER_LENGTH) return reject('local SRTP key is not 30 bytes');
    srtp = { remoteKey: cryptoKey(line)!, localKey, suite: SRTP_SUITE };
    crypto = { id: line.id, key: localKey };
  }

  // RFC 3264 section 8.4: c=0.0.0.0 is the pre-3264 way to put a call on hold.
  const offered = directionOf(offer, m);
  const peerDirection = address === '0.0.0.0' && offered === 'sendrecv' ? 'sendonly' : offered;
  const direction = MIRROR[peerDirection] ?? 'sendrecv';
  const { sessionId, version, o } = origin(local);
  const media = offer.media.map((om, i): MediaDescription =>
    i === audioIndex
      ? audioMedia(local.port, m.protocol, [{ pt: chosen.pt, name: chosen.codec }], tePt, direction, crypto)
      : { type: om.type, port: 0, protocol: om.protocol, payloads: String(om.payloads ?? '').split(' ')[0] ?? '0', rtp: [], fmtp: [] },
  );
  return {
    answerSdp: sessionSdp(local, o, media),
    codec: chosen.codec,
    payloadType: chosen.pt,
    ...(tePt !== undefined ? { telephoneEventPt: tePt } : {}),
    remote: { address, port: m.port },
    direction,
    ...(srtp ? { srtp } : {}),
    ptime: PTIME_MS,
    sessionId,
    version,
  };
}

/**
 * Our offer (RFC 3264 section 5), e.g. in the 200 OK to an INVITE without SDP: PCMU (0),
 * PCMA (8), telephone-event (101), ptime 20; RTP/SAVP with an a=crypto line carrying
 * `srtpKey` (or a fresh key) when `srtp` is true.
 * @param local.direction defaults to sendrecv (sendonly to put the peer on hold).
 */
export function createOffer(local: LocalMedia & { srtp?: boolean; direction?: MediaDirection }): string {
  const { o } = origin(local);
  const key = local.srtp ? (local.srtpKey ?? randomBytes(SRTP_MASTER_LENGTH)) : undefined;
  if (key && key.length !== SRTP_MASTER_LENGTH) throw new RangeError('srtpKey must be 30 bytes');
  const media = audioMedia(
    local.port,
    key ? 'RTP/SAVP' : 'RTP/AVP',
    [{ pt: 0, name: 'PCMU' }, { pt: 8, name: 'PCMA' }],
    OFFER_TELEPHONE_EVENT_PT,
    local.direction ?? 'sendrecv',
    key ? { id: 1, key } : undefined,
  );
  return sessionSdp(local, o, [media]);
}

/**
 * Applies the peer's answer to our offer (e.g. the SDP of the ACK after a 200 OK offer).
 * The codec is the first PCMU/PCMA of the answer that we offered; our SRTP key is read back
 * from the offer's a=crypto line with the tag the answer chose.
 * @param allowLoopback local development: accept a loopback destination (see {@link destinationProblem}).
 * @returns the negotiation (answerSdp = the peer's answer) or a rejection (488) when the
 *   answer refuses the stream, picks nothing we offered, drops SRTP we required, or names an
 *   unusable destination.
 */
export function acceptAnswer(offerSdp: string, answerSdp: string, allowLoopback = false): SdpNegotiation | SdpRejection {
  const offer = safeParse(offerSdp);
  const answer = safeParse(answerSdp);
  if (!offer || !answer) return reject('offer or answer is not SDP');
  const oi = offer.media.findIndex((m) => m.type === 'audio' && m.port > 0);
  const om = offer.media[oi];
  const am = answer.media[oi];
  if (!om || !am || am.type !== 'audio') return reject('answer has no audio stream matching the offer');
  if (am.port === 0) return reject('answer refused the audio stream (port 0)');
  const offeredPts = payloadList(om);
  const chosen = pickCodec({ ...am, payloads: payloadList(am).filter((pt) => offeredPts.includes(pt)).join(' ') });
  if (!chosen) return reject('answer selected no codec we offered');
  const address = connectionOf(answer, am);
  if (!address) return reject('answer has no connection address (c=)');
  const unusable = destinationProblem(address, am.port, allowLoopback);
  if (unusable) return reject(unusable);
  const tePt = telephoneEventPt(am);

  let srtp: SdpNegotiation['srtp'];
  if (isSecure(om.protocol)) {
    if (!isSecure(am.protocol)) return reject('answer dropped SRTP');
    const aLine = (am.crypto ?? []).find((c) => cryptoKey(c) !== undefined);
    const oLine = aLine && (om.crypto ?? []).find((c) => c.id === aLine.id && cryptoKey(c) !== undefined);
    if (!aLine || !oLine) return reject(`answer has no acceptable a=crypto ${SRTP_SUITE} line matching the offer`);
    srtp = { remoteKey: cryptoKey(aLine)!, localKey: cryptoKey(oLine)!, suite: SRTP_SUITE };
  }
  const answered = directionOf(answer, am);
  const peerDirection = address === '0.0.0.0' && answered === 'sendrecv' ? 'sendonly' : answered;
  const ours = directionOf(offer, om);
  // What we may do is what we offered, narrowed by what the peer answered.
  const canSend = ours !== 'recvonly' && ours !== 'inactive' && (peerDirection === 'sendrecv' || peerDirection === 'recvonly');
  const canRecv = ours !== 'sendonly' && ours !== 'inactive' && (peerDirection === 'sendrecv' || peerDirection === 'sendonly');
  const direction: MediaDirection = canSend && canRecv ? 'sendrecv' : canSend ? 'sendonly' : canRecv ? 'recvonly' : 'inactive';
  return {
    answerSdp,
    codec: chosen.codec,
    payloadType: chosen.pt,
    ...(tePt !== undefined ? { telephoneEventPt: tePt } : {}),
    remote: { address, port: am.port },
    direction,
    ...(srtp ? { srtp } : {}),
    ptime: PTIME_MS,
    sessionId: String(offer.origin?.sessionId ?? ''),
    version: Number(offer.origin?.sessionVersion ?? 1),
  };
}

/** true when a negotiation result is a rejection. */
export function isRejection(r: SdpNegotiation | SdpRejection): r is SdpRejection {
  return r.rejected === true;
}
