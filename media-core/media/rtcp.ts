/**
 * RTCP (RFC 3550 section 6) as far as the media core needs it today: a call's RTCP port (the
 * RTP port + 1, section 11) is bound so the peer's sender/receiver reports reach us, and a
 * report from the call's source counts as a sign of life for the RTP inactivity timeout
 * (a peer that sends only RTCP, e.g. while muted, is alive).
 */
/** RTCP packet types SR and RR (RFC 3550 section 12.1), one of which starts every compound packet. */
const RTCP_SR = 200;
const RTCP_RR = 201;

/**
 * true when msg looks like an RTCP compound packet (RFC 3550 appendix A.2, loosened for
 * SRTCP's trailer): version 2, first packet SR or RR, and its length field fits the datagram.
 */
export function isRtcp(msg: Uint8Array): boolean {
  if (msg.length < 8 || msg[0]! >> 6 !== 2) return false;
  const pt = msg[1]!;
  if (pt !== RTCP_SR && pt !== RTCP_RR) return false;
  return ((msg[2]! << 8) | msg[3]!) * 4 + 4 <= msg.length;
}

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970), RFC 3550 section 4. */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** A reception report block (RFC 3550 section 6.4.1), about one source we receive. */
export interface ReportBlock {
  ssrc: number;
  /** Fraction of packets lost since the previous report, 0-255 (lost / expected * 256). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed; clamped). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | highest). */
  extHighestSeq: number;
  /** Interarrival jitter, timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR from that source (0 = none). */
  lsr: number;
  /** Delay since that SR, 1/65536 s (0 = none). */
  dlsr: number;
}

/** Our sender information for an SR (RFC 3550 section 6.4.1). */
export interface SenderInfo {
  /** Wall-clock time of the report, Unix ms. */
  wallMs: number;
  /** RTP timestamp of the same instant. */
  rtpTimestamp: number;
  packets: number;
  /** Payload octets. */
  octets: number;
}

/** Middle 32 bits of the NTP timestamp of a Unix-ms time (the LSR unit, RFC 3550 section 6.4.1). */
export function ntpMiddle(wallMs: number): number {
  const sec = Math.floor(wallMs / 1000) + NTP_UNIX_OFFSET_S;
  const frac = Math.floor(((wallMs % 1000) / 1000) * 65536);
  return (((sec & 0xffff) << 16) | frac) >>> 0;
}

/**
 * Writes a compound RTCP packet (RFC 3550 section 6.1): an SR when `sender` is given, else an
 * RR, with at most one report block, then an SDES chunk with our CNAME (required in every
 * compound packet).
 * @param cname at most 255 bytes of UTF-8.
 * @returns the packet.
 */
export function buildRtcpReport(ssrc: number, sender: SenderInfo | undefined, block: ReportBlock | undefined, cname: string): Buffer {
  const name = Buffer.from(cname, 'utf8').subarray(0, 255);
  const reportLen = 8 + (sender ? 20 : 0) + (block ? 24 : 0);
  // SDES: header 4, SSRC 4, CNAME item (2 + n), END (1), padded to 32 bits.
  const sdesLen = Math.ceil((8 + 2 + name.length + 1) / 4) * 4;
  const out = Buffer.alloc(reportLen + sdesLen);
  out[0] = 0x80 | (block ? 1 : 0);
  out[1] = sender ? RTCP_SR : RTCP_RR;
  out.writeUInt16BE(reportLen / 4 - 1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  let o = 8;
  if (sender) {
    const sec = Math.floor(sender.wallMs / 1000) + NTP_UNIX_OFFSET_S;
    out.writeUInt32BE(sec >>> 0, o);
    out.writeUInt32BE(Math.floor(((sender.wallMs % 1000) / 1000) * 2 ** 32) >>> 0, o + 4);
    out.writeUInt32BE(sender.rtpTimestamp >>> 0, o + 8);
    out.writeUInt32BE(sender.packets >>> 0, o + 12);
    out.writeUInt32BE(sender.octets >>> 0, o + 16);
    o += 20;
  }
  if (block) {
    out.writeUInt32BE(block.ssrc >>> 0, o);
    out[o + 4] = Math.max(0, Math.min(255, block.fractionLost));
    out.writeIntBE(Math.max(-0x800000, Math.min(0x7fffff, block.cumulativeLost)), o + 5, 3);
    out.writeUInt32BE(block.extHighestSeq >>> 0, o + 8);
    out.writeUInt32BE(Math.min(0xffffffff, Math.round(block.jitter)) >>> 0, o + 12);
    out.writeUInt32BE(block.lsr >>> 0, o + 16);
    out.writeUInt32BE(block.dlsr >>> 0, o + 20);
    o += 24;
  }
  out[o] = 0x81; // V=2, one chunk
  out[o + 1] = 202; // SDES
  out.writeUInt16BE(sdesLen / 4 - 1, o + 2);
  out.writeUInt32BE(ssrc >>> 0, o + 4);
  out[o + 8] = 1; // CNAME
  out[o + 9] = name.length;
  name.copy(out, o + 10);
  return out; // END item and padding are the zeros left
}

/** What a peer's compound packet told us. */
export interface RtcpSummary {
  /** From an SR: its sender SSRC and the LSR value to echo (middle 32 bits of its NTP time). */
  sr?: { ssrc: number; lsr: number };
  /** Report blocks of SR/RR packets (the peer's view of the streams it receives). */
  blocks: ReportBlock[];
}

/**
 * Reads the SR and RR packets of a compound RTCP packet; other packet types are skipped.
 * Never throws: a malformed packet yields undefined (input from the network).
 */
export function parseRtcp(msg: Uint8Array): RtcpSummary | undefined {
  if (!isRtcp(msg)) return undefined;
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const out: RtcpSummary = { blocks: [] };
  let o = 0;
  while (o + 4 <= msg.length) {
    if (msg[o]! >> 6 !== 2) return undefined;
    const count = msg[o]! & 0x1f;
    const pt = msg[o + 1]!;
    const len = (v.getUint16(o + 2) + 1) * 4;
    if (o + len > msg.length) break; // SRTCP trailer or truncation: keep what was read
    let b = o + 8;
    if (pt === RTCP_SR) {
      if (len < 28) return undefined;
      out.sr = { ssrc: v.getUint32(o + 4), lsr: ((v.getUint32(o + 8) & 0xffff) << 16 | (v.getUint32(o + 12) >>> 16)) >>> 0 };
      b = o + 28;
    }
    if (pt === RTCP_SR || pt === RTCP_RR) {
      for (let i = 0; i < count && b + 24 <= o + len; i++, b += 24) {
        out.blocks.push({
          ssrc: v.getUint32(b),
          fractionLost: msg[b + 4]!,
          cumulativeLost: (v.getInt32(b + 4) << 8) >> 8,
          extHighestSeq: v.getUint32(b + 8),
          jitter: v.getUint32(b + 12),
          lsr: v.getUint32(b + 16),
          dlsr: v.getUint32(b + 20),
        });
      }
    }
    o += len;
  }
  return out;
}
