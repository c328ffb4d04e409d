import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as alawmulawNs from 'alawmulaw';
import { encodeG711, decodeG711, g711Silence } from '../../media-core/media/g711.ts';
import { parseRtpHeader, serializeRtp, writeRtpHeader, rtpHeaderLength } from '../../media-core/media/rtp-packet.ts';

const lib = ((alawmulawNs as unknown as { default?: typeof alawmulawNs }).default ?? alawmulawNs);

describe('G.711 frames', () => {
  const pcm = Int16Array.from({ length: 160 }, (_, i) => Math.round(12000 * Math.sin(i / 7) + (i % 3) * 1000 - 32768 * (i === 5 ? 1 : 0)));

  test('PCMU and PCMA encode like alawmulaw, sample by sample', () => {
    const u = encodeG711('PCMU', pcm);
    const a = encodeG711('PCMA', pcm);
    assert.equal(u.length, 160);
    assert.deepEqual(Array.from(u), Array.from(lib.mulaw.encode(pcm)));
    assert.deepEqual(Array.from(a), Array.from(lib.alaw.encode(pcm)));
  });

  test('decode matches alawmulaw for all 256 codewords', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual(Array.from(decodeG711('PCMU', all)), Array.from(lib.mulaw.decode(all)));
    assert.deepEqual(Array.from(decodeG711('PCMA', all)), Array.from(lib.alaw.decode(all)));
  });

  test('decoded codewords round-trip exactly', () => {
    for (const codec of ['PCMU', 'PCMA'] as const) {
      const words = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
      const pcm2 = decodeG711(codec, words);
      const back = decodeG711(codec, encodeG711(codec, pcm2));
      assert.deepEqual(Array.from(back), Array.from(pcm2));
    }
  });

  test('writes at an offset into a packet buffer, from a sample range', () => {
    const out = new Uint8Array(12 + 160).fill(7);
    encodeG711('PCMU', pcm, out, 12, 0, 100);
    assert.equal(out[11], 7);
    assert.deepEqual(Array.from(out.subarray(12, 112)), Array.from(lib.mulaw.encode(pcm.subarray(0, 100))));
    assert.equal(out[112], 7);
    assert.throws(() => encodeG711('PCMU', pcm, new Uint8Array(100)), RangeError);
    assert.throws(() => decodeG711('PCMA', new Uint8Array(10), new Int16Array(5)), RangeError);
  });

  test('silence codewords', () => {
    assert.equal(g711Silence('PCMU'), 0xff);
    assert.equal(g711Silence('PCMA'), 0xd5);
  });
});

describe('RTP header (RFC 3550 5.1)', () => {
  test('serialize then parse', () => {
    const payload = Uint8Array.from([1, 2, 3, 4, 5]);
    const pkt = serializeRtp({ marker: true, payloadType: 8, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef }, payload);
    const h = parseRtpHeader(pkt)!;
    assert.ok(h);
    assert.equal(h.version, 2);
    assert.equal(h.marker, true);
    assert.equal(h.payloadType, 8);
    assert.equal(h.sequenceNumber, 65535);
    assert.equal(h.timestamp, 0xfffffff0);
    assert.equal(h.ssrc, 0xdeadbeef);
    assert.equal(h.headerLength, 12);
    assert.equal(h.payloadLength, 5);
  });

  test('CSRCs, extension and padding are skipped', () => {
    const buf = Buffer.alloc(12 + 8 + 4 + 8 + 6 + 2);
    writeRtpHeader(buf, 0, false, 0, 1, 2, 3);
    buf[0] = 0x80 | 0x20 | 0x10 | 2; // P, X, CC=2
    let o = 12 + 8;
    buf.writeUInt16BE(0xbede, o);
    buf.writeUInt16BE(2, o + 2); // 2 words
    o += 4 + 8;
    buf.fill(9, o, o + 6);
    buf[buf.length - 1] = 2; // 2 bytes padding
    const h = parseRtpHeader(buf)!;
    assert.equal(h.csrcCount, 2);
    assert.equal(h.headerLength, 32);
    assert.equal(h.payloadLength, 6);
    assert.equal(rtpHeaderLength(buf), 32);
  });

  test('garbage yields null and never throws', () => {
    assert.equal(parseRtpHeader(new Uint8Array(0)), null);
    assert.equal(parseRtpHeader(new Uint8Array(11).fill(0x80)), null);
    assert.equal(parseRtpHeader(Buffer.from('hello world, not rtp')), null); // version 1
    const cc = Buffer.alloc(16); cc[0] = 0x8f; // 15 CSRCs announced, 4 bytes present
    assert.equal(parseRtpHeader(cc), null);
    const ext = Buffer.alloc(20); ext[0] = 0x90; ext.writeUInt16BE(100, 14);
    assert.equal(parseRtpHeader(ext), null);
    const pad = Buffer.alloc(14); pad[0] = 0xa0; pad[13] = 9;
    assert.equal(parseRtpHeader(pad), null);
    const zeroPad = Buffer.alloc(14); zeroPad[0] = 0xa0;
    assert.equal(parseRtpHeader(zeroPad), null);
    assert.equal(parseRtpHeader(Buffer.alloc(12, 0x80), 40), null);
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.from(Array.from({ length: i % 40 }, (_, k) => (i * 31 + k * 17) & 0xff));
      const h = parseRtpHeader(junk);
      if (h) assert.ok(h.headerLength + h.payloadLength <= junk.length);
    }
  });
});
