/**
 * SRTP (RFC 3711) for the crypto suite AES_CM_128_HMAC_SHA1_80 (RFC 4568 section 6.2.1):
 * AES-128 counter mode encryption of the RTP payload (3711 section 4.1.1), HMAC-SHA1 over
 * header + payload + ROC truncated to 80 bits (section 4.2.1), session keys derived from the
 * master key and salt with the AES-CM PRF and key derivation rate 0 (section 4.3), packet
 * index estimation with the rollover counter (section 3.3.1) and a 64-packet replay window
 * (section 3.3.2); and SRTCP (section 3.4) for the RTCP of SRTP calls: the same suite with the
 * SRTCP labels, the compound packet encrypted after its first 8 bytes, the E flag and a 31-bit
 * SRTCP index, and a 64-index replay window.
 *
 * Packets are processed in place so the per-packet path allocates only what node:crypto
 * itself returns.
 */
import { createCipheriv, createHmac, timingSafeEqual, type Cipher } from 'node:crypto';
import { rtpHeaderLength } from './rtp-packet.ts';

/** The one supported crypto suite (RFC 4568 section 6.2.1). */
export const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80';
/** Bytes of the master key || master salt of that suite (16 + 14). */
export const SRTP_MASTER_LENGTH = 30;
/** Bytes of the authentication tag appended to each SRTP packet (80 bits). */
export const SRTP_AUTH_TAG_LENGTH = 10;

/** SRTP session keys for RTP (RFC 3711 section 4.3.1). */
export interface SrtpSessionKeys {
  /** k_e, 16 bytes (label 0x00). */
  encryptionKey: Buffer;
  /** k_a, 20 bytes (label 0x01). */
  authenticationKey: Buffer;
  /** k_s, 14 bytes (label 0x02). */
  salt: Buffer;
}

function ecb(key: Buffer): Cipher {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return c;
}

/** Counter blocks of AES-CM: IV with its low 16 bits counting blocks (3711 section 4.1.1). */
function fillCounters(counters: Buffer, iv: Uint8Array, blocks: number): void {
  for (let j = 0; j < blocks; j++) {
    const o = j * 16;
    for (let b = 0; b < 14; b++) counters[o + b] = iv[b]!;
    // The IV's low 16 bits are zero for every SRTP packet and for key derivation.
    const low = ((iv[14]! << 8) | iv[15]!) + j;
    counters[o + 14] = (low >>> 8) & 0xff;
    counters[o + 15] = low & 0xff;
  }
}

/**
 * The AES-CM keystream (RFC 3711 section 4.1.1) for a 16-byte key and 16-byte IV.
 * @param length bytes wanted (at most 65536 blocks * 16).
 * @throws RangeError on bad key/IV length.
 */
export function aesCmKeystream(key: Buffer, iv: Uint8Array, length: number): Buffer {
  if (key.length !== 16 || iv.length !== 16) throw new RangeError('AES-CM needs a 16-byte key and a 16-byte IV');
  const blocks = Math.ceil(length / 16);
  if (blocks > 65536) throw new RangeError('AES-CM keystream longer than 2^16 blocks');
  const counters = Buffer.alloc(blocks * 16);
  fillCounters(counters, iv, blocks);
  return ecb(key).update(counters).subarray(0, length);
}

/**
 * Derives the SRTP session keys with the AES-CM PRF, kdr = 0 (RFC 3711 section 4.3.1/4.3.3).
 * @param masterKey 16 bytes; @param masterSalt 14 bytes.
 * @throws RangeError on other lengths.
 */
export function deriveSrtpSessionKeys(masterKey: Buffer, masterSalt: Buffer, labels: readonly [number, number, number] = SRTP_LABELS): SrtpSessionKeys {
  if (masterKey.length !== 16 || masterSalt.length !== 14) throw new RangeError('SRTP master key must be 16 bytes and salt 14 bytes');
  const derive = (label: number, length: number): Buffer => {
    // x = key_id XOR master_salt, key_id = label || r (r = 0 because kdr = 0); IV = x * 2^16.
    const iv = Buffer.alloc(16);
    masterSalt.copy(iv, 0);
    iv[7]! ^= label;
    return Buffer.from(aesCmKeystream(masterKey, iv, length));
  };
  return { encryptionKey: derive(labels[0], 16), authenticationKey: derive(labels[1], 20), salt: derive(labels[2], 14) };
}

/** Key derivation labels of k_e, k_a, k_s (RFC 3711 section 4.3.2): SRTP 0-2, SRTCP 3-5. */
const SRTP_LABELS = [0, 1, 2] as const;
const SRTCP_LABELS = [3, 4, 5] as const;

