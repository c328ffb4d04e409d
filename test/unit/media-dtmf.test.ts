import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { DigitEvent } from '../../media-core/call/types.ts';
import { DtmfReceiver, DtmfSender, DtmfStep, parseTelephoneEvent, writeTelephoneEvent } from '../../media-core/media/dtmf.ts';
import { GoertzelDtmfDetector } from '../../media-core/media/goertzel.ts';
import { synthesizeDtmf } from '../../media-core/media/dtmf-tone.ts';
import { parseRtpHeader } from '../../media-core/media/rtp-packet.ts';

const ev = (event: number, end: boolean, duration: number) => {
  const b = new Uint8Array(4);
  writeTelephoneEvent(b, 0, event, end, 10, duration);
  return b;
};

describe('RFC 4733 receive', () => {
  test('payload parse/write', () => {
    const p = parseTelephoneEvent(ev(11, true, 800))!;
    assert.deepEqual(p, { event: 11, end: true, volume: 10, duration: 800 });
    assert.equal(parseTelephoneEvent(new Uint8Array(3)), null);
  });

  test('one digit per event, on the first end packet; repeated ends ignored', () => {
    const got: DigitEvent[] = [];
    const rx = new DtmfReceiver((d) => got.push(d));
    rx.push(1000, ev(5, false, 0));
    rx.push(1000, ev(5, false, 160));
    rx.push(1000, ev(5, false, 320));
    assert.equal(got.length, 0);
    rx.push(1000, ev(5, true, 800));
    assert.deepEqual(got, [{ digit: '5', durationMs: 100, source: 'rfc4733' }]);
    rx.push(1000, ev(5, true, 800));
    rx.push(1000, ev(5, true, 800));
    assert.equal(got.length, 1);
    // Same digit again is a new event: new timestamp.
    rx.push(3000, ev(5, false, 160));
    rx.push(3000, ev(5, true, 480));
    rx.push(3000, ev(5, true, 480));
    assert.deepEqual(got.map((d) => d.digit), ['5', '5']);
    // * # A-D, and non-DTMF events (16+) are ignored.
    for (const [code, ts] of [[10, 5000], [11, 6000], [12, 7000], [15, 8000], [16, 9000], [40, 9500]] as const) rx.push(ts, ev(code, true, 400));
    assert.deepEqual(got.map((d) => d.digit), ['5', '5', '*', '#', 'A', 'D']);
    rx.close();
  });

  test('an event without end packets is emitted on timeout, or when the next event starts', async () => {
    const got: DigitEvent[] = [];
    const rx = new DtmfReceiver((d) => got.push(d), { timeoutMs: 60 });
    rx.push(100, ev(1, false, 160));
    rx.push(100, ev(1, false, 320));
    assert.equal(got.length, 0);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(got, [{ digit: '1', durationMs: 40, source: 'rfc4733' }]);
    // A late end packet of the already emitted event does not count again.
    rx.push(100, ev(1, true, 480));
    assert.equal(got.length, 1);
    rx.push(900, ev(2, false, 160));
    rx.push(1900, ev(3, true, 160));
    assert.deepEqual(got.map((d) => d.digit), ['1', '2', '3']);
    rx.close();
  });
});

describe('RFC 4733 send', () => {
  test('packets: marker first, durations grow, 3 end packets, one timestamp per event, gap between digits', () => {
    const tx = new DtmfSender();
    tx.start('1#', { durationMs: 100, intervalMs: 200 });
    const out = new Uint8Array(4);
    const packets: Array<{ slot: number; marker: boolean; ts: number; ev: ReturnType<typeof parseTelephoneEvent> }> = [];
    let slot = 0;
    for (; slot < 100; slot++) {
      const step = tx.next(out, 0, slot * 160);
      if (step === DtmfStep.Done) break;
      if (step === DtmfStep.Packet) packets.push({ slot, marker: tx.marker, ts: tx.eventTimestamp, ev: parseTelephoneEvent(out) });
    }
    assert.equal(packets.length, 14);
    const first = packets.slice(0, 7);
    assert.deepEqual(first.map((p) => p.ev!.duration), [160, 320, 480, 640, 800, 800, 800]);
    assert.deepEqual(first.map((p) => p.ev!.end), [false, false, false, false, true, true, true]);
    assert.deepEqual(first.map((p) => p.marker), [true, false, false, false, false, false, false]);
    assert.ok(first.every((p) => p.ts === 0 && p.ev!.event === 1));
    const second = packets.slice(7);
    assert.equal(second[0]!.slot - first[6]!.slot, 11, '200 ms gap = 10 idle slots');
    assert.ok(second.every((p) => p.ts === second[0]!.slot * 160 && p.ev!.event === 11));
    assert.equal(second[0]!.marker, true);
    assert.throws(() => tx.start('12x'), /not a DTMF digit/);
  });

  test('sender output decodes back to the same digits', () => {
    const got: string[] = [];
    const rx = new DtmfReceiver((d) => got.push(d.digit));
    const tx = new DtmfSender();
    tx.start('0123456789*#ABCD', { durationMs: 60, intervalMs: 40 });
    const out = new Uint8Array(4);
    for (let slot = 0; slot < 1000; slot++) {
      const step = tx.next(out, 0, slot * 160);
      if (step === DtmfStep.Done) break;
      if (step === DtmfStep.Packet) rx.push(tx.eventTimestamp, out);
    }
    rx.close();
    assert.equal(got.join(''), '0123456789*#ABCD');
  });
});

