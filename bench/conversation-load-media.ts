/**
 * The callers' media for bench/conversation-load.bench.ts: a spoken phrase as an RTP capture
 * (libpcap, Ethernet/IPv4/UDP/RTP, PCMU payload type 0, 20 ms packets) for SIPp's
 * play_pcap_audio, made at bench time from espeak-ng audio (sox resamples to 8 kHz), and where
 * the phrase's last voiced frame lies in it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastVoicedEndMs } from '../dev/caller/caller-media.ts';
import { encodeG711 } from '../media-core/media/g711.ts';

/** A phrase capture and its timing. */
export interface PhrasePcap {
  file: string;
  /** Length of the capture, ms. */
  durationMs: number;
  /** Offset of the end of the last frame whose RMS reaches VOICED_RMS, ms. */
  lastVoicedEndMs: number;
}

/**
 * espeak-ng -> sox (8 kHz, mono, 16-bit) -> PCMU -> RTP packets every 20 ms in a pcap, with
 * `leadMs` of silence before and `trailMs` after (so the VAD sees the end of the utterance).
 * @throws when espeak-ng or sox fail (20 s bound each).
 */
export function phrasePcap(phrase: string, dir: string, opts: { leadMs?: number; trailMs?: number } = {}): PhrasePcap {
  const wav = join(dir, 'phrase.wav');
  const raw = join(dir, 'phrase.s16');
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', wav, phrase], { timeout: 20_000 });
  const lead = (opts.leadMs ?? 200) / 1000;
  const trail = (opts.trailMs ?? 1500) / 1000;
  execFileSync('sox', [wav, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', raw, 'pad', String(lead), String(trail)], { timeout: 20_000 });
  const bytes = readFileSync(raw);
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 2));
  const frames = Math.floor(pcm.length / 160);
  const voiceEnd = lastVoicedEndMs(pcm.subarray(0, frames * 160));
  if (voiceEnd < 0) throw new Error(`espeak-ng produced no voiced frame for "${phrase}"`);
  const ulaw = encodeG711('PCMU', pcm.subarray(0, frames * 160));
  const file = join(dir, 'phrase.pcap');
  writeFileSync(file, rtpPcap(Array.from({ length: frames }, (_, f) => ulaw.subarray(f * 160, (f + 1) * 160)), 0));
  return { file, durationMs: frames * 20, lastVoicedEndMs: voiceEnd };
}

/**
 * A libpcap capture (link type 1, Ethernet) of one RTP packet per payload, 20 ms apart,
 * 127.0.0.1:40000 -> 127.0.0.1:40002 (SIPp rewrites the addresses), sequence and timestamp
 * running on, marker bit on the first.
 */
export function rtpPcap(payloads: Uint8Array[], payloadType: number, ssrc = 0x0c0ffee0): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const parts: Buffer[] = [header];
  payloads.forEach((payload, i) => {
    const rtpLen = 12 + payload.length;
    const udpLen = 8 + rtpLen;
    const ipLen = 20 + udpLen;
    const frame = Buffer.alloc(14 + ipLen);
    frame.writeUInt16BE(0x0800, 12);
    const ip = 14;
    frame[ip] = 0x45;
    frame.writeUInt16BE(ipLen, ip + 2);
    frame.writeUInt16BE(i & 0xffff, ip + 4);
    frame[ip + 8] = 64;
    frame[ip + 9] = 17;
    frame.writeUInt32BE(0x7f000001, ip + 12);
    frame.writeUInt32BE(0x7f000001, ip + 16);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += frame.readUInt16BE(ip + k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    frame.writeUInt16BE(~sum & 0xffff, ip + 10);
    const udp = ip + 20;
    frame.writeUInt16BE(40000, udp);
    frame.writeUInt16BE(40002, udp + 2);
    frame.writeUInt16BE(udpLen, udp + 4);
    const rtp = udp + 8;
    frame[rtp] = 0x80;
    frame[rtp + 1] = (i === 0 ? 0x80 : 0) | (payloadType & 0x7f);
    frame.writeUInt16BE((1000 + i) & 0xffff, rtp + 2);
    frame.writeUInt32BE((8000 + i * 160) >>> 0, rtp + 4);
    frame.writeUInt32BE(ssrc >>> 0, rtp + 8);
    Buffer.from(payload).copy(frame, rtp + 12);
    const rec = Buffer.alloc(16);
    const us = 1_000_000_000 * 1e6 + i * 20_000;
    rec.writeUInt32LE(Math.floor(us / 1e6), 0);
    rec.writeUInt32LE(us % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  return Buffer.concat(parts);
}
