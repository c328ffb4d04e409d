import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCallArgs, UsageError } from '../../dev/caller/call-args.ts';
import { computeStackEnv, DEFAULT_PORTS, generateSecrets, PORT_ENV, resolvePorts, STATE_TABLE, type Ports } from '../../dev/stack/stack-env.ts';
import { formatMissing, missingPrerequisites, STACK_PREREQUISITES, ESPEAK, SIPP } from '../../dev/stack/prerequisites.ts';
import { decodeUserToUser, parseReferTo, parseSippTrace, renderLadder, sipEnding } from '../../dev/caller/sip-ladder.ts';
import { vendorForNumber } from '../../dev/caller/vendor-route.ts';
import { newCallIds, vendorInviteHeaders } from '../../dev/caller/invite-headers.ts';
import { outcomeLines, sandboxEnding } from '../../dev/caller/sandbox-outcome.ts';
import { parseDialSip, parseRedirect, twilioVoiceParams } from '../../dev/caller/twilio-emulation.ts';
import { readStackInfo, removeStackInfo, stackInfoPath, writeStackInfo } from '../../dev/stack/stack-info.ts';
import { statSync } from 'node:fs';
import { verdict } from '../../dev/caller/call-verdict.ts';
import { buildScenario, DTMF_PAUSE_MS, dtmfPcap, mediaDurationMs, mediaSteps, prepareDtmfPcaps } from '../../dev/caller/caller-media.ts';
import { rtpHeadersInPcap, shiftRtpInPcap } from '../../dev/caller/pcap-rtp.ts';
import { runSipp } from '../../dev/sipp/run-sipp.ts';
import { REPO_ROOT } from '../../dev/repo-root.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import type { SandboxEvent } from '../../dev/sandboxes/types.ts';

const KEY = 'Abcdefghijklmnopqrstu_';
const ARN = 'arn:aws:connect:us-east-1:000000000000:instance/5f0c7d3e-0000-4000-8000-00000000c0de';

describe('npm run call: argument parsing', () => {
  test('defaults', () => {
    const o = parseCallArgs(['--to', '+15550100003'], {});
    assert.equal(o.to, '+15550100003');
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.port, 5060);
    assert.equal(o.transport, 'udp');
    assert.equal(o.dtmf, '');
    assert.equal(o.say, undefined);
    assert.equal(o.timeoutMs, 60_000);
    assert.equal(o.sandboxUrl, 'http://127.0.0.1:4010');
    assert.equal(o.screenPopUrl, 'http://127.0.0.1:3000/agent');
  });
  test('every option, and the environment defaults', () => {
    const o = parseCallArgs(
      ['--to', '15550100004', '--dtmf', '1 2#', '--say', ' I want to speak to an agent ', '--host', 'media.example', '--port', '5080', '--transport', 'TCP', '--after', '0', '--timeout', '20', '--from', '+15551112222'],
      { SANDBOX_PORT: '4999', HTTP_PORT: '3999' },
    );
    assert.deepEqual(
      { to: o.to, dtmf: o.dtmf, say: o.say, host: o.host, port: o.port, transport: o.transport, afterMs: o.afterMs, timeoutMs: o.timeoutMs, from: o.from, sandboxUrl: o.sandboxUrl, screenPopUrl: o.screenPopUrl },
      { to: '+15550100004', dtmf: '12#', say: 'I want to speak to an agent', host: 'media.example', port: 5080, transport: 'tcp', afterMs: 0, timeoutMs: 20_000, from: '+15551112222', sandboxUrl: 'http://127.0.0.1:4999', screenPopUrl: 'http://127.0.0.1:3999/agent' },
    );
    assert.equal(parseCallArgs(['--to', '+15550100001'], { SIP_PORT: '5070' }).port, 5070);
    assert.equal(parseCallArgs(['--to', '+15550100001', '--sandbox', 'http://127.0.0.1:1234/'], {}).sandboxUrl, 'http://127.0.0.1:1234');
    assert.equal(parseCallArgs(['--help'], {}).help, true);
    assert.equal(parseCallArgs(['--to', '+15550100001', '--dtmf', '1234#,, 0'], {}).dtmf, '1234#,,0', '"," is a pause');
  });
  test('bad command lines are UsageErrors that say what is wrong', () => {
    const cases: [string[], RegExp][] = [
      [[], /--to <number> is required/],
      [['--to', 'alice'], /--to alice/],
      [['--to', '+15550100001', '--dtmf', '12a'], /only digits/],
      [['--to', '+15550100001', '--dtmf', '1;2'], /only digits/],
      [['--to', '+15550100001', '--port', '70000'], /--port 70000/],
      [['--to', '+15550100001', '--transport', 'tls'], /udp or tcp/],
      [['--to', '+15550100001', '--timeout', '1'], /--timeout 1/],
      [['--to', '+15550100001', '--bogus'], /bogus/],
      [['--to', '+15550100001', '--host', 'a b'], /--host/],
    ];
    for (const [argv, message] of cases) assert.throws(() => parseCallArgs(argv, {}), (e: unknown) => e instanceof UsageError && message.test((e as Error).message), argv.join(' '));
  });
});

