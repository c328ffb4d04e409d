/**
 * The engine against a real peer: SIPp (sip-tester 3.6) as the caller on 127.0.0.1.
 * Calls with RTP both ways, RFC 4733 DTMF captures, REFER with NOTIFY tracking (success,
 * failure, accepted failure code, rejected, timeout), BYE with custom headers, CANCEL,
 * over-limit 486, and out-of-dialog OPTIONS / unknown method / unknown dialog.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Uas } from '../../media-core/engine/uas.ts';
import type { Call, DigitEvent, HangupEvent, ReferResult } from '../../media-core/call/types.ts';
import { freeSippMediaPort, freeSipPort } from '../../dev/free-ports.ts';
import { runSipp, type SippOptions } from '../../dev/sipp/run-sipp.ts';
import { getHeader } from '../../media-core/sip/message.ts';
import { RawSipPeer, newTestDialog, offerSdp, requestText, toTagOf } from './sip-client.ts';
import { TONE_HZ, tone, toneShare } from '../helpers/tone.ts';
import { findHeader } from '../../events/sip-header.ts';

describe('SIPp as the caller', { timeout: 60_000 }, () => {
  let engine: Uas;
  let port: number;
  /** What the current test does with each call. */
  let behaviour: (call: Call) => void = (c) => void c.answer().catch(() => undefined).catch(() => undefined);

  before(async () => {
    port = await freeSipPort();
    engine = await Uas.start(
      { sip: { address: '127.0.0.1', udpPort: port, tcpPort: port }, rtp: { address: '127.0.0.1', portMin: 42300, portMax: 42499 }, maxCalls: 20, t1Ms: 100 },
      (c) => behaviour(c),
    );
  });
  after(async () => {
    await engine?.close();
  });

  const sipp = async (o: Omit<SippOptions, 'targetPort' | 'localPort'>) =>
    runSipp({ targetPort: port, localPort: await freeSipPort(), mediaPort: await freeSippMediaPort(), timeoutS: 15, ...o });

  test('answered call with RTP both ways (SIPp pcap to us, our tone echoed back by SIPp)', async () => {
    const frames: Int16Array[] = [];
    let info: Call['info'] | undefined;
    behaviour = (c) => {
      info = c.info;
      c.on('audio', (f: Int16Array) => frames.push(f));
      void c.answer().then(() => c.play(tone(3)));
    };
    const r = await sipp({ scenario: 'uac-pcap.xml', pauseMs: 2500, rtpEcho: true, keys: { pcap: '/usr/share/sip-tester/g711a.pcap', codec: '8' } });
    assert.equal(r.code, 0, r.errors);
    assert.equal(info?.codec, 'PCMA');
    assert.equal(info?.telephoneEvent, true);
    assert.equal(info?.callerUser, '+15550109999');
    assert.equal(info?.callerDisplayName, 'SIPp Caller');
    assert.equal(findHeader(info!.inviteHeaders, 'X-Test-Header'), 'kept-for-the-runtime');
    const ours = frames.filter((f) => toneShare(f, TONE_HZ) > 0.8).length;
    const theirs = frames.filter((f) => toneShare(f, TONE_HZ) < 0.5 && f.some((x) => Math.abs(x) > 500)).length;
    assert.ok(ours > 50, `echoed tone frames: ${ours} of ${frames.length}`);
    assert.ok(theirs > 50, `SIPp pcap speech frames: ${theirs} of ${frames.length}`);
  });

  test('RFC 4733 DTMF captures are recognized digit by digit', async () => {
    const names = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'star', 'pound'];
    const expected = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'];
    const byCaller = new Map<string, DigitEvent[]>();
    behaviour = (c) => {
      const list: DigitEvent[] = [];
      byCaller.set(c.info.callId, list);
      c.on('digit', (d: DigitEvent) => list.push(d));
      void c.answer().catch(() => undefined);
    };
    const results = await Promise.all(
      names.map(async (n) => {
        const r = await sipp({ scenario: 'uac-pcap.xml', pauseMs: 1200, keys: { pcap: `/usr/share/sip-tester/dtmf_2833_${n}.pcap`, codec: '0' } });
        const callId = /Call-ID: (\S+)/.exec(r.messages)?.[1] ?? '';
        return { n, code: r.code, errors: r.errors, callId };
      }),
    );
    for (const [i, r] of results.entries()) {
      assert.equal(r.code, 0, `${r.n}: ${r.errors}`);
      const digits = byCaller.get(r.callId) ?? [];
      assert.deepEqual(digits.map((d) => d.digit), [expected[i]], `capture ${r.n}`);
      assert.equal(digits[0]!.source, 'rfc4733');
    }
  });

  /** Answers, then on 'answered' refers and hangs up with headers naming the result. */
  const referBehaviour = (opts: Parameters<Call['refer']>[1], out: { result?: ReferResult; hangup?: HangupEvent }) => (c: Call) => {
    c.on('hangup', (h: HangupEvent) => (out.hangup = h));
    c.once('answered', async () => {
      out.result = await c.refer('sip:agent@127.0.0.1', opts);
      await c.hangup([{ name: 'X-Transfer-Result', value: out.result.status }]);
    });
    void c.answer().catch(() => undefined);
  };
  const REFER_TO_RE = 'Refer-To: <sip:agent@127\\.0\\.0\\.1\\?X-Session-Key=k1%3Bv%20x>';

  for (const [code, reason, accept, want] of [
    ['200', 'OK', [], 'success'],
    ['486', 'Busy Here', [], 'failure'],
    ['486', 'Busy Here', [486], 'success'],
  ] as const) {
    test(`REFER, NOTIFY 100 then ${code}${accept.length ? ` (acceptCodes ${accept})` : ''}: ${want}; BYE carries our header`, async () => {
      const out: { result?: ReferResult; hangup?: HangupEvent } = {};
      behaviour = referBehaviour({ referToHeaders: [{ name: 'X-Session-Key', value: 'k1;v x' }], contactHeaders: [{ name: 'X-Contact-Info', value: 'a b' }], headers: [{ name: 'X-Flow', value: 'transfer' }], acceptCodes: [...accept] }, out);
      const r = await sipp({
        scenario: 'uac-refer-notify.xml',
        keys: { final_code: code, final_reason: reason, refer_to_regexp: REFER_TO_RE, bye_header_regexp: `X-Transfer-Result: ${want}` },
      });
      assert.equal(r.code, 0, r.errors + r.stderr.slice(-500));
      assert.equal(out.result?.status, want);
      assert.equal((out.result as { code: number }).code, Number(code));
      assert.deepEqual(out.hangup, { by: 'local', reason: 'hangup' });
      assert.match(r.messages, /X-Flow: transfer/);
      assert.match(r.messages, /Contact: <sip:[^>\s]*\?X-Contact-Info=a%20b>/, 'contact_header: headers in the REFER Contact URI');
      assert.match(r.messages, /Referred-By: <sip:15550100001@127\.0\.0\.1:\d+>/);
    });
  }

  test('REFER refused with 603: rejected', async () => {
    const out: { result?: ReferResult } = {};
    behaviour = referBehaviour({ referToHeaders: [{ name: 'X-Session-Key', value: 'k1;v x' }] }, out);
    const r = await sipp({ scenario: 'uac-refer-reject.xml', keys: { refer_status: '603 Decline', refer_to_regexp: REFER_TO_RE, bye_header_regexp: 'X-Transfer-Result: rejected' } });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(out.result, { status: 'rejected', code: 603, reason: 'Decline' });
  });

  test('REFER accepted but no NOTIFY: timeout', async () => {
    const out: { result?: ReferResult } = {};
    behaviour = referBehaviour({ referToHeaders: [{ name: 'X-Session-Key', value: 'k1;v x' }], timeoutMs: 600 }, out);
    const r = await sipp({ scenario: 'uac-refer-silent.xml', keys: { refer_to_regexp: REFER_TO_RE, bye_header_regexp: 'X-Transfer-Result: timeout' } });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(out.result, { status: 'timeout' });
  });

  test('BYE with custom headers is seen by SIPp', async () => {
    behaviour = (c) => {
      c.once('answered', () => void c.hangup([{ name: 'X-Outcome', value: 'end_session' }, { name: 'X-Session-Key', value: 'abc123' }]));
      void c.answer().catch(() => undefined);
    };
    const r = await sipp({ scenario: 'uac-wait-bye.xml', keys: { bye_header_regexp: 'X-Outcome: end_session' } });
    assert.equal(r.code, 0, r.errors);
    assert.match(r.messages, /X-Session-Key: abc123/);
  });

  test('CANCEL before answer: 200 to CANCEL, 487 to INVITE, hangup by remote', async () => {
    let hangup: HangupEvent | undefined;
    behaviour = (c) => c.on('hangup', (h: HangupEvent) => (hangup = h)); // never answers
    const r = await sipp({ scenario: 'uac-cancel.xml' });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(hangup, { by: 'remote', reason: 'cancel' });
    assert.equal(engine.activeCalls(), 0);
  });

  test('out-of-dialog OPTIONS 200 with Allow, unknown method 501, unknown dialog 481', async () => {
    const r = await sipp({ scenario: 'uac-out-of-dialog.xml' });
    assert.equal(r.code, 0, r.errors);
  });
});

