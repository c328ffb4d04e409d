/**
 * Rewrites the RTP timestamp and sequence number of every packet in a pcap capture (libpcap
 * format, Ethernet / Linux cooked / raw IPv4 / BSD loopback link types, UDP over IPv4).
 *
 * Why: SIPp's play_pcap_audio replays a capture's RTP headers as they are, so pressing the same
 * digit twice replays one RFC 4733 event twice with the same RTP timestamp, and a receiver
 * rightly takes the second for a retransmission of the first (RFC 4733 section 2.5.1.3: the
 * timestamp identifies the event). A copy with a shifted timestamp is a new event.
 */

/** libpcap link types whose IPv4 header offset we know. */
const LINK_HEADER_BYTES: Record<number, number> = { 0: 4, 1: 14, 101: 0, 113: 16 };

export interface RtpShift {
  /** Added to each RTP timestamp (mod 2^32), in timestamp units (1/8000 s for telephone-event/8000). */
  timestamp: number;
  /** Added to each RTP sequence number (mod 2^16). */
  sequence: number;
}

/**
 * A copy of `pcap` with every UDP/RTP packet's timestamp and sequence number shifted. The UDP
 * checksum is set to 0 ("none", allowed for UDP over IPv4 by RFC 768) since the payload changed.
 * @throws Error for a file that is not a libpcap capture, or an unsupported link type.
 */
export function shiftRtpInPcap(pcap: Buffer, shift: RtpShift): Buffer {
  if (pcap.length < 24) throw new Error('not a pcap file: shorter than its global header');
  const magic = pcap.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const be = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!le && !be) throw new Error(`not a pcap file: magic 0x${magic.toString(16)}`);
  const u32 = (o: number) => (le ? pcap.readUInt32LE(o) : pcap.readUInt32BE(o));
  const linkType = u32(20);
  const linkBytes = LINK_HEADER_BYTES[linkType];
  if (linkBytes === undefined) throw new Error(`unsupported pcap link type ${linkType}`);
  const out = Buffer.from(pcap);
  let offset = 24;
  while (offset + 16 <= out.length) {
    const captured = u32(offset + 8);
    const start = offset + 16;
    const end = start + captured;
    if (end > out.length) break;
    const ip = start + linkBytes;
    if (ip + 20 <= end && out[ip]! >> 4 === 4 && out[ip + 9] === 17) {
      const udp = ip + (out[ip]! & 0x0f) * 4;
      const rtp = udp + 8;
      if (rtp + 12 <= end && out[rtp]! >> 6 === 2) {
        out.writeUInt16BE(0, udp + 6);
        out.writeUInt16BE((out.readUInt16BE(rtp + 2) + shift.sequence) & 0xffff, rtp + 2);
        out.writeUInt32BE((out.readUInt32BE(rtp + 4) + shift.timestamp) >>> 0, rtp + 4);
      }
    }
    offset = end;
  }
  return out;
}

/** [sequence, timestamp] of each RTP packet in a pcap (for tests and diagnostics). */
export function rtpHeadersInPcap(pcap: Buffer): [number, number][] {
  const result: [number, number][] = [];
  const le = pcap.readUInt32LE(0) === 0xa1b2c3d4 || pcap.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? pcap.readUInt32LE(o) : pcap.readUInt32BE(o));
  const linkBytes = LINK_HEADER_BYTES[u32(20)] ?? 14;
  let offset = 24;
  while (offset + 16 <= pcap.length) {
    const start = offset + 16;
    const end = start + u32(offset + 8);
    if (end > pcap.length) break;
    const ip = start + linkBytes;
    if (ip + 20 <= end && pcap[ip]! >> 4 === 4 && pcap[ip + 9] === 17) {
      const rtp = ip + (pcap[ip]! & 0x0f) * 4 + 8;
      if (rtp + 12 <= end) result.push([pcap.readUInt16BE(rtp + 2), pcap.readUInt32BE(rtp + 4)]);
    }
    offset = end;
  }
  return result;
}
