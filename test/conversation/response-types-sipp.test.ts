/**
 * The phone integration's response types (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions) and context variables
 * (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-context) through the
 * real SIP/RTP engine and conversation runtime, driven by SIPp callers (dev/sipp/scenarios/conv-uac.xml)
 * and a scripted HTTP webhook assistant (test/helpers/webhook-assistant.ts) that records what
 * it received. TTS is the real espeak-ng; speech recognition is off (DTMF only), so SIPp's
 * RTP echo (-rtp_echo) can send our own audio and RFC 4733 events back without barging in:
 * what comes back is what SIPp received. Independent calls run in parallel.
 */
import { writeWav } from '../../media-core/conversation/speech/pcm.ts';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Uas } from '../../media-core/engine/uas.ts';
import { parseConfig } from '../../media-core/config/load.ts';
import { createConversationRuntime, type ConversationRuntime } from '../../media-core/conversation/runtime.ts';
import { EspeakTts } from '../../media-core/conversation/speech/tts-espeak.ts';
import type { TtsProvider } from '../../media-core/conversation/speech/tts.ts';
import type { Call, DigitEvent, PlaybackResult } from '../../media-core/call/types.ts';
import { freeSippMediaPort, freeSipPort } from '../../dev/free-ports.ts';
import { startWebhookAssistant, type WebhookAssistantServer } from '../helpers/webhook-assistant.ts';
import { startHttpsFileServer, type HttpsFileServer } from '../helpers/https-files.ts';
import { runSipp, SCENARIO_DIR, type SippResult } from '../../dev/sipp/run-sipp.ts';

const hasTools = spawnSync('sh', ['-c', 'command -v sipp && command -v espeak-ng'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'conv-rt-'));
const CUSTOM = `c-${process.pid}`;

/** Integrations of the test config: called number per scripted assistant. */
const NUMBERS = { prompts: '+15550100101', dtmf: '+15550100102', send: '+15550100103', referOk: '+15550100104', referFail: '+15550100105' } as const;
type Name = keyof typeof NUMBERS;

let engine: Uas | undefined;
let runtime: ConversationRuntime;
let hook: WebhookAssistantServer;
/** The audio response is fetched over https only (self-signed on 127.0.0.1, development option). */
let audioFiles: HttpsFileServer;
let sipPort = 0;
const synthesized: string[] = [];

/** What the engine-side Call did, per called number: playbacks, digits heard back, loud frames heard back. */
interface Observed {
  plays: PlaybackResult[];
  digits: string[];
  loudFrames: number;
}
const observed = new Map<string, Observed>();

function observe(c: Call): void {
  const o: Observed = { plays: [], digits: [], loudFrames: 0 };
  observed.set(c.info.calledUser.replace(/^\+?/, '+'), o);
  const play = c.play.bind(c);
  c.play = async (src) => {
    const r = await play(src);
    o.plays.push(r);
    return r;
  };
  c.on('digit', (d: DigitEvent) => o.digits.push(d.digit));
  c.on('audio', (f: Int16Array) => {
    let sum = 0;
    for (const s of f) sum += s * s;
    if (Math.sqrt(sum / f.length) > 300) o.loudFrames++;
  });
}

// ---- RTP captures -----------------------------------------------------------------------

const EVENT_FILES: Record<string, string> = { '#': 'pound', '*': 'star' };
const eventPcap = (d: string) => readFileSync(`/usr/share/sip-tester/dtmf_2833_${EVENT_FILES[d] ?? d}.pcap`);

/**
 * One libpcap capture (Ethernet, IPv4/UDP/RTP) with the RFC 4733 event of each digit starting
 * `atMs` after SIPp starts playing. Every event gets its own RTP timestamp (RFC 4733 section
 * 2.5.1.3: a repeated digit with the same timestamp would be a retransmission), sequence
 * numbers run on, one SSRC. No digits: a capture with no packets.
 */
function digitsPcap(digits: { d: string; atMs: number }[]): Buffer {
  const parts: Buffer[] = [eventPcap('0').subarray(0, 24)];
  let seq = 1000;
  for (const { d, atMs } of digits) {
    const src = eventPcap(d);
    let off = 24;
    let first: number | undefined;
    let lastSeq: number | undefined;
    while (off + 16 <= src.length) {
      const len = src.readUInt32LE(off + 8);
      const rec = Buffer.from(src.subarray(off, off + 16 + len));
      off += 16 + len;
      const t = rec.readUInt32LE(0) * 1e6 + rec.readUInt32LE(4);
      first ??= t;
      const us = 1_000_000_000 + atMs * 1000 + (t - first);
      rec.writeUInt32LE(Math.floor(us / 1e6), 0);
      rec.writeUInt32LE(us % 1e6, 4);
      const udp = 16 + 14 + 20;
      const rtp = udp + 8;
      rec.writeUInt16BE(0, udp + 6);
      // The capture ends with the end packet sent three times (RFC 4733 2.5.1.4): same sequence number.
      const origSeq = rec.readUInt16BE(rtp + 2);
      if (lastSeq !== undefined && origSeq !== lastSeq) seq++;
      lastSeq = origSeq;
      rec.writeUInt16BE(seq & 0xffff, rtp + 2);
      rec.writeUInt32BE(8000 + atMs * 8, rtp + 4);
      rec.writeUInt32BE(0x5eed5eed, rtp + 8);
      parts.push(rec);
    }
    seq++;
  }
  return Buffer.concat(parts);
}

