/**
 * PCM helpers: WAV (RIFF) parsing and writing for 16-bit mono, 2x upsampling from 8 kHz to
 * 16 kHz for the wideband pocketsphinx model, and chunking to 20 ms frames.
 */

/** A parsed WAV file's format and samples. */
export interface Wav {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** WAVE format tag: 1 = PCM, 7 = mu-law, 6 = A-law. */
  format: number;
  data: Buffer;
}

/** Parses a RIFF/WAVE buffer. @throws Error "not a WAV file: ..." on anything else. */
export function parseWav(buf: Buffer): Wav {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file: no RIFF/WAVE header');
  let off = 12;
  let fmt: Omit<Wav, 'data'> | undefined;
  for (let guard = 0; off + 8 <= buf.length && guard < 64; guard++) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new Error('not a WAV file: short fmt chunk');
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), bitsPerSample: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new Error('not a WAV file: data before fmt');
      // Streams written to a pipe carry 0xFFFFFFFF or 0 as size: take the rest.
      const end = size === 0 || size === 0xffffffff || body + size > buf.length ? buf.length : body + size;
      return { ...fmt, data: buf.subarray(body, end) };
    }
    off = body + size + (size % 2);
  }
  throw new Error('not a WAV file: no data chunk');
}

/** 16-bit little-endian bytes -> samples (copy, so alignment does not matter). */
export function toInt16(bytes: Buffer): Int16Array {
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
}

/** The 44-byte RIFF/WAVE header of 16-bit mono PCM: `dataBytes` bytes of samples at `rate` Hz. */
export function wavHeader(dataBytes: number, rate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A 16-bit mono PCM WAV file of `samples` at `rate` Hz. */
export function writeWav(samples: Int16Array, rate: number): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  return Buffer.concat([wavHeader(data.length, rate), data]);
}

/** 8 kHz -> 16 kHz by linear interpolation (the band above 4 kHz stays empty either way). */
export function upsample2x(x: Int16Array): Int16Array {
  const y = new Int16Array(x.length * 2);
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = i + 1 < x.length ? x[i + 1]! : a;
    y[2 * i] = a;
    y[2 * i + 1] = (a + b) >> 1;
  }
  return y;
}

/** Concatenates frames. */
export function concat(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}