/** Per-SSRC cryptographic state (RFC 3711 section 3.2.3). */
interface StreamState {
  roc: number;
  /** Highest sequence number seen (s_l). */
  sLast: number;
  /** Highest packet index authenticated (receiver side). */
  highest: number;
  /** Replay window: slot i % 64 holds the last index i received in it. */
  window: Float64Array;
  /** Keystream cached for packet indices [ksBase, ksBase + KS_PACKETS), KS_BYTES each. */
  ksBase: number;
  ks: Buffer | null;
}

const MAX_PACKET = 1500;
const MAX_STREAMS = 8;
/**
 * The keystream of a packet depends only on the SSRC and the packet index, both predictable,
 * so it is computed for KS_PACKETS consecutive indices in one cipher call: node:crypto's
 * fixed cost per call dominates for a 160-byte G.711 payload.
 */
const KS_PACKETS = 32;
const KS_BYTES = 160;

/**
 * One direction of an SRTP session: use one context with the local master key to protect
 * what we send, and another with the peer's key to unprotect what we receive.
 */
export class SrtpContext {
  private readonly keys: SrtpSessionKeys;
  private readonly cipher: Cipher;
  private readonly streams = new Map<number, StreamState>();
  private readonly iv = Buffer.alloc(16);
  private readonly counters = Buffer.alloc(Math.max(Math.ceil(MAX_PACKET / 16) * 16, KS_PACKETS * KS_BYTES));
  private readonly rocBytes = Buffer.alloc(4);

  /**
   * @param master 30 bytes: 16-byte master key followed by the 14-byte master salt
   *   (the decoded `inline:` key of an a=crypto line, RFC 4568 section 6.1).
   * @throws RangeError when `master` is not 30 bytes.
   */
  constructor(master: Buffer) {
    if (!master || master.length !== SRTP_MASTER_LENGTH) throw new RangeError(`SRTP master key||salt must be ${SRTP_MASTER_LENGTH} bytes`);
    this.keys = deriveSrtpSessionKeys(master.subarray(0, 16), master.subarray(16, 30));
    this.cipher = ecb(this.keys.encryptionKey);
  }

  /**
   * Turns the RTP packet in buf[0, length) into SRTP in place: payload encrypted and the
   * 10-byte tag appended.
   * @returns the SRTP length (length + 10), or -1 when the packet is not RTP or `buf` has no
   *   room for the tag.
   */
  protect(buf: Buffer, length: number): number {
    const headerLength = rtpHeaderLength(buf, length);
    if (headerLength < 0 || length + SRTP_AUTH_TAG_LENGTH > buf.length || length > MAX_PACKET) return -1;
    const seq = buf.readUInt16BE(2);
    const ssrc = buf.readUInt32BE(8);
    const s = this.stream(ssrc, seq);
    const v = estimateRoc(s, seq);
    if (v > s.roc) { s.roc = v; s.sLast = seq; } else if (v === s.roc && seq > s.sLast) s.sLast = seq;
    this.crypt(s, buf, headerLength, length, ssrc, v, seq);
    this.tag(buf, length, v).copy(buf, length, 0, SRTP_AUTH_TAG_LENGTH);
    return length + SRTP_AUTH_TAG_LENGTH;
  }

  /**
   * Checks and decrypts the SRTP packet in buf[0, length) in place.
   * @returns the RTP length (length - 10), or -1 when the packet is malformed, fails
   *   authentication, or is a replay or older than the 64-packet window.
   */
  unprotect(buf: Buffer, length: number): number {
    const rtpLength = length - SRTP_AUTH_TAG_LENGTH;
    const headerLength = rtpHeaderLength(buf, rtpLength);
    if (headerLength < 0 || rtpLength > MAX_PACKET) return -1;
    const seq = buf.readUInt16BE(2);
    const ssrc = buf.readUInt32BE(8);
    const known = this.streams.get(ssrc);
    const s = known ?? newStream(seq);
    const v = estimateRoc(s, seq);
    const index = v * 65536 + seq;
    if (known) {
      if (index <= s.highest - 64) return -1;
      if (index <= s.highest && s.window[index % 64] === index) return -1;
    }
    const expected = this.tag(buf, rtpLength, v);
    if (!timingSafeEqual(expected.subarray(0, SRTP_AUTH_TAG_LENGTH), buf.subarray(rtpLength, length))) return -1;
    if (!known) this.remember(ssrc, s);
    this.crypt(s, buf, headerLength, rtpLength, ssrc, v, seq);
    if (v > s.roc) { s.roc = v; s.sLast = seq; } else if (v === s.roc && seq > s.sLast) s.sLast = seq;
    if (index > s.highest) s.highest = index;
    s.window[index % 64] = index;
    return rtpLength;
  }