/** RTP payloads from a libpcap file (Ethernet, IPv4, UDP). */
function rtpFromPcap(path: string): Buffer[] {
  const file = readFileSync(path);
  const magic = file.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4;
  assert.ok(le || magic === 0xd4c3b2a1, 'pcap magic');
  const u32 = (o: number) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  assert.equal(u32(20), 1, 'Ethernet link type');
  const out: Buffer[] = [];
  for (let o = 24; o + 16 <= file.length;) {
    const incl = u32(o + 8);
    const frame = file.subarray(o + 16, o + 16 + incl);
    o += 16 + incl;
    let p = 14;
    let etherType = frame.readUInt16BE(12);
    if (etherType === 0x8100) { etherType = frame.readUInt16BE(16); p += 4; }
    if (etherType !== 0x0800) continue;
    const ihl = (frame[p]! & 0x0f) * 4;
    if (frame[p + 9] !== 17) continue;
    const udp = p + ihl;
    const udpLen = frame.readUInt16BE(udp + 4);
    out.push(frame.subarray(udp + 8, udp + udpLen));
  }
  return out;
}

describe('SIPp RFC 2833 captures', () => {
  const dir = '/usr/share/sip-tester';
  const files: Array<[string, string]> = [...'0123456789'].map((d) => [`dtmf_2833_${d}.pcap`, d]);
  files.push(['dtmf_2833_star.pcap', '*'], ['dtmf_2833_pound.pcap', '#']);
  for (const [name, digit] of files) {
    test(`${name} yields "${digit}" exactly once`, { skip: !existsSync(`${dir}/${name}`) && 'sip-tester not installed' }, () => {
      const packets = rtpFromPcap(`${dir}/${name}`);
      assert.equal(packets.length, 10);
      const got: DigitEvent[] = [];
      const rx = new DtmfReceiver((d) => got.push(d));
      for (const pkt of packets) {
        const h = parseRtpHeader(pkt);
        assert.ok(h, 'RTP header');
        assert.equal(h.payloadType, 101);
        rx.push(h.timestamp, pkt, h.headerLength, h.payloadLength);
      }
      rx.close();
      assert.equal(got.length, 1);
      assert.equal(got[0]!.digit, digit);
      assert.equal(got[0]!.source, 'rfc4733');
      assert.ok(got[0]!.durationMs! > 0);
    });
  }
});

const ROWS = [697, 770, 852, 941];
const COLS = [1209, 1336, 1477, 1633];
const KEYS = ['123A', '456B', '789C', '*0#D'];

/** Dual tone, amplitude per sine, ms, with optional leading silence. */
function tone(fr: number, fc: number, ms: number, ampRow = 6000, ampCol = 6000, leadMs = 0): Int16Array {
  const lead = leadMs * 8;
  const out = new Int16Array(lead + ms * 8);
  for (let i = 0; i < ms * 8; i++) {
    out[lead + i] = Math.round(ampRow * Math.sin((2 * Math.PI * fr * i) / 8000) + ampCol * Math.sin((2 * Math.PI * fc * i) / 8000 + 0.3));
  }
  return out;
}