describe('stack environment', () => {
  test('defaults, and every port overridable by its variable and by an explicit override', () => {
    assert.deepEqual(resolvePorts({}), { ...DEFAULT_PORTS });
    const names = Object.keys(PORT_ENV) as (keyof Ports)[];
    const env = Object.fromEntries(names.map((n, i) => [PORT_ENV[n], String(20000 + i * 10)]));
    const fromEnv = resolvePorts(env);
    names.forEach((n, i) => assert.equal(fromEnv[n], 20000 + i * 10, n));
    assert.equal(resolvePorts(env, { http: 1234 }).http, 1234);
    assert.equal(resolvePorts(env, { http: 1234 }).lambda, fromEnv.lambda);
    assert.throws(() => resolvePorts({ HTTP_PORT: 'abc' }), /HTTP_PORT=abc/);
    assert.throws(() => resolvePorts({ SIP_PORT: '70000' }), /SIP_PORT/);
    assert.throws(() => resolvePorts({ RTP_PORT_MIN: '3000', RTP_PORT_MAX: '2000' }), /RTP_PORT_MIN/);
  });

  test('every component gets URLs built from the ports', () => {
    const ports: Ports = { dynamodb: 41001, http: 41002, lambda: 41003, sandbox: 41004, sip: 41005, rtpMin: 42000, rtpMax: 42010 };
    const s = generateSecrets();
    const e = computeStackEnv(ports, s);
    assert.equal(e.offline.DYNAMODB_ENDPOINT, 'http://127.0.0.1:41001');
    assert.equal(e.mediaCore.DYNAMODB_ENDPOINT, 'http://127.0.0.1:41001');
    assert.equal(e.offline.STATE_TABLE, STATE_TABLE);
    assert.equal(e.mediaCore.STATE_TABLE, STATE_TABLE);
    assert.equal(e.offline.HTTP_PORT, '41002');
    assert.equal(e.offline.LAMBDA_PORT, '41003');
    assert.equal(e.offline.PUBLIC_BASE_URL, 'http://127.0.0.1:41002');
    assert.equal(e.offline.AGENT_SCREEN_POP_BASE_URL, 'http://127.0.0.1:41002/agent');
    assert.equal(e.mediaCore.AGENT_SCREEN_POP_BASE_URL, 'http://127.0.0.1:41002/agent');
    assert.equal(e.offline.MEDIA_CORE_SIP_HOST, '127.0.0.1:41005');
    assert.equal(e.offline.AMAZON_CONNECT_ENDPOINT, 'http://127.0.0.1:41004');
    assert.equal(e.offline.CXONE_ISSUER_URL, 'http://127.0.0.1:41004');
    assert.ok(e.offline.STUDIO_FLOW_WEBHOOK_URL!.startsWith('http://127.0.0.1:41004/'));
    assert.equal(e.sandboxes.SANDBOX_PORT, '41004');
    assert.equal(e.mediaCore.SIP_PORT, '41005');
    assert.equal(e.mediaCore.RTP_PORT_MIN, '42000');
    assert.equal(e.mediaCore.RTP_PORT_MAX, '42010');
    assert.equal(e.mediaCore.LAMBDA_ENDPOINT, 'http://127.0.0.1:41003');
    assert.equal(e.mediaCore.CONFIG_FILE, 'media-core/config/demo.json');
    assert.equal(e.urls.sandboxEvents, 'http://127.0.0.1:41004/_sandbox/events');
    // Nothing points at a default port when every port was moved.
    const all = JSON.stringify(e);
    for (const p of [4567, 3000, 3002, 4010, 5060]) assert.ok(!all.includes(`:${p}`), `default port ${p} leaked`);
  });

  test('fake credentials are generated per run and given to both sides', () => {
    const a = generateSecrets();
    const b = generateSecrets();
    assert.notEqual(a.twilioAuthToken, b.twilioAuthToken);
    assert.notEqual(a.cxoneAccessKeySecret, b.cxoneAccessKeySecret);
    assert.match(a.twilioAccountSid, /^AC[0-9a-f]{32}$/);
    const e = computeStackEnv(DEFAULT_PORTS, a);
    assert.equal(e.offline.TWILIO_AUTH_TOKEN, a.twilioAuthToken);
    assert.equal(e.sandboxes.SANDBOX_TWILIO_AUTH_TOKEN, a.twilioAuthToken);
    assert.equal(e.offline.CXONE_ACCESS_KEY_SECRET, e.sandboxes.SANDBOX_CXONE_ACCESS_KEY_SECRET);
    assert.equal(e.offline.CXONE_ACCESS_KEY_ID, e.sandboxes.SANDBOX_CXONE_ACCESS_KEY_ID);
    assert.equal(e.offline.CXONE_CLIENT_SECRET, e.sandboxes.SANDBOX_CXONE_CLIENT_SECRET);
    assert.equal(e.offline.AWS_ACCESS_KEY_ID, e.sandboxes.SANDBOX_AWS_ACCESS_KEY_ID);
    assert.equal(e.offline.AMAZON_CONNECT_INSTANCE_ID, e.sandboxes.SANDBOX_CONNECT_INSTANCE_IDS);
    // The media core sends SMS through the Twilio sandbox only; it needs no other vendor secret.
    assert.equal(e.mediaCore.TWILIO_AUTH_TOKEN, a.twilioAuthToken);
    assert.equal(e.mediaCore.TWILIO_API_BASE_URL, e.urls.sandbox);
    assert.equal(e.mediaCore.CXONE_ACCESS_KEY_SECRET, undefined);
  });
});

