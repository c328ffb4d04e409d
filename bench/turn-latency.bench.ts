/**
 * Turn latency through the real SIP/RTP engine: from the end of the caller's input (the
 * first RFC 4733 end-of-event packet sent by the caller, or the final STT result) to the
 * first RTP packet of the answer arriving at the caller. The caller is a minimal UAC in
 * this process (UDP SIP + RTP sockets on 127.0.0.1); the engine only sends RTP while it
 * plays, so the first packet after a silence is the answer's.
 *
 * Runs: local assistant + cached espeak-ng prompt (target p99 <= 100 ms); local assistant +
 * uncached espeak-ng prompt (cache size 0; target p99 <= 300 ms); and speech: final
 * pocketsphinx result -> first RTP (when the phrase is recognized).
 *
 *   npx tsx bench/turn-latency.bench.ts [turns per run, default 40]
 */
import { createSocket, type Socket } from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import { Uas } from '../media-core/engine/uas.ts';
import { parseConfig } from '../media-core/config/load.ts';
import { createConversationRuntime } from '../media-core/conversation/runtime.ts';
import { freeSipPort } from '../dev/free-ports.ts';
import { percentile, ms } from './stats.ts';

const TURNS = Math.min(200, Number(process.argv[2] ?? 40));
const dir = mkdtempSync(join(tmpdir(), 'turn-bench-'));

const assistant = {
  welcome: { generic: [{ response_type: 'text', text: 'Hi.' }], context: { post_response_timeout_count: 60000 } },
  intents: [
    { name: 'hours', match: { dtmf: ['1'], examples: ['what are your opening hours'], keywords: ['hours'] }, generic: [{ response_type: 'text', text: 'We are open from nine to five.' }] },
    { name: 'agent', match: { examples: ['i want to speak to an agent'], keywords: ['agent'] }, generic: [{ response_type: 'text', text: 'An agent will be with you.' }] },
  ],
  fallback: { generic: [{ response_type: 'text', text: 'Sorry?' }] },
};
writeFileSync(join(dir, 'a.json'), JSON.stringify(assistant));

const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

function udp(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

/** A minimal caller: INVITE/200/ACK, RTP out and in. */
async function call(sipPort: number) {
  const sip = await udp();
  const rtp = await udp();
  const sport = sip.address().port;
  const rport = rtp.address().port;
  const callId = `bench-${Math.random().toString(36).slice(2)}@127.0.0.1`;
  const sdp = `v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=b\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${rport} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n`;
  const invite = `INVITE sip:+15550100001@127.0.0.1:${sipPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${sport};branch=z9hG4bK-b1\r\nFrom: <sip:+15551230000@127.0.0.1:${sport}>;tag=bt1\r\nTo: <sip:+15550100001@127.0.0.1:${sipPort}>\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContact: <sip:b@127.0.0.1:${sport}>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(sdp)}\r\n\r\n${sdp}`;
  const ok = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no 200 OK')), 5000);
    sip.on('message', (m) => {
      const s = m.toString();
      if (s.startsWith('SIP/2.0 200')) {
        clearTimeout(t);
        resolve(s);
      }
    });
    sip.send(invite, sipPort, '127.0.0.1');
  });
  const toHdr = /\r\nTo: ([^\r]+)/i.exec(ok)![1];
  const remoteRtp = Number(/m=audio (\d+)/.exec(ok)![1]);
  sip.send(`ACK sip:media@127.0.0.1:${sipPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${sport};branch=z9hG4bK-b2\r\nFrom: <sip:+15551230000@127.0.0.1:${sport}>;tag=bt1\r\nTo: ${toHdr}\r\nCall-ID: ${callId}\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`, sipPort, '127.0.0.1');

  let lastRtpAt = 0;
  let firstAfter: ((t: number) => void) | undefined;
  rtp.on('message', () => {
    const now = performance.now();
    if (firstAfter && now - lastRtpAt > 100) {
      const f = firstAfter;
      firstAfter = undefined;
      f(now);
    }
    lastRtpAt = now;
  });
  let seq = 1;
  let ts = 0;
  const ssrc = 0x1234abcd;
  const packet = (pt: number, marker: boolean, payload: Buffer, timestamp: number) => {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = (marker ? 0x80 : 0) | pt;
    h.writeUInt16BE(seq++ & 0xffff, 2);
    h.writeUInt32BE(timestamp >>> 0, 4);
    h.writeUInt32BE(ssrc, 8);
    return Buffer.concat([h, payload]);
  };
  const send = (b: Buffer) => rtp.send(b, remoteRtp, '127.0.0.1');
  return {
    /** Waits until the media core has been silent for `quietMs`. */
    async quiet(quietMs = 250, maxMs = 15000) {
      const end = Date.now() + maxMs;
      while (Date.now() < end) {
        if (lastRtpAt && performance.now() - lastRtpAt > quietMs) return;
        await sleep(20);
      }
      throw new Error('media core never went quiet');
    },
    /** Presses a digit (RFC 4733: 3 packets, then 3 end packets); resolves with [end sent, first answer RTP]. */
    async press(digit: number): Promise<[number, number]> {
      ts += 1600;
      const ev = (end: boolean, dur: number) => Buffer.from([digit, (end ? 0x80 : 0) | 10, dur >> 8, dur & 0xff]);
      for (let i = 0; i < 3; i++) {
        send(packet(101, i === 0, ev(false, 160 * (i + 1)), ts));
        await sleep(20);
      }
      const answer = new Promise<number>((r) => (firstAfter = r));
      const endAt = performance.now();
      for (let i = 0; i < 3; i++) send(packet(101, false, ev(true, 640), ts));
      return [endAt, await Promise.race([answer, sleep(5000).then(() => NaN)])];
    },
    /** Sends 8 kHz mu-law audio in 20 ms packets; resolves after the last one. */
    async speak(ulaw: Buffer) {
      const start = performance.now();
      for (let i = 0, n = 0; i + 160 <= ulaw.length; i += 160, n++) {
        ts += 160;
        send(packet(0, false, ulaw.subarray(i, i + 160), ts));
        const due = start + (n + 1) * 20;
        await sleep(Math.max(0, due - performance.now()));
      }
    },
    waitAnswer(): Promise<number> {
      return Promise.race([new Promise<number>((r) => (firstAfter = r)), sleep(8000).then(() => NaN)]);
    },
    close() {
      sip.close();
      rtp.close();
    },
  };
}

