/**
 * The conversation-load bench's caller media (bench/conversation-load-media.ts): the RTP
 * capture SIPp replays is a valid libpcap file with 20 ms PCMU packets in sequence, and the
 * espeak-ng phrase has its last voiced frame before the trailing silence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { phrasePcap, rtpPcap } from '../../bench/conversation-load-media.ts';
import { rtpHeadersInPcap } from '../../dev/caller/pcap-rtp.ts';

test('rtpPcap: libpcap, Ethernet/IPv4/UDP/RTP, valid IP checksums, sequence and timestamps running on every 20 ms', () => {
  const pcap = rtpPcap([new Uint8Array(160).fill(0xff), new Uint8Array(160).fill(0x7f), new Uint8Array(160)], 0);
  assert.equal(pcap.readUInt32LE(0), 0xa1b2c3d4);
  assert.equal(pcap.readUInt32LE(20), 1, 'link type Ethernet');
  assert.deepEqual(rtpHeadersInPcap(pcap), [[1000, 8000], [1001, 8160], [1002, 8320]]);
  let off = 24;
  const times: number[] = [];
  while (off < pcap.length) {
    const len = pcap.readUInt32LE(off + 8);
    times.push(pcap.readUInt32LE(off) * 1e6 + pcap.readUInt32LE(off + 4));
    const ip = off + 16 + 14;
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += pcap.readUInt16BE(ip + k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    assert.equal(sum, 0xffff, 'IPv4 header checksum');
    assert.equal(pcap[ip + 9], 17, 'UDP');
    assert.equal(pcap.readUInt16BE(ip + 20 + 4), 8 + 12 + 160, 'UDP length');
    off += 16 + len;
  }
  assert.deepEqual(times.map((t) => t - times[0]!), [0, 20_000, 40_000]);
});

test('phrasePcap: espeak-ng speech, last voiced frame before the trailing silence', { skip: spawnSync('espeak-ng', ['--version']).status !== 0 && 'espeak-ng not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'phrase-pcap-'));
  try {
    const p = phrasePcap('What are your opening hours', dir, { leadMs: 200, trailMs: 1500 });
    assert.ok(p.lastVoicedEndMs > 500 && p.lastVoicedEndMs <= p.durationMs - 1400, JSON.stringify(p));
    assert.equal(rtpHeadersInPcap(readFileSync(p.file)).length, p.durationMs / 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