function detect(pcm: Int16Array): DigitEvent[] {
  const got: DigitEvent[] = [];
  const det = new GoertzelDtmfDetector((d) => got.push(d));
  const padded = new Int16Array(Math.ceil(pcm.length / 160) * 160 + 320);
  padded.set(pcm);
  for (let o = 0; o < padded.length; o += 160) det.process(padded.subarray(o, o + 160));
  return got;
}

describe('in-band DTMF (Goertzel)', () => {
  test('all 16 digits, each once, from synthesized tones with silence between', () => {
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) {
        const got = detect(tone(ROWS[r]!, COLS[c]!, 100, 5000, 6000, 30));
        assert.deepEqual(got.map((d) => d.digit), [KEYS[r]![c]], `${ROWS[r]}+${COLS[c]}`);
        assert.equal(got[0]!.source, 'inband');
      }
    }
  });

  test('a digit string played back to back with gaps', () => {
    const pcm = synthesizeDtmf('159#0*D', 80, 60);
    assert.equal(detect(pcm).map((d) => d.digit).join(''), '159#0*D');
  });

  test('needs 40 ms: 20 ms of tone is not a digit, a long tone is one digit', () => {
    assert.equal(detect(tone(852, 1477, 20)).length, 0);
    assert.equal(detect(tone(852, 1477, 40)).length, 1);
    assert.equal(detect(tone(852, 1477, 1000)).length, 1);
  });

  test('twist, weak tones and single tones are rejected', () => {
    assert.equal(detect(tone(770, 1336, 100, 6000, 1200)).length, 0, 'row 14 dB above column');
    assert.equal(detect(tone(770, 1336, 100, 1500, 6000)).length, 0, 'column 12 dB above row');
    assert.equal(detect(tone(770, 1336, 100, 150, 150)).length, 0, 'too weak');
    assert.equal(detect(tone(770, 1336, 100, 6000, 0)).length, 0, 'row only');
  });

  test('speech-like noise gives no digit', () => {
    // 20 s of voiced "syllables": harmonics of a gliding 90-260 Hz pitch through moving
    // formants, plus noise bursts and pauses. Deterministic pseudo-random.
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const n = 8000 * 20;
    const pcm = new Int16Array(n);
    let phase = 0;
    for (let i = 0; i < n; i++) {
      const t = i / 8000;
      const syllable = Math.floor(t * 4);
      const env = Math.max(0, Math.sin(Math.PI * ((t * 4) % 1))) * (syllable % 5 === 4 ? 0 : 1);
      const f0 = 90 + 170 * (0.5 + 0.5 * Math.sin(t * 1.7 + syllable));
      phase += (2 * Math.PI * f0) / 8000;
      const f1 = 300 + 600 * (0.5 + 0.5 * Math.sin(syllable * 2.1));
      const f2 = 900 + 1400 * (0.5 + 0.5 * Math.sin(syllable * 1.3 + 1));
      let s = 0;
      for (let h = 1; h * f0 < 3800; h++) {
        const fh = h * f0;
        const g = 1 / (1 + ((fh - f1) / 120) ** 2) + 0.7 / (1 + ((fh - f2) / 180) ** 2) + 0.02;
        s += g * Math.sin(h * phase);
      }
      const fricative = syllable % 3 === 0 ? (rand() - 0.5) * 0.8 : 0;
      pcm[i] = Math.max(-32768, Math.min(32767, Math.round(4000 * env * (s + fricative) + (rand() - 0.5) * 200)));
    }
    const got = detect(pcm);
    assert.deepEqual(got.map((d) => d.digit), []);
    // And a real digit inside the same noise floor is still found.
    const mixed = tone(941, 1336, 120, 6000, 6000, 20);
    for (let i = 0; i < mixed.length; i++) mixed[i] = mixed[i]! + Math.round((rand() - 0.5) * 400);
    assert.deepEqual(detect(mixed).map((d) => d.digit), ['0']);
  });

  test('a tone generated by sox is detected as "1"', () => {
    let raw: Buffer;
    try {
      raw = execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'signed', '-b', '16', '-t', 'raw', '-', 'synth', '0.1', 'sine', '697', 'sine', '1209'], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      assert.fail('sox is required (apt package sox)');
    }
    assert.equal(raw.length, 1600);
    const pcm = new Int16Array(800);
    for (let i = 0; i < 800; i++) pcm[i] = raw.readInt16LE(i * 2);
    assert.deepEqual(detect(pcm).map((d) => d.digit), ['1']);
  });
});