async function run(label: string, cacheEntries: number, target: number) {
  const loaded = parseConfig(
    {
      assistants: { a: { type: 'local', file: join(dir, 'a.json') } },
      speech: { s: { tts: { provider: 'espeak' }, stt: { provider: 'pocketsphinx' } } },
      integrations: [{ number: '+15550100001', assistant: 'a', speech: 's', contactCenter: { vendor: 'sip_trunk', agentUri: 'sip:agent@127.0.0.1:5090' } }],
      ttsCacheEntries: cacheEntries,
    },
    dir,
  );
  const runtime = createConversationRuntime(loaded);
  const sipPort = await freeSipPort();
  const rtpBase = 24000 + Math.floor(Math.random() * 2000) * 2;
  const engine = await Uas.start({ sip: { address: '127.0.0.1', udpPort: sipPort }, rtp: { address: '127.0.0.1', portMin: rtpBase, portMax: rtpBase + 20 }, maxCalls: 5 }, (c) => runtime.onCall(c));
  const c = await call(sipPort);
  const lat: number[] = [];
  try {
    await c.quiet();
    if (cacheEntries > 0) {
      // Warm-up turn: the prompt is synthesized once, then served from the cache.
      await c.press(1);
      await c.quiet();
    }
    for (let i = 0; i < TURNS; i++) {
      const [end, first] = await c.press(1);
      if (Number.isFinite(first)) lat.push(first - end);
      await c.quiet();
    }
    console.log(`${label}: n=${lat.length}/${TURNS} p50 ${ms(percentile(lat, 50))} p99 ${ms(percentile(lat, 99))} max ${ms(Math.max(...lat))} (target p99 <= ${target} ms) ${percentile(lat, 99) <= target ? 'OK' : 'OVER'}`);

    if (cacheEntries > 0) {
      // Speech: final recognition result -> first RTP of the answer, a few utterances.
      const r = spawnSync('sh', ['-c', 'espeak-ng -v en-us --stdout "what are your opening hours" | sox -t wav - -r 8000 -c 1 -e mu-law -t raw - pad 0.2 0.8']);
      const ulaw = r.stdout as Buffer;
      const silence = Buffer.from(alawmulaw.mulaw.encode(new Int16Array(160 * 10)));
      const speech: number[] = [];
      const decode: number[] = [];
      for (let i = 0; i < 5; i++) {
        const answer = c.waitAnswer();
        const spoken = performance.now();
        await c.speak(Buffer.concat([silence, ulaw]));
        const first = await answer;
        const session = runtime.recent.at(-1)!;
        if (Number.isFinite(first) && session.inputEndedAt > spoken) {
          speech.push(first - session.inputEndedAt);
          decode.push(session.inputEndedAt - spoken);
        }
        await c.quiet();
      }
      console.log(`${label}, speech (final STT result -> first RTP): n=${speech.length}/5 p50 ${ms(percentile(speech, 50))} max ${ms(Math.max(...speech))}; speech start -> final result p50 ${ms(percentile(decode, 50))}`);
    }
  } finally {
    c.close();
    await engine.close();
  }
}

try {
  await run('DTMF, local assistant, cached espeak-ng prompt', 500, 100);
  await run('DTMF, local assistant, uncached espeak-ng prompt', 0, 300);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