describe('a limited engine (SIPp) and TLS (node:tls peer)', { timeout: 60_000 }, () => {
  test('maxCalls 1: the second concurrent call gets 486, the first is untouched', async () => {
    const port = await freeSipPort();
    const hangups: HangupEvent[] = [];
    const engine = await Uas.start(
      { sip: { address: '127.0.0.1', udpPort: port }, rtp: { address: '127.0.0.1', portMin: 42500, portMax: 42549 }, maxCalls: 1, t1Ms: 100 },
      (c) => {
        c.on('hangup', (h: HangupEvent) => hangups.push(h));
        void c.answer().catch(() => undefined);
      },
    );
    try {
      const first = runSipp({ scenario: 'uac-pcap.xml', targetPort: port, localPort: await freeSipPort(), mediaPort: await freeSippMediaPort(), pauseMs: 2000, keys: { pcap: '/usr/share/sip-tester/dtmf_2833_1.pcap', codec: '0' }, timeoutS: 15 });
      for (let i = 0; i < 100 && engine.activeCalls() < 1; i++) await new Promise((r) => setTimeout(r, 20));
      const second = await runSipp({ scenario: 'uac-expect-busy.xml', targetPort: port, localPort: await freeSipPort(), mediaPort: await freeSippMediaPort(), timeoutS: 10 });
      assert.equal(second.code, 0, second.errors);
      assert.equal(engine.activeCalls(), 1, 'first call still up');
      const r1 = await first;
      assert.equal(r1.code, 0, r1.errors);
      assert.deepEqual(hangups, [{ by: 'remote', reason: 'bye' }]);
      assert.equal(engine.metrics().callsRejectedBusy, 1);
    } finally {
      await engine.close();
    }
  });

  test('TLS: a call (INVITE, ACK, BYE) over TLS with a certificate generated for the test', async () => {
    // The Debian SIPp build has no OpenSSL ("To use a TLS transport you must compile SIPp
    // with OpenSSL"), so the TLS peer here is node:tls speaking raw SIP.
    const dir = mkdtempSync(join(tmpdir(), 'sip-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const tlsPort = await freeSipPort();
    let info: Call['info'] | undefined;
    const hangups: HangupEvent[] = [];
    const engine = await Uas.start(
      { sip: { address: '127.0.0.1', tls: { port: tlsPort, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } }, rtp: { address: '127.0.0.1', portMin: 42550, portMax: 42599 }, maxCalls: 5, t1Ms: 100 },
      (c) => {
        info = c.info;
        c.on('hangup', (h: HangupEvent) => hangups.push(h));
        void c.answer().catch(() => undefined);
      },
    );
    const peer = await RawSipPeer.tcp(tlsPort, readFileSync(join(dir, 'cert.pem')));
    try {
      assert.equal(engine.ports.tls, tlsPort);
      const d = newTestDialog('TLS', peer.localPort, tlsPort);
      peer.send(requestText(d, 'INVITE', { body: offerSdp(42998) }));
      const ok = await peer.waitFor((m) => m.kind === 'response' && m.status === 200);
      assert.ok(ok, 'INVITE answered over TLS');
      assert.match(getHeader(ok, 'contact') ?? '', /transport=tls/);
      d.toTag = toTagOf(ok);
      peer.send(requestText(d, 'ACK', { branch: 'z9hG4bKtlsack' }));
      d.cseq = 2;
      peer.send(requestText(d, 'BYE', { branch: 'z9hG4bKtlsbye' }));
      const bye = await peer.waitFor((m) => m.kind === 'response' && getHeader(m, 'cseq') === '2 BYE');
      assert.equal(bye?.kind === 'response' && bye.status, 200);
      assert.equal(info?.transport, 'tls');
      assert.deepEqual(hangups, [{ by: 'remote', reason: 'bye' }]);
    } finally {
      peer.close();
      await engine.close();
    }
  });
});

describe('RTP carriers: the native pacer by default, node:dgram when asked', { timeout: 60_000 }, () => {
  for (const rtpIo of ['dgram', 'native'] as const) {
    test(`rtpIo ${rtpIo}: SIPp call with RTP both ways`, { skip: rtpIo === 'native' && process.platform !== 'linux' && 'Linux only' }, async () => {
      const port = await freeSipPort();
      const frames: Int16Array[] = [];
      const engine = await Uas.start(
        { sip: { address: '127.0.0.1', udpPort: port }, rtp: { address: '127.0.0.1', portMin: 42600, portMax: 42699 }, maxCalls: 2, t1Ms: 100, rtpIo },
        (c) => {
          c.on('audio', (f: Int16Array) => frames.push(f));
          void c.answer().then(() => c.play(tone(3))).catch(() => undefined);
        },
      );
      try {
        assert.equal(engine.rtpIo, rtpIo);
        const r = await runSipp({ scenario: 'uac-pcap.xml', targetPort: port, localPort: await freeSipPort(), mediaPort: await freeSippMediaPort(), timeoutS: 15, pauseMs: 2000, rtpEcho: true, keys: { pcap: '/usr/share/sip-tester/g711a.pcap', codec: '8' } });
        assert.equal(r.code, 0, r.errors);
        const echoed = frames.filter((f) => toneShare(f, TONE_HZ) > 0.8).length;
        assert.ok(echoed > 40, `our tone echoed back: ${echoed} of ${frames.length} frames`);
        if (rtpIo === 'native') assert.ok((await engine.pacingStats()).some((s) => s.measures === 'packets' && s.ticks > 40), 'the pacer timed the packets');
      } finally {
        await engine.close();
      }
    });
  }
});
