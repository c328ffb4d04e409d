/**
 * A UDP socket on 127.0.0.1 that stands in for the caller's RTP port (placeCall's
 * rtpSinkPort): it keeps the RTP packets the media core sends and tells how many carry audible
 * G.711 mu-law audio (RFC 3550 header, RFC 3551 payload type 0).
 */
import { createSocket, type Socket } from 'node:dgram';
import * as alawmulawNs from 'alawmulaw';

// alawmulaw ships a UMD bundle as "main": under Node's ESM loader its API sits on `default`.
const lib = (alawmulawNs as unknown as { default?: typeof alawmulawNs }).default ?? alawmulawNs;

/** Mean absolute sample (16-bit linear) above which a 20 ms packet counts as audible. */
export const AUDIBLE_MEAN_ABS = 300;

export interface RtpSink {
  port: number;
  /** Packets received so far (at most 5,000: 100 s of 20 ms packets). */
  packets(): Buffer[];
  /** Counts of all packets, PCMU packets, and PCMU packets whose audio is above AUDIBLE_MEAN_ABS. */
  stats(): { packets: number; pcmu: number; audible: number };
  close(): Promise<void>;
}

/** Mean absolute linear sample of a mu-law payload. */
export function meanAbsMulaw(payload: Uint8Array): number {
  if (payload.length === 0) return 0;
  let sum = 0;
  for (const b of payload) sum += Math.abs(lib.mulaw.decodeSample(b));
  return sum / payload.length;
}

/** RTP payload of a packet (fixed header + CSRCs + extension skipped), or undefined if malformed. */
export function rtpPayload(p: Buffer): { payloadType: number; payload: Buffer } | undefined {
  if (p.length < 12 || p[0]! >> 6 !== 2) return undefined;
  let offset = 12 + (p[0]! & 0x0f) * 4;
  if (p[0]! & 0x10) {
    if (p.length < offset + 4) return undefined;
    offset += 4 + p.readUInt16BE(offset + 2) * 4;
  }
  if (offset > p.length) return undefined;
  return { payloadType: p[1]! & 0x7f, payload: p.subarray(offset) };
}

/** Binds an even UDP port on 127.0.0.1 (RTP convention), bounded to 20 tries. */
export async function startRtpSink(): Promise<RtpSink> {
  let socket: Socket | undefined;
  for (let i = 0; i < 20 && !socket; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => resolve());
    });
    if (s.address().port % 2 === 0) socket = s;
    else s.close();
  }
  if (!socket) throw new Error('no even UDP port for the RTP sink in 20 tries');
  const received: Buffer[] = [];
  socket.on('message', (m) => {
    if (received.length < 5000) received.push(m);
  });
  const sock = socket;
  return {
    port: sock.address().port,
    packets: () => [...received],
    stats: () => {
      let pcmu = 0;
      let audible = 0;
      for (const p of received) {
        const r = rtpPayload(p);
        if (r?.payloadType !== 0) continue;
        pcmu++;
        if (meanAbsMulaw(r.payload) > AUDIBLE_MEAN_ABS) audible++;
      }
      return { packets: received.length, pcmu, audible };
    },
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}