  private stream(ssrc: number, seq: number): StreamState {
    let s = this.streams.get(ssrc);
    if (!s) { s = newStream(seq); this.remember(ssrc, s); }
    return s;
  }

  private remember(ssrc: number, s: StreamState): void {
    // SSRC changes are rare; bound the map so a peer cycling SSRCs cannot grow it.
    if (this.streams.size >= MAX_STREAMS) this.streams.delete(this.streams.keys().next().value!);
    this.streams.set(ssrc, s);
  }

  /** XORs the AES-CM keystream over buf[from, to) (3711 section 4.1.1 IV). */
  private crypt(s: StreamState, buf: Buffer, from: number, to: number, ssrc: number, roc: number, seq: number): void {
    const n = to - from;
    if (n <= 0) return;
    const index = roc * 65536 + seq;
    if (n <= KS_BYTES) {
      let k = index - s.ksBase;
      if (!s.ks || k < 0 || k >= KS_PACKETS) {
        // Refill from this index: later packets of the stream are the next indices.
        const counters = this.counters;
        for (let j = 0; j < KS_PACKETS; j++) {
          const i = index + j;
          packetIv(this.iv, this.keys.salt, ssrc, i);
          fillCounters(counters.subarray(j * KS_BYTES), this.iv, KS_BYTES / 16);
        }
        s.ks = this.cipher.update(counters.subarray(0, KS_PACKETS * KS_BYTES));
        s.ksBase = index;
        k = 0;
      }
      const ks = s.ks;
      const o = k * KS_BYTES;
      for (let i = 0; i < n; i++) buf[from + i]! ^= ks[o + i]!;
      return;
    }
    packetIv(this.iv, this.keys.salt, ssrc, index);
    const blocks = (n + 15) >>> 4;
    fillCounters(this.counters, this.iv, blocks);
    const ks = this.cipher.update(this.counters.subarray(0, blocks * 16));
    for (let i = 0; i < n; i++) buf[from + i]! ^= ks[i]!;
  }

  private tag(buf: Buffer, length: number, roc: number): Buffer {
    this.rocBytes.writeUInt32BE(roc >>> 0, 0);
    return createHmac('sha1', this.keys.authenticationKey).update(buf.subarray(0, length)).update(this.rocBytes).digest();
  }
}

/**
 * The AES-CM IV of a packet into `iv` (RFC 3711 section 4.1.1): (k_s * 2^16) XOR (SSRC * 2^64)
 * XOR (i * 2^16), where i is the 48-bit SRTP packet index (2^16 * ROC + SEQ) or the 31-bit
 * SRTCP index.
 */
function packetIv(iv: Buffer, salt: Buffer, ssrc: number, index: number): void {
  salt.copy(iv, 0);
  iv[14] = 0;
  iv[15] = 0;
  iv[4]! ^= ssrc >>> 24; iv[5]! ^= (ssrc >>> 16) & 0xff; iv[6]! ^= (ssrc >>> 8) & 0xff; iv[7]! ^= ssrc & 0xff;
  const hi = Math.floor(index / 0x100000000);
  const lo = index >>> 0;
  iv[8]! ^= (hi >>> 8) & 0xff; iv[9]! ^= hi & 0xff;
  iv[10]! ^= lo >>> 24; iv[11]! ^= (lo >>> 16) & 0xff; iv[12]! ^= (lo >>> 8) & 0xff; iv[13]! ^= lo & 0xff;
}

function newStream(seq: number): StreamState {
  return { roc: 0, sLast: seq, highest: -1, window: new Float64Array(64).fill(-1), ksBase: -1, ks: null };
}

/** RFC 3711 section 3.3.1: the ROC guess v for a received sequence number. */
function estimateRoc(s: StreamState, seq: number): number {
  if (s.sLast < 32768) return seq - s.sLast > 32768 ? Math.max(0, s.roc - 1) : s.roc;
  return s.sLast - 32768 > seq ? s.roc + 1 : s.roc;
}

/** Bytes of the E flag and SRTCP index that follow the (encrypted) compound packet. */
const SRTCP_INDEX_LENGTH = 4;
/** The RTCP header and sender SSRC, sent in the clear (RFC 3711 section 3.4). */
const SRTCP_CLEAR_LENGTH = 8;