describe('prerequisites', () => {
  test('a PATH lacking espeak-ng names it with the install command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prereq-'));
    try {
      writeFileSync(join(dir, 'pocketsphinx_continuous'), '#!/bin/sh\n');
      chmodSync(join(dir, 'pocketsphinx_continuous'), 0o755);
      const missing = missingPrerequisites(STACK_PREREQUISITES, dir);
      assert.deepEqual(missing.map((p) => p.command), ['espeak-ng']);
      const message = formatMissing(missing);
      assert.match(message, /espeak-ng/);
      assert.match(message, /sudo apt-get install espeak-ng\n/);
      assert.match(message, /sudo apt-get install espeak-ng pocketsphinx pocketsphinx-en-us sip-tester/);
      assert.equal(formatMissing([]), '');
      assert.deepEqual(missingPrerequisites([ESPEAK, SIPP], '').map((p) => p.command), ['espeak-ng', 'sipp']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('npm start with an empty PATH prints the install command, not a stack trace, and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emptypath-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'dev/stack/main.ts')], {
        cwd: REPO_ROOT,
        env: { PATH: dir, HOME: process.env.HOME ?? dir },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /espeak-ng/);
      assert.match(r.stderr, /pocketsphinx_continuous/);
      assert.match(r.stderr, /sudo apt-get install/);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
      assert.doesNotMatch(r.stdout, /ready/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A SIPp -trace_msg log as SIPp 3.6 writes it, with a compact Refer-To (r:) and a folded header. */
const SAMPLE_TRACE = [
  '----------------------------------------------- 2026-11-22 10:00:00.000000',
  'UDP message sent (500 bytes):',
  '',
  'INVITE sip:+15550100003@127.0.0.1:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1',
  'From: <sip:+15557654321@127.0.0.1:40000>;tag=1',
  'To: <sip:+15550100003@127.0.0.1:5060>',
  'Call-ID: 1-1@127.0.0.1',
  'CSeq: 1 INVITE',
  `User-to-User: ${Buffer.from(ARN).toString('hex')};encoding=hex`,
  'X-Amzn-ConnectContactId: 7d1c',
  'Content-Length: 0',
  '',
  '',
  '----------------------------------------------- 2026-11-22 10:00:00.120000',
  'UDP message received [300] bytes :',
  '',
  'SIP/2.0 200 OK',
  'CSeq: 1 INVITE',
  'Content-Length: 0',
  '',
  '----------------------------------------------- 2026-11-22 10:00:00.121000',
  'UDP message sent (300 bytes):',
  '',
  'ACK sip:media-core@127.0.0.1:5060 SIP/2.0',
  'CSeq: 1 ACK',
  '',
  '----------------------------------------------- 2026-11-22 10:00:04.500000',
  'UDP message received [400] bytes :',
  '',
  'REFER sip:+15557654321@127.0.0.1:40000 SIP/2.0',
  'CSeq: 101 REFER',
  `r: <sip:queue@flex.twilio.com?X-Watson-Assistant-Session-History-Key=${KEY}&X-Intent=agent%20please>`,
  'X-Folded: first',
  '  second',
  'Content-Length: 0',
  '',
  '----------------------------------------------- 2026-11-22 10:00:04.501000',
  'UDP message sent (300 bytes):',
  '',
  'SIP/2.0 202 Accepted',
  'CSeq: 101 REFER',
  '',
  '----------------------------------------------- 2026-11-22 10:00:04.502000',
  'UDP message sent (300 bytes):',
  '',
  'NOTIFY sip:media-core@127.0.0.1:5060 SIP/2.0',
  'CSeq: 2 NOTIFY',
  'Content-Type: message/sipfrag;version=2.0',
  '',
  'SIP/2.0 200 OK',
  '',
  '----------------------------------------------- 2026-11-22 10:00:04.600000',
  'UDP message received [300] bytes :',
  '',
  'BYE sip:+15557654321@127.0.0.1:40000 SIP/2.0',
  'CSeq: 102 BYE',
  'X-Reason: transferred',
  '',
].join('\n');

describe('SIP ladder', () => {
  test('renders one arrow line per message from a SIPp trace', () => {
    const messages = parseSippTrace(SAMPLE_TRACE);
    assert.equal(messages.length, 7);
    const lines = renderLadder(messages);
    assert.equal(lines.length, 7);
    assert.match(lines[0]!, /^\s+\+0\.000s {2}caller -> media core {2}INVITE sip:\+15550100003@127\.0\.0\.1:5060 \(User-to-User: 61726e3a.*X-Amzn-ConnectContactId: 7d1c\)$/);
    assert.match(lines[1]!, /\+0\.120s {2}caller <- media core {2}200 OK \(INVITE\)$/);
    assert.match(lines[2]!, /caller -> media core {2}ACK$/);
    assert.match(lines[3]!, /\+4\.500s {2}caller <- media core {2}REFER \(Refer-To: <sip:queue@flex\.twilio\.com\?X-Watson-Assistant-Session-History-Key=Abcdefghijklmnopqrstu_&X-Intent=agent%20please>, X-Folded: first second\)$/);
    assert.match(lines[4]!, /caller -> media core {2}202 Accepted \(REFER\)$/);
    assert.match(lines[5]!, /caller -> media core {2}NOTIFY \(sipfrag: SIP\/2\.0 200 OK\)$/);
    assert.match(lines[6]!, /caller <- media core {2}BYE \(X-Reason: transferred\)$/);
  });

  test('reads the transfer target and key from the REFER', () => {
    const ending = sipEnding(parseSippTrace(SAMPLE_TRACE));
    assert.equal(ending.kind, 'transferred');
    if (ending.kind !== 'transferred') return;
    assert.equal(ending.target, 'sip:queue@flex.twilio.com');
    assert.equal(ending.sessionHistoryKey, KEY);
    assert.equal(ending.headers['X-Intent'], 'agent please');
  });

  test('hang-up, rejection and no answer', () => {
    const noRefer = SAMPLE_TRACE.split('----------------------------------------------- 2026-11-22 10:00:04.500000')[0]! +
      '----------------------------------------------- 2026-11-22 10:00:05.000000\nUDP message received [1] bytes :\n\nBYE sip:x@y SIP/2.0\nCSeq: 9 BYE\nX-Watson-Reason: goodbye\n\n';
    assert.deepEqual(sipEnding(parseSippTrace(noRefer)), { kind: 'hung-up', by: 'media core', headers: { 'X-Watson-Reason': 'goodbye' } });
    const rejected = SAMPLE_TRACE.replace('SIP/2.0 200 OK\nCSeq: 1 INVITE', 'SIP/2.0 486 Busy Here\nCSeq: 1 INVITE');
    assert.deepEqual(sipEnding(parseSippTrace(rejected)), { kind: 'rejected', status: 486, reason: 'Busy Here' });
    assert.deepEqual(sipEnding([]), { kind: 'no-answer' });
  });

  test('User-to-User and Refer-To decoding', () => {
    assert.equal(decodeUserToUser(`${Buffer.from(KEY).toString('hex')};encoding=hex`), KEY);
    assert.equal(decodeUserToUser(`${KEY};encoding=ascii`), KEY);
    assert.deepEqual(parseReferTo('<sip:a@b;transport=tcp?User-to-User=abc%3Bencoding%3Dascii>'), { uri: 'sip:a@b;transport=tcp', headers: { 'User-to-User': 'abc;encoding=ascii' } });
  });
});

describe('vendor of the called number and its INVITE headers', () => {
  test('from the demo config, from another config, and the fallback', () => {
    const demo = join(REPO_ROOT, 'media-core/config/demo.json');
    assert.equal(vendorForNumber('+15550100001', demo), 'sip_trunk');
    assert.equal(vendorForNumber('+15550100002', demo), 'twilio_flex');
    assert.equal(vendorForNumber('15550100003', demo), 'amazon_connect');
    assert.equal(vendorForNumber('+15550100004', demo), 'nice_cxone');
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    try {
      const cfg = join(dir, 'c.json');
      writeFileSync(cfg, JSON.stringify({ integrations: [{ number: '+15550100001', contactCenter: { vendor: 'nice_cxone' } }] }));
      assert.equal(vendorForNumber('+15550100001', cfg), 'nice_cxone');
      assert.equal(vendorForNumber('+15550100003', cfg), 'amazon_connect', 'demo numbers as fallback');
      writeFileSync(cfg, '{not json');
      assert.equal(vendorForNumber('+15550100004', cfg), 'nice_cxone');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(vendorForNumber('+4930123456', '/nonexistent.json'), 'sip_trunk');
  });

  test('Amazon Connect sends the contact token in User-to-User (hex) and the contact id; CXone X-ContactID and X-Contact-Token', () => {
    const ids = newCallIds('amazon_connect', ARN);
    assert.match(ids.contactId!, /^[0-9a-f-]{36}$/);
    const token = `ct1.${ids.contactId}.1900000000.${'A'.repeat(22)}`;
    const h = vendorInviteHeaders('amazon_connect', { ...ids, contactToken: token });
    const uui = h.find((l) => l.startsWith('User-to-User: '))!.slice('User-to-User: '.length);
    assert.match(uui, /;encoding=hex$/);
    assert.equal(decodeUserToUser(uui), token);
    assert.ok(h.includes(`X-Amzn-ConnectContactId: ${ids.contactId}`));
    assert.ok(h.includes(`X-Amzn-ConnectInitialContactId: ${ids.contactId}`));
    assert.equal(vendorInviteHeaders('amazon_connect', ids).find((l) => l.startsWith('User-to-User')), undefined, 'no token, no User-to-User');
    const cx = newCallIds('nice_cxone', ARN);
    assert.match(cx.contactId!, /^\d{12}$/);
    assert.deepEqual(vendorInviteHeaders('nice_cxone', cx), [`X-ContactID: ${cx.contactId}`]);
    assert.deepEqual(vendorInviteHeaders('nice_cxone', { ...cx, contactToken: 'ct1.x' }), [`X-ContactID: ${cx.contactId}`, 'X-Contact-Token: ct1.x']);
    assert.deepEqual(vendorInviteHeaders('sip_trunk', {}), []);
    assert.match(vendorInviteHeaders('twilio_flex', newCallIds('twilio_flex', ARN))[0]!, /^X-Twilio-CallSid: CA[0-9a-f]{32}$/);
  });
});

describe('where the call ended, from the sandbox events', () => {
  const ev = (seq: number, e: Partial<SandboxEvent>): SandboxEvent => ({ seq, at: '2026-11-22T10:00:00Z', vendor: 'amazon_connect', operation: 'UpdateContactAttributes', params: {}, status: 200, ...e });
  test('Amazon Connect: the SessionHistoryKey of this contact, after the baseline', () => {
    const events = [
      ev(1, { params: { InitialContactId: 'c1', Attributes: { SessionHistoryKey: 'old-call' } } }),
      ev(2, { params: { InitialContactId: 'other', Attributes: { SessionHistoryKey: 'x' } } }),
      ev(3, { params: { InitialContactId: 'c1', Attributes: { SessionHistoryKey: 'y' } }, status: 429 }),
      ev(4, { params: { InitialContactId: 'c1', Attributes: { SessionHistoryKey: KEY, intent: 'billing' } } }),
    ];
    assert.deepEqual(sandboxEnding(events, 'amazon_connect', 'c1', 1), { kind: 'queued', sessionHistoryKey: KEY, operation: 'UpdateContactAttributes', customData: { intent: 'billing' } });
    assert.deepEqual(sandboxEnding(events.slice(0, 3), 'amazon_connect', 'c1', 1), { kind: 'failed', operation: 'UpdateContactAttributes', status: 429 });
    assert.deepEqual(sandboxEnding([ev(5, { params: { InitialContactId: 'c1', Attributes: { SessionHistoryKey: 'hangup' } } })], 'amazon_connect', 'c1'), { kind: 'hung-up', operation: 'UpdateContactAttributes' });
    assert.deepEqual(sandboxEnding(events, 'amazon_connect', 'nobody'), { kind: 'none' });
  });
  test('NICE CXone: p1 of this contact', () => {
    const events = [ev(1, { vendor: 'nice_cxone', operation: 'signal', params: { contactId: '123', p1: KEY, p2: 'x' }, status: 202 })];
    assert.deepEqual(sandboxEnding(events, 'nice_cxone', '123'), { kind: 'queued', sessionHistoryKey: KEY, operation: 'signal', customData: { p2: 'x' } });
    events.push(ev(2, { vendor: 'nice_cxone', operation: 'signal', params: { contactId: '123', p1: 'hangup' }, status: 204 }));
    assert.equal(sandboxEnding(events, 'nice_cxone', '123').kind, 'hung-up');
  });
  test('verdict lines', () => {
    const transferred = { kind: 'transferred' as const, target: 'sip:agent@x', sessionHistoryKey: KEY, headers: {} };
    assert.equal(
      verdict('amazon_connect', transferred, { kind: 'queued', sessionHistoryKey: KEY, operation: 'UpdateContactAttributes', customData: {} }),
      'queued for an agent with session history key Abcdef… (Amazon Connect UpdateContactAttributes SessionHistoryKey)',
    );
    assert.match(verdict('nice_cxone', { kind: 'hung-up', by: 'media core', headers: {} }, { kind: 'hung-up', operation: 'signal' }), /^hung up \(NICE CXone signal p1 = "hangup"\)/);
    assert.equal(verdict('sip_trunk', transferred, undefined), 'transferred by REFER to sip:agent@x, session history key Abcdef…');
    assert.equal(verdict('sip_trunk', { kind: 'hung-up', by: 'media core', headers: { 'X-A': '1' } }, undefined), 'hung up by the media core with X-A: 1');
    assert.match(verdict('sip_trunk', { kind: 'rejected', status: 503, reason: 'Service Unavailable' }, undefined), /rejected by the media core: 503/);
    assert.ok(!verdict('amazon_connect', transferred, { kind: 'queued', sessionHistoryKey: KEY, operation: 'x', customData: {} }).includes(KEY), 'key shortened');
    const flex = { ...transferred, target: 'sip:queue@flex.twilio.com' };
    assert.equal(
      verdict('twilio_flex', flex, undefined, { url: `https://studio.example/flow?FlowEvent=return&SessionHistoryKey=${KEY}`, method: 'POST', flowEvent: 'return', sessionHistoryKey: KEY }),
      "transferred by REFER to sip:queue@flex.twilio.com; Twilio's refer-handler redirected to the Studio flow (https://studio.example/flow, FlowEvent=return) with SessionHistoryKey Abcdef…",
    );
    assert.match(verdict('twilio_flex', flex, undefined), /Twilio would call the refer-handler/);
  });
});

describe('outcome requests on the ladder', () => {
  const at = '2026-11-22T10:00:04.500Z';
  test('Amazon Connect attributes and CXone p1..p9 of this contact, keys shortened', () => {
    const events: SandboxEvent[] = [
      { seq: 1, at, vendor: 'amazon_connect', operation: 'UpdateContactAttributes', params: { InitialContactId: 'c1', Attributes: { AccountNumber: '1234', SessionHistoryKey: KEY } }, status: 200 },
      { seq: 2, at, vendor: 'amazon_connect', operation: 'UpdateContactAttributes', params: { InitialContactId: 'c2', Attributes: { SessionHistoryKey: 'x' } }, status: 200 },
      { seq: 3, at, vendor: 'nice_cxone', operation: 'signal', params: { contactId: '42', version: '31.0', p1: 'hangup' }, status: 202 },
    ];
    const short = (k: string) => `${k.slice(0, 3)}…`;
    assert.deepEqual(outcomeLines(events, 'amazon_connect', 'c1', short), [{ at: Date.parse(at), text: 'adapter -> Amazon Connect  UpdateContactAttributes {AccountNumber: "1234", SessionHistoryKey: Abc…} 200' }]);
    assert.deepEqual(outcomeLines(events, 'nice_cxone', '42', short).map((l) => l.text), ['adapter -> NICE CXone  signal {p1: "hangup"} 202']);
    assert.deepEqual(outcomeLines(events, 'sip_trunk', 'c1', short), []);
  });
});

describe('Twilio emulation (npm run call on a Twilio Flex number)', () => {
  test('reads <Dial><Sip> and <Redirect> TwiML', () => {
    const dial = parseDialSip('<?xml version="1.0" encoding="UTF-8"?><Response><Dial answerOnBridge="true" referUrl="http://127.0.0.1:3000/twilio/refer-handler"><Sip>sip:+15550100002@127.0.0.1:5060;transport=udp</Sip></Dial></Response>');
    assert.deepEqual(dial, { sipUri: 'sip:+15550100002@127.0.0.1:5060;transport=udp', user: '+15550100002', referUrl: 'http://127.0.0.1:3000/twilio/refer-handler', answerOnBridge: true });
    assert.equal(parseDialSip('<Response><Say>hi</Say></Response>'), undefined);
    const redirect = parseRedirect(`<Response><Redirect method="POST">https://webhooks.twilio.com/v1/Accounts/AC1/Flows/FW1?FlowEvent=return&amp;SessionHistoryKey=${KEY}</Redirect></Response>`);
    assert.deepEqual(redirect, { url: `https://webhooks.twilio.com/v1/Accounts/AC1/Flows/FW1?FlowEvent=return&SessionHistoryKey=${KEY}`, method: 'POST', flowEvent: 'return', sessionHistoryKey: KEY });
    assert.equal(parseRedirect('<Response><Hangup/></Response>'), undefined);
    const params = twilioVoiceParams({ accountSid: 'AC1', callSid: 'CA1', called: '+15550100002', caller: '+15557654321' }, { ReferTransferTarget: '<sip:q@x>' });
    assert.equal(params.Called, '+15550100002');
    assert.equal(params.To, '+15550100002');
    assert.equal(params.ReferTransferTarget, '<sip:q@x>');
  });

  test('npm start leaves its fake Twilio token for npm run call in a 0600 file, per SIP port, ignored once its process is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-info-'));
    try {
      const info = { pid: process.pid, sipPort: 5099, sandboxUrl: 'http://127.0.0.1:4010', twilio: { publicBaseUrl: 'http://127.0.0.1:3000', authToken: 'fake-token', accountSid: 'AC1' } };
      const file = writeStackInfo(info, dir);
      assert.equal(file, stackInfoPath(5099, dir));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(readStackInfo(5099, dir), info);
      assert.equal(readStackInfo(5098, dir), undefined);
      writeStackInfo({ ...info, sipPort: 5097, pid: 2 ** 22 + 12345 }, dir);
      assert.equal(readStackInfo(5097, dir), undefined, 'a dead pid');
      removeStackInfo(5099, dir);
      assert.equal(readStackInfo(5099, dir), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SIPp scenario', () => {
  const template = readFileSync(join(REPO_ROOT, 'dev/sipp/scenarios/caller-uac.xml'), 'utf8');
  test('markers are filled: vendor headers, media steps, final wait', () => {
    const xml = buildScenario(template, { headers: ['X-ContactID: 42'], media: mediaSteps({ afterMs: 1000, dtmf: '0#', speech: { file: '/tmp/a.ulaw', durationMs: 2000 } }), waitEndMs: 12_345 });
    assert.ok(!xml.includes('<!--VENDOR_HEADERS-->') && !xml.includes('<!--MEDIA_ACTIONS-->'));
    assert.match(xml, /\n\s+X-ContactID: 42\n\s+Content-Type: application\/sdp/);
    assert.ok(xml.indexOf(`play_pcap_audio="${dtmfPcap('0')}"`) < xml.indexOf(`play_pcap_audio="${dtmfPcap('#')}"`));
    assert.match(dtmfPcap('#'), /dtmf_2833_pound\.pcap$/);
    assert.match(xml, /rtp_stream="\/tmp\/a\.ulaw,1,0"/);
    assert.match(xml, /<recv request="REFER" optional="true" timeout="12345" ontimeout="hangup" next="refer"\/>/);
    assert.match(xml, /<recv request="REFER" optional="true" timeout="1000" ontimeout="media0" next="refer"\/>/);
    assert.ok(!xml.includes('timeout="30000"'));
    assert.throws(() => buildScenario(template, { headers: ['X-A: 1\r\nX-B: 2'], media: '', waitEndMs: 1000 }), /invalid header/);
    assert.throws(() => buildScenario('<scenario/>', { headers: [], media: '', waitEndMs: 1000 }), /lacks/);
    assert.throws(() => dtmfPcap('A'), /no DTMF capture/);
  });

  test('pcap RTP shift: timestamps and sequence numbers move, nothing else', () => {
    const original = readFileSync(dtmfPcap('3'));
    const shifted = shiftRtpInPcap(original, { timestamp: 0xffffffff, sequence: 65535 });
    assert.equal(shifted.length, original.length);
    const before = rtpHeadersInPcap(original);
    assert.ok(before.length >= 10, `${before.length} RTP packets`);
    assert.deepEqual(rtpHeadersInPcap(shifted), before.map(([seq, ts]) => [(seq + 65535) & 0xffff, (ts + 0xffffffff) >>> 0]));
    assert.throws(() => shiftRtpInPcap(Buffer.alloc(30), { timestamp: 1, sequence: 1 }), /not a pcap/);
    const dir = mkdtempSync(join(tmpdir(), 'pcaps-'));
    try {
      const files = prepareDtmfPcaps('3,3', dir);
      assert.equal(files.length, 2);
      assert.equal(files[0], dtmfPcap('3'));
      assert.notDeepEqual(rtpHeadersInPcap(readFileSync(files[1]!))[0], before[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('"," in the digits is a listening pause', () => {
    const steps = mediaSteps({ afterMs: 0, dtmf: '1,2' });
    assert.match(steps, new RegExp(`timeout="${DTMF_PAUSE_MS}" ontimeout="media1"`));
    assert.equal((steps.match(/play_pcap_audio/g) ?? []).length, 2);
    assert.equal(mediaDurationMs({ afterMs: 100, dtmf: '1,2', speech: { durationMs: 1000 } }), 100 + 400 + DTMF_PAUSE_MS + 400 + 1200);
  });

  /** Runs uac.xml against fake-media-core-refer.xml; RTP the caller sends lands on a UDP socket here. */
  async function callStandIn(afterMs: number, dtmf: string) {
    const dir = mkdtempSync(join(tmpdir(), 'sipp-call-'));
    const pcapFiles = prepareDtmfPcaps(dtmf, dir);
    const port = await freeSipPort();
    const sink = createSocket('udp4');
    const rtp: Buffer[] = [];
    sink.on('message', (m) => rtp.push(m));
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    const uas = spawn('sipp', ['-sf', join(REPO_ROOT, 'dev/sipp/scenarios/fake-media-core-refer.xml'), '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-key', 'key', KEY, '-key', 'rtp_sink', String(sink.address().port), '-timeout', '30s', '-nostdin'], { cwd: dir, stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const scenarioFile = join(dir, 'call.xml');
      writeFileSync(scenarioFile, buildScenario(template, { headers: vendorInviteHeaders('nice_cxone', { contactId: '123456789012' }), media: mediaSteps({ afterMs, dtmf, pcapFiles }), waitEndMs: 10_000 }));
      const result = await runSipp({ scenario: scenarioFile, dir, targetPort: port, keys: { to: '+15550100004', caller: '+15557654321' }, timeoutS: 20 });
      const messages = parseSippTrace(result.messages);
      return { result, messages, port, rtp };
    } finally {
      uas.kill('SIGKILL');
      sink.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const haveSipp = !spawnSync('sipp', ['-v']).error;
  const sippOpts = { timeout: 40_000, skip: haveSipp ? false : 'sipp is not installed (sudo apt-get install sip-tester)' };

  test('a real SIPp call: DTMF sent as RFC 4733 events, REFER answered with 202 + NOTIFY, BYE accepted', sippOpts, async () => {
    const { result, messages, port, rtp } = await callStandIn(200, '1#');
    assert.equal(result.killed, false);
    const ladder = renderLadder(messages).map((l) => l.replace(/^\s*\+\d+\.\d+s\s+/, ''));
    assert.deepEqual(ladder.slice(0, 2), ['caller -> media core  INVITE sip:+15550100004@127.0.0.1:' + port + ' (X-ContactID: 123456789012)', 'caller <- media core  100 Trying (INVITE)']);
    const methods = ladder.map((l) => l.split('  ')[1]!.split(' (')[0]);
    assert.deepEqual(methods.slice(2), ['200 OK', 'ACK', 'REFER', '202 Accepted', 'NOTIFY', '200 OK', 'BYE', '200 OK']);
    const ending = sipEnding(messages);
    assert.equal(ending.kind, 'transferred');
    assert.equal(ending.kind === 'transferred' && ending.sessionHistoryKey, KEY);
    assert.equal(result.code, 0, result.stderr);
    // RFC 4733 telephone-event packets (payload type 101): event 1, then event 11 (#).
    const events = rtp.filter((p) => (p[1]! & 0x7f) === 101).map((p) => p[12]!);
    assert.ok(events.length >= 10, `telephone-event packets received: ${events.length}`);
    assert.deepEqual([...new Set(events)], [1, 11]);
  });

  test('a repeated digit is sent as a new RFC 4733 event (a new RTP timestamp), not a replay', sippOpts, async () => {
    const { result, rtp } = await callStandIn(200, '11');
    assert.equal(result.code, 0, result.stderr);
    const events = rtp.filter((p) => (p[1]! & 0x7f) === 101);
    assert.deepEqual([...new Set(events.map((p) => p[12]))], [1]);
    const timestamps = new Set(events.map((p) => p.readUInt32BE(4)));
    assert.equal(timestamps.size, 2, `two events: ${[...timestamps].join(', ')}`);
  });

  test('a REFER that comes while the caller is still waiting to speak is handled', sippOpts, async () => {
    const { result, messages } = await callStandIn(5000, '0');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(sipEnding(messages).kind, 'transferred');
    assert.ok(messages.some((m) => m.direction === 'sent' && m.method === 'NOTIFY'));
  });
});

describe('parent-death watch (dev/stack/supervise.ts)', () => {
  /** Starts a supervisor process that spawns `command` under the given watch, prints its pid, and waits. */
  async function supervisorWith(watch: 'node' | 'shim', command: string, args: string[]) {
    const program = `
      import { spawnSupervised } from ${JSON.stringify(join(REPO_ROOT, 'dev/stack/supervise.ts'))};
      const c = spawnSupervised({ name: 'child', command: ${JSON.stringify(command)}, args: ${JSON.stringify(args)}, env: process.env, echo: false, parentWatch: ${JSON.stringify(watch)} });
      process.stdout.write(c.pid + '\\n');
      setInterval(() => {}, 1000);
    `;
    const sup = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve, reject) => {
      sup.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      sup.once('exit', () => reject(new Error('supervisor exited')));
    });
    return { sup, childPid };
  }
  const running = (pid: number) => {
    try {
      process.kill(pid, 0);
      return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  async function goneWithin(pid: number, ms: number) {
    const until = Date.now() + ms;
    while (running(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    return !running(pid);
  }

  test('a non-Node child under the shim stops when its supervisor is SIGKILLed', { timeout: 30_000 }, async () => {
    const { sup, childPid } = await supervisorWith('shim', 'sleep', ['300']);
    try {
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(running(childPid), 'the shim runs');
      const sleeper = spawnSync('pgrep', ['-P', String(childPid), '-x', 'sleep'], { encoding: 'utf8' }).stdout.trim();
      assert.match(sleeper, /^\d+$/, 'the command runs under the shim');
      sup.kill('SIGKILL');
      assert.ok(await goneWithin(Number(sleeper), 5000), 'the command is gone');
      assert.ok(await goneWithin(childPid, 5000), 'the shim is gone');
    } finally {
      sup.kill('SIGKILL');
      try {
        process.kill(-childPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });

  test('a Node child with the preload stops (its SIGTERM handler runs) when its supervisor is SIGKILLed', { timeout: 30_000 }, async () => {
    const { sup, childPid } = await supervisorWith('node', process.execPath, ['-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"]);
    try {
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(running(childPid));
      sup.kill('SIGKILL');
      assert.ok(await goneWithin(childPid, 5000), 'the child is gone');
    } finally {
      sup.kill('SIGKILL');
      try {
        process.kill(-childPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });

  test("the local stack admits by the machine's capacity, plan names stay presets", () => {
    const e = computeStackEnv(DEFAULT_PORTS, generateSecrets());
    assert.equal(e.mediaCore.MAX_CALLS, 'headroom');
    assert.equal(computeStackEnv(DEFAULT_PORTS, generateSecrets(), { maxCalls: 'trial' }).mediaCore.MAX_CALLS, 'trial');
    assert.ok(Number(e.mediaCore.DRAIN_DEADLINE_MS) < 20_000, 'the media core ends its calls before the stack stops waiting');
  });
});
