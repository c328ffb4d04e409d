/**
 * SIPp-driven calls through the real SIP/RTP engine and the conversation runtime with the
 * demo config's local assistant and embedded speech (espeak-ng, pocketsphinx):
 * DTMF 0 -> REFER (NOTIFY 200) -> BYE; DTMF 9 -> BYE with the assistant's headers;
 * spoken "i want to speak to an agent" (espeak-ng -> 8 kHz mu-law, SIPp rtp_stream) -> REFER.
 * Scenarios are written to a temporary directory; SIPp's message trace is checked.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Uas } from '../../media-core/engine/uas.ts';
import { loadConfigFile } from '../../media-core/config/load.ts';
import { createConversationRuntime, type ConversationRuntime } from '../../media-core/conversation/runtime.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { sippReply } from '../../dev/sipp/sipp-reply.ts';

const hasSipp = spawnSync('sh', ['-c', 'command -v sipp && command -v espeak-ng && command -v sox && command -v pocketsphinx_continuous'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'conv-sipp-'));
let engine: Uas;
let runtime: ConversationRuntime;
let sipPort = 0;

const INVITE = `
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+15551234567@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port]>
X-Customer-Id: c-77
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 1 1 IN IP[local_ip_type] [local_ip]
s=t
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
]]></send>
  <recv response="100" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+15551234567@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>`;


const REFER_THEN_BYE = `
  <recv request="REFER" timeout="25000">
    <action><ereg regexp=".*" search_in="hdr" header="From:" assign_to="peer"/></action>
  </recv>
  ${sippReply('202 Accepted')}
  <send><![CDATA[
NOTIFY [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+15551234567@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To:[$peer]
Call-ID: [call_id]
CSeq: 2 NOTIFY
Contact: <sip:caller@[local_ip]:[local_port]>
Event: refer
Subscription-State: terminated;reason=noresource
Content-Type: message/sipfrag;version=2.0
Content-Length: [len]

SIP/2.0 200 OK
]]></send>
  <recv response="200"/>
  <recv request="BYE" timeout="10000"/>
  <Reference variables="peer"/>
  ${sippReply('200 OK')}`;

function scenario(name: string, media: string, ending: string): string {
  const f = join(dir, `${name}.xml`);
  writeFileSync(f, `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n<scenario name="${name}">${INVITE}\n${media}\n${ending}\n</scenario>\n`);
  return f;
}

/** Runs one SIPp call; resolves with its exit code and message trace. Bounded at 40 s. */
async function runSipp(file: string, called: string): Promise<{ code: number | null; trace: string }> {
  const local = await freeSipPort();
  const mediaPort = 30000 + Math.floor(Math.random() * 10000) * 2;
  const cwd = mkdtempSync(join(dir, 'run-'));
  const p = spawn('sipp', ['127.0.0.1:' + sipPort, '-sf', file, '-s', called, '-m', '1', '-i', '127.0.0.1', '-p', String(local), '-mi', '127.0.0.1', '-mp', String(mediaPort), '-nostdin', '-timeout', '35s', '-timeout_error', '-trace_msg', '-trace_err'], { cwd, stdio: 'ignore' });
  const code = await new Promise<number | null>((r) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 40_000);
    p.on('close', (c) => (clearTimeout(t), r(c)));
  });
  const logs = readdirSync(cwd).filter((f) => f.endsWith('.log'));
  return { code, trace: logs.map((f) => readFileSync(join(cwd, f), 'utf8')).join('\n') };
}

/** The first SIP request of `method` in a SIPp message trace. */
function request(trace: string, method: string): string {
  const i = trace.indexOf(`\n${method} sip:`);
  assert.ok(i >= 0, `${method} in trace`);
  return trace.slice(i, trace.indexOf('\n\n', i + 1));
}

before(async () => {
  if (!hasSipp) return;
  sipPort = await freeSipPort();
  const rtpBase = 20000 + Math.floor(Math.random() * 4000) * 2;
  runtime = createConversationRuntime(loadConfigFile('media-core/config/demo.json'));
  engine = await Uas.start({ sip: { address: '127.0.0.1', udpPort: sipPort }, rtp: { address: '127.0.0.1', portMin: rtpBase, portMax: rtpBase + 40 }, maxCalls: 5 }, (c) => runtime.onCall(c));
});
after(async () => {
  if (engine) await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('calls through the engine (SIPp)', { skip: !hasSipp && 'sipp, espeak-ng, sox or pocketsphinx missing' }, () => {
  test('DTMF 0 -> REFER to the agent with the session history key in User-to-User, then BYE', async () => {
    const media = `<nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_0.pcap"/></action></nop>`;
    const r = await runSipp(scenario('dtmf-refer', media, REFER_THEN_BYE), '+15550100001');
    assert.equal(r.code, 0, r.trace.slice(-1500));
    const refer = request(r.trace, 'REFER');
    assert.match(refer, /Refer-To: <?sip:agent@127\.0\.0\.1:5090/);
    assert.match(refer, /User-to-User: [A-Za-z0-9_-]{22};encoding=ascii/);
    // No account number was entered: the demo's {{account_number}} header is left out, not sent empty.
    assert.doesNotMatch(refer, /X-Account-Number/i);
    assert.match(refer, /X-Message-To-Human-Agent: The caller asked for an agent\.\r?\n/);
  });

  test('DTMF 9 -> goodbye and BYE with the assistant headers', async () => {
    const media = `<nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_9.pcap"/></action></nop>`;
    const r = await runSipp(scenario('dtmf-bye', media, `<recv request="BYE" timeout="25000"/>${sippReply('200 OK')}`), '15550100001');
    assert.equal(r.code, 0, r.trace.slice(-1500));
    assert.match(request(r.trace, 'BYE'), /X-Call-Result: completed/);
  });

  test('spoken "i want to speak to an agent" (pocketsphinx) -> REFER', async () => {
    const ulaw = join(dir, 'agent.ulaw');
    const sh = spawnSync('sh', ['-c', `espeak-ng -v en-us --stdout "i want to speak to an agent" | sox -t wav - -r 8000 -c 1 -e mu-law -t raw ${ulaw} pad 0.3 1.2`]);
    assert.equal(sh.status, 0);
    const media = `<pause milliseconds="600"/><nop><action><exec rtp_stream="${ulaw},1,0"/></action></nop>`;
    const r = await runSipp(scenario('speech-refer', media, REFER_THEN_BYE), '+15550100001');
    assert.equal(r.code, 0, r.trace.slice(-1500));
    assert.match(request(r.trace, 'REFER'), /Refer-To: <?sip:agent@127\.0\.0\.1:5090/);
  });

  test('an unknown number is refused with 404', async () => {
    const f = join(dir, 'unknown.xml');
    writeFileSync(f, `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n<scenario name="u">${INVITE.replace(/<recv response="200" rrs="true"\/>[\s\S]*$/, '<recv response="404"/>')}\n${`<send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-1]
From: <sip:+15551234567@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>`}\n</scenario>\n`);
    const r = await runSipp(f, '+15550109999');
    assert.equal(r.code, 0, r.trace.slice(-1500));
  });
});
