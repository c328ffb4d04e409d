/**
 * G.711 (ITU-T G.711) PCMU (mu-law) and PCMA (A-law) frame coding, 16-bit linear PCM <-> 8-bit
 * codewords, one byte per sample at 8000 Hz (RFC 3551 section 4.5.14).
 *
 * Why lookup tables: these functions run for every RTP packet of every call (50 packets/s
 * each way), so the per-sample branches of the reference algorithm are replaced by tables
 * computed once, at import, from the alawmulaw library's sample coders.
 */
import * as alawmulawNs from 'alawmulaw';

/** A G.711 variant by its RTP encoding name (RFC 3551 table 4). */
export type G711Codec = 'PCMU' | 'PCMA';

/** Static RTP payload types of the G.711 codecs (RFC 3551 table 4). */
export const G711_PAYLOAD_TYPE: Readonly<Record<G711Codec, number>> = { PCMU: 0, PCMA: 8 };

// alawmulaw ships a UMD bundle as "main": under Node's ESM loader its API sits on `default`.
const lib = ((alawmulawNs as unknown as { default?: typeof alawmulawNs }).default ?? alawmulawNs);

const MULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);
const MULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
for (let c = 0; c < 256; c++) {
  MULAW_DECODE[c] = lib.mulaw.decodeSample(c);
  ALAW_DECODE[c] = lib.alaw.decodeSample(c);
}
for (let s = -32768; s < 32768; s++) {
  MULAW_ENCODE[s & 0xffff] = lib.mulaw.encodeSample(s);
  ALAW_ENCODE[s & 0xffff] = lib.alaw.encodeSample(s);
}

/**
 * Encodes linear PCM to G.711 codewords.
 * @param codec 'PCMU' or 'PCMA'.
 * @param pcm 16-bit signed samples, 8000 Hz (usually 160 = 20 ms).
 * @param out where to write (pcm.length bytes from outOffset); allocated when omitted.
 * @param outOffset byte offset in `out` (e.g. 12, after an RTP header).
 * @param pcmOffset first sample to encode; @param count samples to encode (default: the rest).
 * @returns `out`.
 * @throws RangeError when `out` is too short or the sample range exceeds `pcm`.
 */
export function encodeG711(
  codec: G711Codec,
  pcm: Int16Array,
  out?: Uint8Array,
  outOffset = 0,
  pcmOffset = 0,
  count = pcm.length - pcmOffset,
): Uint8Array {
  if (pcmOffset < 0 || count < 0 || pcmOffset + count > pcm.length) throw new RangeError('G.711 input range out of bounds');
  const dst = out ?? new Uint8Array(count);
  if (dst.length - outOffset < count) throw new RangeError(`G.711 output too short: ${dst.length - outOffset} < ${count}`);
  const table = codec === 'PCMU' ? MULAW_ENCODE : ALAW_ENCODE;
  for (let i = 0; i < count; i++) dst[outOffset + i] = table[pcm[pcmOffset + i]! & 0xffff]!;
  return dst;
}

/**
 * Decodes G.711 codewords to linear PCM.
 * @param codec 'PCMU' or 'PCMA'.
 * @param payload codewords (one per sample); `length` bytes from `offset` are decoded.
 * @param out destination (at least `length` samples); allocated when omitted.
 * @returns the decoded 16-bit samples (8000 Hz).
 * @throws RangeError when `out` is too short or the range exceeds `payload`.
 */
export function decodeG711(
  codec: G711Codec,
  payload: Uint8Array,
  out?: Int16Array,
  offset = 0,
  length = payload.length - offset,
): Int16Array {
  if (offset < 0 || length < 0 || offset + length > payload.length) throw new RangeError('G.711 input range out of bounds');
  const dst = out ?? new Int16Array(length);
  if (dst.length < length) throw new RangeError(`G.711 output too short: ${dst.length} < ${length}`);
  const table = codec === 'PCMU' ? MULAW_DECODE : ALAW_DECODE;
  for (let i = 0; i < length; i++) dst[i] = table[payload[offset + i]!]!;
  return dst;
}

/** The codeword for digital silence (linear 0): 0xFF for PCMU, 0xD5 for PCMA. */
export function g711Silence(codec: G711Codec): number {
  return codec === 'PCMU' ? MULAW_ENCODE[0]! : ALAW_ENCODE[0]!;
}