/** A WAV file of a 440 Hz tone, mono 16-bit PCM. */
function toneWav(sampleRate: number, ms: number): Buffer {
  const samples = new Int16Array(Math.round((sampleRate * ms) / 1000));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate));
  return writeWav(samples, sampleRate);
}

// ---- SIPp --------------------------------------------------------------------------------

interface CallOptions {
  digits?: { d: string; atMs: number }[];
  notifyStatus?: string;
  byeRegexp?: string;
  echo?: boolean;
}

interface CallRun extends SippResult {
  callId: string;
  localPort: number;
}

async function call(name: Name, o: CallOptions = {}): Promise<CallRun> {
  const cwd = mkdtempSync(join(dir, `${name}-`));
  writeFileSync(join(cwd, 'digits.pcap'), digitsPcap(o.digits ?? []));
  const xmlAttr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const scenario = join(cwd, 'conv-uac.xml');
  writeFileSync(scenario, readFileSync(join(SCENARIO_DIR, 'conv-uac.xml'), 'utf8').replaceAll('@BYE_REGEXP@', xmlAttr(o.byeRegexp ?? '^BYE ')));
  const localPort = await freeSipPort();
  const r = await runSipp({
    scenario,
    targetPort: sipPort,
    localPort,
    mediaPort: await freeSippMediaPort(),
    service: NUMBERS[name],
    cwd,
    timeoutS: 30,
    rtpEcho: o.echo ?? false,
    keys: { custom: CUSTOM, notify_status: o.notifyStatus ?? '200 OK' },
  });
  const callId = /^Call-ID: *(\S+)/im.exec(r.messages)?.[1] ?? '';
  return { ...r, callId, localPort };
}

const ok = (r: CallRun) => assert.equal(r.code, 0, `SIPp exit ${r.code}${r.killed ? ' (killed)' : ''}\n${r.errors.slice(-1500)}\n${r.messages.slice(-2500)}`);

/** The first SIP request of `method` SIPp received. */
function request(trace: string, method: string): string {
  const i = trace.indexOf(`\n${method} sip:`);
  assert.ok(i >= 0, `${method} in SIPp trace`);
  return trace.slice(i, trace.indexOf('\n\n', i + 1));
}

const turnTexts = (name: Name) => hook.turns(name).map((t) => t.text);

before(async () => {
  if (!hasTools) return;
  hook = await startWebhookAssistant();
  audioFiles = await startHttpsFileServer();
  sipPort = await freeSipPort();
  const rtpBase = 20000 + Math.floor(Math.random() * 4000) * 2;
  const names = Object.keys(NUMBERS) as Name[];
  const loaded = parseConfig(
    {
      assistants: Object.fromEntries(names.map((n) => [n, { type: 'webhook', url: hook.url(n), timeoutMs: 5000 }])),
      speech: { espeak: { tts: { provider: 'espeak' }, stt: { provider: 'pocketsphinx' } } },
      integrations: names.map((n) => ({
        number: NUMBERS[n],
        assistant: n,
        speech: 'espeak',
        contactCenter: { vendor: 'sip_trunk' },
        customInviteHeaders: ['X-Customer-Id'],
        postResponseTimeoutMs: 15000,
      })),
      audioFetch: { allowLoopback: true, caFile: audioFiles.caFile },
    },
    dir,
  );
  runtime = createConversationRuntime(loaded, {
    makeStt: () => undefined,
    makeTts: (s): TtsProvider => {
      const inner = s.tts.provider === 'espeak' ? new EspeakTts({ voice: s.tts.voice, rate: s.tts.rate }) : new EspeakTts({ voice: 'en-us', rate: 175 });
      return {
        name: inner.name,
        synthesize: (text, settings) => {
          synthesized.push(text);
          return inner.synthesize(text, settings);
        },
      };
    },
  });
  engine = await Uas.start({ sip: { address: '127.0.0.1', udpPort: sipPort }, rtp: { address: '127.0.0.1', portMin: rtpBase, portMax: rtpBase + 40 }, maxCalls: 10 }, (c) => {
    observe(c);
    runtime.onCall(c);
  });
});