/**
 * One direction of SRTCP (RFC 3711 section 3.4) for AES_CM_128_HMAC_SHA1_80, keyed by the
 * same master key and salt as that direction's SRTP. RTCP is a few packets per call every few
 * seconds, so packets are copied rather than processed in place.
 */
export class SrtcpContext {
  private readonly keys: SrtpSessionKeys;
  private readonly iv = Buffer.alloc(16);
  /** Next SRTCP index to send (31 bits). */
  private nextIndex = 0;
  /** Replay state of what we receive, per sender SSRC (bounded like SRTP's streams). */
  private readonly received = new Map<number, { highest: number; window: Float64Array }>();

  /** @param master 30 bytes, as for {@link SrtpContext}. @throws RangeError when it is not. */
  constructor(master: Buffer) {
    if (!master || master.length !== SRTP_MASTER_LENGTH) throw new RangeError(`SRTP master key||salt must be ${SRTP_MASTER_LENGTH} bytes`);
    this.keys = deriveSrtpSessionKeys(master.subarray(0, 16), master.subarray(16, 30), SRTCP_LABELS);
  }

  /**
   * The SRTCP packet of a compound RTCP packet: encrypted after its first 8 bytes, E=1 and the
   * index appended, then the 10-byte tag over all of that.
   * @returns undefined when `rtcp` is shorter than an RTCP header or longer than 1500 bytes.
   */
  protect(rtcp: Buffer): Buffer | undefined {
    if (rtcp.length < SRTCP_CLEAR_LENGTH || rtcp.length > MAX_PACKET) return undefined;
    const index = this.nextIndex;
    this.nextIndex = (this.nextIndex + 1) & 0x7fffffff;
    const out = Buffer.alloc(rtcp.length + SRTCP_INDEX_LENGTH + SRTP_AUTH_TAG_LENGTH);
    rtcp.copy(out);
    this.crypt(out, rtcp.length, rtcp.readUInt32BE(4), index);
    out.writeUInt32BE((0x80000000 | index) >>> 0, rtcp.length);
    this.tag(out, rtcp.length + SRTCP_INDEX_LENGTH).copy(out, rtcp.length + SRTCP_INDEX_LENGTH, 0, SRTP_AUTH_TAG_LENGTH);
    return out;
  }

  /**
   * The compound RTCP packet inside an SRTCP packet.
   * @returns undefined when it is malformed, fails authentication, or is a replay or older than
   *   the 64-index window.
   */
  unprotect(srtcp: Buffer): Buffer | undefined {
    const end = srtcp.length - SRTP_AUTH_TAG_LENGTH - SRTCP_INDEX_LENGTH;
    if (end < SRTCP_CLEAR_LENGTH || srtcp.length > MAX_PACKET + SRTCP_INDEX_LENGTH + SRTP_AUTH_TAG_LENGTH) return undefined;
    const expected = this.tag(srtcp, end + SRTCP_INDEX_LENGTH);
    if (!timingSafeEqual(expected.subarray(0, SRTP_AUTH_TAG_LENGTH), srtcp.subarray(end + SRTCP_INDEX_LENGTH))) return undefined;
    const word = srtcp.readUInt32BE(end);
    const index = word & 0x7fffffff;
    const ssrc = srtcp.readUInt32BE(4);
    let r = this.received.get(ssrc);
    if (r && (index <= r.highest - 64 || (index <= r.highest && r.window[index % 64] === index))) return undefined;
    const out = Buffer.from(srtcp.subarray(0, end));
    if (word & 0x80000000) this.crypt(out, end, ssrc, index);
    if (!r) {
      if (this.received.size >= MAX_STREAMS) this.received.delete(this.received.keys().next().value!);
      r = { highest: -1, window: new Float64Array(64).fill(-1) };
      this.received.set(ssrc, r);
    }
    if (index > r.highest) r.highest = index;
    r.window[index % 64] = index;
    return out;
  }

  /** XORs the keystream over buf[8, end): IV = k_s * 2^16 XOR SSRC * 2^64 XOR index * 2^16. */
  private crypt(buf: Buffer, end: number, ssrc: number, index: number): void {
    packetIv(this.iv, this.keys.salt, ssrc, index);
    const ks = aesCmKeystream(this.keys.encryptionKey, this.iv, end - SRTCP_CLEAR_LENGTH);
    for (let i = SRTCP_CLEAR_LENGTH; i < end; i++) buf[i]! ^= ks[i - SRTCP_CLEAR_LENGTH]!;
  }

  private tag(buf: Buffer, length: number): Buffer {
    return createHmac('sha1', this.keys.authenticationKey).update(buf.subarray(0, length)).digest();
  }
}
