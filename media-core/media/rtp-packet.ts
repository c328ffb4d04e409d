/**
 * RTP fixed header parsing and writing (RFC 3550 section 5.1).
 *
 * Parsing never throws: anything that is not a well-formed version-2 RTP packet yields null,
 * because packets come from the network and a bad one must not harm the call.
 */

/** Fixed RTP header length in bytes (RFC 3550 5.1), without CSRCs or extension. */
export const RTP_HEADER_LENGTH = 12;

/** A parsed RTP header with the location of the payload in the packet. */
export interface RtpHeader {
  /** Always 2. */
  version: number;
  padding: boolean;
  extension: boolean;
  /** Number of CSRC identifiers (0-15); they are skipped, not returned. */
  csrcCount: number;
  marker: boolean;
  /** 0-127. */
  payloadType: number;
  /** 16-bit sequence number. */
  sequenceNumber: number;
  /** 32-bit timestamp (unsigned), in the payload format's clock units (8000 Hz for G.711). */
  timestamp: number;
  /** 32-bit synchronization source (unsigned). */
  ssrc: number;
  /** Bytes of header incl. CSRCs and extension = offset of the payload. */
  headerLength: number;
  /** Payload bytes, padding excluded. */
  payloadLength: number;
}

/** A fresh header object to reuse with {@link parseRtpHeader} (avoids a per-packet allocation). */
export function emptyRtpHeader(): RtpHeader {
  return {
    version: 2, padding: false, extension: false, csrcCount: 0, marker: false, payloadType: 0,
    sequenceNumber: 0, timestamp: 0, ssrc: 0, headerLength: RTP_HEADER_LENGTH, payloadLength: 0,
  };
}

/**
 * Parses an RTP header.
 * @param buf the packet.
 * @param length bytes of `buf` that belong to the packet (default all).
 * @param out object to fill (reused across packets); a new one when omitted.
 * @returns the header, or null when the bytes are not a valid RTP v2 packet
 *   (too short, wrong version, CSRC/extension/padding running past the end).
 */
export function parseRtpHeader(buf: Uint8Array, length = buf.length, out?: RtpHeader): RtpHeader | null {
  if (!buf || length < RTP_HEADER_LENGTH || length > buf.length) return null;
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return null;
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let headerLength = RTP_HEADER_LENGTH + 4 * csrcCount;
  if (headerLength > length) return null;
  if (extension) {
    // RFC 3550 5.3.1: 16-bit profile id, 16-bit length in 32-bit words, then the data.
    if (headerLength + 4 > length) return null;
    const words = (buf[headerLength + 2]! << 8) | buf[headerLength + 3]!;
    headerLength += 4 + 4 * words;
    if (headerLength > length) return null;
  }
  let payloadLength = length - headerLength;
  if (padding) {
    const pad = buf[length - 1]!;
    if (pad === 0 || pad > payloadLength) return null;
    payloadLength -= pad;
  }
  const h = out ?? emptyRtpHeader();
  const b1 = buf[1]!;
  h.version = 2;
  h.padding = padding;
  h.extension = extension;
  h.csrcCount = csrcCount;
  h.marker = (b1 & 0x80) !== 0;
  h.payloadType = b1 & 0x7f;
  h.sequenceNumber = (buf[2]! << 8) | buf[3]!;
  h.timestamp = ((buf[4]! << 24) | (buf[5]! << 16) | (buf[6]! << 8) | buf[7]!) >>> 0;
  h.ssrc = ((buf[8]! << 24) | (buf[9]! << 16) | (buf[10]! << 8) | buf[11]!) >>> 0;
  h.headerLength = headerLength;
  h.payloadLength = payloadLength;
  return h;
}

/**
 * Writes a 12-byte RTP v2 header (no padding, extension or CSRC) at `offset`.
 * @param payloadType 0-127; sequenceNumber taken mod 2^16; timestamp and ssrc mod 2^32.
 * @returns the number of bytes written (12).
 * @throws RangeError when fewer than 12 bytes remain in `buf`.
 */
export function writeRtpHeader(
  buf: Uint8Array,
  offset: number,
  marker: boolean,
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
): number {
  if (offset < 0 || offset + RTP_HEADER_LENGTH > buf.length) throw new RangeError('RTP header does not fit');
  buf[offset] = 0x80;
  buf[offset + 1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  buf[offset + 2] = (sequenceNumber >>> 8) & 0xff;
  buf[offset + 3] = sequenceNumber & 0xff;
  buf[offset + 4] = (timestamp >>> 24) & 0xff;
  buf[offset + 5] = (timestamp >>> 16) & 0xff;
  buf[offset + 6] = (timestamp >>> 8) & 0xff;
  buf[offset + 7] = timestamp & 0xff;
  buf[offset + 8] = (ssrc >>> 24) & 0xff;
  buf[offset + 9] = (ssrc >>> 16) & 0xff;
  buf[offset + 10] = (ssrc >>> 8) & 0xff;
  buf[offset + 11] = ssrc & 0xff;
  return RTP_HEADER_LENGTH;
}

/** Fields needed to build a simple RTP packet. */
export interface RtpPacketFields {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

/** Builds a new packet = 12-byte header + payload (convenience for tests and non-hot paths). */
export function serializeRtp(fields: RtpPacketFields, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(RTP_HEADER_LENGTH + payload.length);
  writeRtpHeader(buf, 0, fields.marker ?? false, fields.payloadType, fields.sequenceNumber, fields.timestamp, fields.ssrc);
  buf.set(payload, RTP_HEADER_LENGTH);
  return buf;
}

/**
 * Length of the RTP header incl. CSRCs and extension, without looking at padding
 * (whose count byte is encrypted in SRTP packets).
 * @returns bytes, or -1 when the packet is shorter than its header or not version 2.
 */
export function rtpHeaderLength(buf: Uint8Array, length = buf.length): number {
  if (length < RTP_HEADER_LENGTH || length > buf.length || buf[0]! >> 6 !== 2) return -1;
  let n = RTP_HEADER_LENGTH + 4 * (buf[0]! & 0x0f);
  if ((buf[0]! & 0x10) !== 0) {
    if (n + 4 > length) return -1;
    n += 4 + 4 * ((buf[n + 2]! << 8) | buf[n + 3]!);
  }
  return n > length ? -1 : n;
}