after(async () => {
  await engine?.close();
  await hook?.close();
  await audioFiles?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('response types and context variables through the engine (SIPp)', { skip: !hasTools && 'sipp or espeak-ng missing', concurrency: true }, () => {
  test('text, audio (good and wrong-format WAV), post_response_timeout_count, call variables, end_session headers', async () => {
    const good = audioFiles.file('tone-8k.wav', toneWav(8000, 600));
    const bad = audioFiles.file('tone-16k.wav', toneWav(16000, 600));
    hook.script('prompts', (t) => {
      if (t.turn === 0)
        return {
          generic: [
            { response_type: 'text', text: 'Hello caller.' },
            { response_type: 'audio', source: good },
            { response_type: 'audio', source: bad },
            { response_type: 'text', text: 'After the wrong file.' },
          ],
          vars: { post_response_timeout_count: 1200 },
        };
      return {
        generic: [
          {
            response_type: 'end_session',
            channel_options: { voice_telephony: { sip: { headers: [{ name: 'X-Call-Result', value: 'timeout-seen' }, { name: 'User-to-User', value: 'abc123;encoding=ascii' }] } } },
          },
        ],
      };
    });
    const r = await call('prompts', { echo: true, byeRegexp: 'X-Call-Result: timeout-seen' });
    ok(r);
    const turns = hook.turns('prompts');
    assert.deepEqual(turns.map((t) => t.text), ['', 'vgwPostResponseTimeout']);
    const first = turns[0]!.context;
    assert.equal(first.user_phone_number, '+15551234567');
    assert.equal(first.sip_call_id, r.callId);
    assert.ok(r.callId.length > 0);
    assert.equal(first.sip_from_uri, `sip:+15551234567@127.0.0.1:${r.localPort}`);
    assert.equal(first.sip_to_uri, `sip:${NUMBERS.prompts}@127.0.0.1:${sipPort}`);
    assert.equal(first.sip_request_uri, `sip:${NUMBERS.prompts}@127.0.0.1:${sipPort}`);
    assert.deepEqual(first.sip_custom_invite_headers, { 'X-Customer-Id': CUSTOM });
    assert.equal(first.is_dtmf, false);
    assert.equal(first.post_response_timeout_occurred, false);
    const second = turns[1]!.context;
    assert.equal(second.post_response_timeout_occurred, true);
    assert.equal(second.post_response_timeout_count, 1200);
    assert.equal(second.sip_call_id, r.callId);
    // Text, good WAV, text: the wrong-format WAV is skipped, the next response plays.
    const o = observed.get(NUMBERS.prompts)!;
    assert.equal(o.plays.length, 3, JSON.stringify(o.plays));
    assert.ok(o.plays.every((p) => p.completed && p.playedMs > 0), JSON.stringify(o.plays));
    assert.ok(Math.abs(o.plays[1]!.playedMs - 600) <= 40, `good WAV played ${o.plays[1]!.playedMs} ms`);
    assert.ok(synthesized.includes('After the wrong file.'));
    // SIPp echoed what it received: speech and tone, i.e. well over 0.6 s of loud frames.
    assert.ok(o.loudFrames > 40, `loud frames echoed by SIPp: ${o.loudFrames}`);
    const bye = request(r.messages, 'BYE');
    assert.match(bye, /X-Call-Result: timeout-seen/);
    assert.match(bye, /User-to-User: abc123;encoding=ascii/);
  });

  test('dtmf collect (termination key, min/max, count, too short), stop_activities then start_activities', async () => {
    hook.script('dtmf', (t) => {
      switch (t.turn) {
        case 0:
          return { generic: [{ response_type: 'dtmf', command_info: { type: 'collect', parameters: { termination_key: '#', minimum_count: 2, maximum_count: 6 } } }] };
        case 1:
          return { generic: [{ response_type: 'dtmf', command_info: { type: 'collect', parameters: { count: '3', inter_digit_timeout_count: 800 } } }] };
        case 2:
          return {
            generic: [
              { response_type: 'stop_activities', activities: [{ type: 'dtmf_collection' }] },
              { response_type: 'text', text: 'Please hold on while I look up your account details.' },
            ],
          };
        case 3:
          return {
            generic: [
              { response_type: 'start_activities', activities: [{ type: 'dtmf_collection' }] },
              { response_type: 'dtmf', command_info: { type: 'collect', parameters: { count: 2 } } },
            ],
          };
        default:
          return { generic: [{ response_type: 'end_session' }] };
      }
    });
    const digits = [
      { d: '1', atMs: 1000 },
      { d: '1', atMs: 1300 },
      { d: '2', atMs: 1600 },
      { d: '#', atMs: 1900 },
      { d: '9', atMs: 2800 },
      { d: '7', atMs: 4800 },
      { d: '4', atMs: 9000 },
      { d: '2', atMs: 9300 },
    ];
    const r = await call('dtmf', { digits });
    ok(r);
    const turns = hook.turns('dtmf');
    assert.deepEqual(turns.map((t) => t.text), ['', '112', '9', 'vgwNoInputTurn', '42']);
    const c = turns.map((t) => t.context);
    assert.equal(c[1]!.is_dtmf, true);
    assert.equal(c[1]!.dtmf_collection_succeeded, true);
    assert.equal(c[2]!.is_dtmf, true);
    assert.equal(c[2]!.dtmf_collection_succeeded, false);
    assert.equal(c[3]!.is_dtmf, false);
    assert.equal(c[3]!.dtmf_collection_succeeded, undefined);
    assert.equal(c[4]!.is_dtmf, true);
    assert.equal(c[4]!.dtmf_collection_succeeded, true);
    // The engine heard every digit, the ignored 7 included.
    assert.equal(observed.get(NUMBERS.dtmf)!.digits.join(''), '112#9742');
  });

  test('dtmf send: RFC 4733 events reach SIPp (echoed back) and come back as the collected input', async () => {
    hook.script('send', (t) =>
      t.turn === 0
        ? {
            generic: [
              { response_type: 'dtmf', command_info: { type: 'collect', parameters: { count: 3 } } },
              { response_type: 'dtmf', command_info: { type: 'send', parameters: { digits: '159' } } },
            ],
          }
        : { generic: [{ response_type: 'end_session' }] },
    );
    const r = await call('send', { echo: true });
    ok(r);
    assert.deepEqual(turnTexts('send'), ['', '159']);
    assert.equal(hook.turns('send')[1]!.context.dtmf_collection_succeeded, true);
    assert.equal(observed.get(NUMBERS.send)!.digits.join(''), '159');
  });

  test('connect_to_agent service_desk.sip: REFER with the session history key, NOTIFY 200, BYE', async () => {
    hook.script('referOk', () => ({
      generic: [
        {
          response_type: 'connect_to_agent',
          transfer_info: { target: { service_desk: { sip: { uri: 'sip:agent@127.0.0.1:5099', transfer_headers: [{ name: 'X-Queue', value: 'billing' }] } } } },
          agent_available: { message: 'Transferring you now.' },
          agent_unavailable: { message: 'Sorry, nobody is free.' },
        },
      ],
    }));
    const r = await call('referOk');
    ok(r);
    const refer = request(r.messages, 'REFER');
    assert.match(refer, /Refer-To: <?sip:agent@127\.0\.0\.1:5099/);
    assert.match(refer, /X-Queue: billing/);
    assert.match(refer, /User-to-User: [A-Za-z0-9_-]{22};encoding=ascii/);
    assert.ok(r.messages.indexOf('\nBYE sip:') > r.messages.indexOf('\nREFER sip:'));
    const turns = await hook.waitFor('referOk', (t) => t.length >= 2, 3000);
    assert.deepEqual(turns.map((t) => t.text), ['', 'vgwCallTransferred']);
    assert.ok(synthesized.includes('Transferring you now.'));
  });

  test('connect_to_agent with NOTIFY 486: agent_unavailable is played, the assistant gets vgwCallTransferFailed', async () => {
    hook.script('referFail', (t) =>
      t.turn === 0
        ? {
            generic: [
              {
                response_type: 'connect_to_agent',
                transfer_info: { target: { service_desk: { sip: { uri: 'sip:busy-agent@127.0.0.1:5099' } } } },
                agent_available: { message: 'Connecting you.' },
                agent_unavailable: { message: 'Sorry, every agent is busy.' },
              },
            ],
          }
        : { generic: [{ response_type: 'end_session', channel_options: { voice_telephony: { sip: { headers: [{ name: 'X-Call-Result', value: 'transfer-failed' }] } } } }] },
    );
    const r = await call('referFail', { notifyStatus: '486 Busy Here', byeRegexp: 'X-Call-Result: transfer-failed' });
    ok(r);
    assert.match(request(r.messages, 'REFER'), /Refer-To: <?sip:busy-agent@127\.0\.0\.1:5099/);
    assert.deepEqual(turnTexts('referFail'), ['', 'vgwCallTransferFailed']);
    assert.ok(synthesized.includes('Sorry, every agent is busy.'));
    const o = observed.get(NUMBERS.referFail)!;
    assert.equal(o.plays.length, 2, JSON.stringify(o.plays));
    assert.ok(o.plays.every((p) => p.playedMs > 0));
  });
});
