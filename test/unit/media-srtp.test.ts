import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { aesCmKeystream, deriveSrtpSessionKeys, SrtpContext } from '../../media-core/media/srtp.ts';
import { serializeRtp, parseRtpHeader } from '../../media-core/media/rtp-packet.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('SRTP AES_CM_128_HMAC_SHA1_80 (RFC 3711)', () => {
  test('B.2 AES-CM keystream', () => {
    const ks = aesCmKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C'), hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'), 65282 * 16);
    assert.equal(ks.subarray(0, 48).toString('hex').toUpperCase(),
      'E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0');
    assert.equal(ks.subarray(ks.length - 48).toString('hex').toUpperCase(),
      'EC8CDF7398607CB0F2D21675EA9EA1E4362B7C3C6773516318A077D7FC5073AE6A2CC3787889374FBEB4C81B17BA6C44');
  });

  test('B.3 key derivation', () => {
    const k = deriveSrtpSessionKeys(hex('E1F97A0D3E018BE0D64FA32C06DE4139'), hex('0EC675AD498AFEEBB6960B3AABE6'));
    assert.equal(k.encryptionKey.toString('hex').toUpperCase(), 'C61E7A93744F39EE10734AFE3FF7A087');
    assert.equal(k.salt.toString('hex').toUpperCase(), '30CBBC08863D8C85D49DB34A9AE1');
    assert.equal(k.authenticationKey.toString('hex').toUpperCase(), 'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });

  test('known answer: the libsrtp srtp_validate packet (RFC 3711 B.3 keys, SSRC cafebabe, seq 0x1234)', () => {
    const ctx = new SrtpContext(hex('E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6'));
    const buf = Buffer.alloc(38);
    hex('800f1234decafbadcafebabe' + 'ab'.repeat(16)).copy(buf);
    assert.equal(ctx.protect(buf, 28), 38);
    assert.equal(buf.toString('hex'), '800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb');
    const rx = new SrtpContext(hex('E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6'));
    assert.equal(rx.unprotect(buf, 38), 28);
    assert.equal(buf.subarray(12, 28).toString('hex'), 'ab'.repeat(16));
  });

  test('payloads larger than the cached keystream and tiny DTMF payloads round-trip', () => {
    const key = randomBytes(30);
    const tx = new SrtpContext(key);
    const rx = new SrtpContext(key);
    for (const [seq, size] of [[1, 400], [2, 4], [3, 160], [40, 161], [41, 1]] as const) {
      const payload = randomBytes(size);
      const rtp = serializeRtp({ payloadType: 101, sequenceNumber: seq, timestamp: 0, ssrc: 5 }, payload);
      const b = Buffer.alloc(rtp.length + 10);
      rtp.copy(b);
      const n = tx.protect(b, rtp.length);
      assert.notDeepEqual(b.subarray(12, rtp.length), payload);
      assert.equal(rx.unprotect(b, n), rtp.length);
      assert.deepEqual(b.subarray(12, rtp.length), payload);
    }
  });

  const master = randomBytes(30);
  const packet = (seq: number, payload = Buffer.from('payload bytes of a frame')) => {
    const rtp = serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0x11223344 }, payload);
    const buf = Buffer.alloc(rtp.length + 10);
    rtp.copy(buf);
    return { buf, length: rtp.length, rtp };
  };

  test('round trip: payload encrypted, header clear, tag appended', () => {
    const tx = new SrtpContext(master);
    const rx = new SrtpContext(master);
    const { buf, length, rtp } = packet(1000);
    const n = tx.protect(buf, length);
    assert.equal(n, length + 10);
    assert.deepEqual(buf.subarray(0, 12), rtp.subarray(0, 12));
    assert.notDeepEqual(buf.subarray(12, length), rtp.subarray(12));
    const m = rx.unprotect(buf, n);
    assert.equal(m, length);
    assert.deepEqual(buf.subarray(0, m), rtp);
  });

  test('tampered packets, wrong keys and replays are rejected', () => {
    const tx = new SrtpContext(master);
    const rx = new SrtpContext(master);
    const a = packet(5);
    const n = tx.protect(a.buf, a.length);
    const tampered = Buffer.from(a.buf.subarray(0, n));
    tampered[14]! ^= 1;
    assert.equal(rx.unprotect(tampered, n), -1);
    const headerTampered = Buffer.from(a.buf.subarray(0, n));
    headerTampered[1] = 8;
    assert.equal(rx.unprotect(headerTampered, n), -1);
    assert.equal(new SrtpContext(randomBytes(30)).unprotect(Buffer.from(a.buf.subarray(0, n)), n), -1);
    const copy = Buffer.from(a.buf.subarray(0, n));
    assert.equal(rx.unprotect(a.buf, n), a.length);
    assert.equal(rx.unprotect(copy, n), -1, 'replay');
    assert.equal(rx.unprotect(Buffer.alloc(5), 5), -1);
    assert.equal(rx.unprotect(Buffer.alloc(30), 30), -1);
  });

  test('rollover counter follows sequence wrap; reordering within the window is accepted', () => {
    const tx = new SrtpContext(master);
    const rx = new SrtpContext(master);
    const sent: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const seq = (65436 + i) & 0xffff; // wraps after 100 packets
      const p = packet(seq, Buffer.from(`frame ${i}`));
      const n = tx.protect(p.buf, p.length);
      sent.push(Buffer.from(p.buf.subarray(0, n)));
    }
    // Deliver in pairs swapped: reordering by one.
    for (let i = 0; i < 200; i += 2) {
      for (const k of [i + 1, i]) {
        const b = sent[k]!;
        const len = rx.unprotect(b, b.length);
        assert.equal(len, b.length - 10, `packet ${k}`);
        assert.equal(b.subarray(12, len).toString(), `frame ${k}`);
      }
    }
    // An index older than the 64-packet window is refused even if never seen.
    const tx2 = new SrtpContext(master);
    const rx2 = new SrtpContext(master);
    const old = packet(10); const nOld = tx2.protect(old.buf, old.length);
    const late = Buffer.from(old.buf.subarray(0, nOld));
    for (let s = 11; s < 100; s++) { const p = packet(s); const n = tx2.protect(p.buf, p.length); assert.ok(rx2.unprotect(p.buf, n) > 0); }
    assert.equal(rx2.unprotect(late, nOld), -1);
  });

  test('bad master key length throws', () => {
    assert.throws(() => new SrtpContext(randomBytes(16)), RangeError);
    assert.ok(parseRtpHeader(packet(1).rtp));
  });
});
