/**
 * The SIP edge (issue 11, items 2-4): source allowlists matched on the packet's address,
 * silent drops counted by reason, digest challenges sent statelessly before any 100 Trying,
 * per-source rate limits, TLS only, mTLS, trusted-proxy mode, the transaction table bound,
 * TCP/TLS connection caps, the header deadline and an idle timeout that partial messages
 * do not extend. Non-allowlisted traffic comes from 127.0.0.2 (no privileges needed).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Uas, type UasOptions } from '../../media-core/engine/uas.ts';
import type { Call } from '../../media-core/call/types.ts';
import { getHeader, getHeaders, type SipMessage } from '../../media-core/sip/message.ts';
import { SourceSet } from '../../media-core/edge/source-set.ts';
import { TokenBuckets } from '../../media-core/edge/token-bucket.ts';
import { DigestAuthenticator, parseDigestParams } from '../../media-core/edge/digest.ts';
import { metricsRegistry } from '../../media-core/observability/metrics.ts';
import { SipTransport } from '../../media-core/sip/transport.ts';
import { TransactionLayer } from '../../media-core/sip/transaction.ts';
import { buildResponse } from '../../media-core/sip/serialize.ts';
import { parseConfig } from '../../media-core/config/load.ts';
import { accessOptionsFromConfig } from '../../media-core/edge/from-config.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { RawSipPeer, newTestDialog, offerSdp, requestText, toTagOf } from './sip-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isResp = (status: number) => (m: SipMessage) => m.kind === 'response' && m.status === status;
const NUMBER = '+15550100001';

async function dropped(reason: string): Promise<number> {
  const m = (await metricsRegistry.getMetricsAsJSON()).find((x) => x.name === 'media_core_sip_dropped_total');
  return (m?.values.find((v) => v.labels.reason === reason)?.value as number | undefined) ?? 0;
}

/** The client side of RFC 2617 / RFC 8760 qop=auth digest, written independently of the server code. */
function authorization(challenge: string, method: string, uri: string, user: string, password: string): string {
  const p = parseDigestParams(challenge)!;
  const alg = p.get('algorithm')!;
  const h = (s: string) => createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s).digest('hex');
  const ha1 = h(`${user}:${p.get('realm')}:${password}`);
  const ha2 = h(`${method}:${uri}`);
  const cnonce = 'c0ffee';
  const response = h(`${ha1}:${p.get('nonce')}:00000001:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${p.get('realm')}", nonce="${p.get('nonce')}", uri="${uri}", response="${response}", algorithm=${alg}, cnonce="${cnonce}", qop=auth, nc=00000001`;
}

describe('edge building blocks', () => {
  test('source sets match CIDRs on the packet address, IPv4-mapped IPv6 included', () => {
    const s = new SourceSet(['3.80.16.0/23', '127.0.0.1', '2001:db8::/32']);
    assert.ok(s.has('3.80.17.255') && s.has('3.80.16.0') && !s.has('3.80.18.0'));
    assert.ok(s.has('127.0.0.1') && !s.has('127.0.0.2'));
    assert.ok(s.has('::ffff:127.0.0.1'), 'dual-stack socket form');
    assert.ok(s.has('2001:db8::5') && !s.has('2001:db9::5'));
    assert.ok(!s.has('') && !s.has('not-an-ip'));
    assert.throws(() => new SourceSet(['10.0.0.0/33']), RangeError);
    assert.throws(() => new SourceSet(['example.com']), RangeError);
  });

  test('token buckets: burst, refill, bounded number of sources', () => {
    const b = new TokenBuckets({ ratePerS: 2, burst: 3, maxSources: 100 });
    const t0 = 1_000_000;
    assert.deepEqual([1, 2, 3, 4].map(() => b.take('a', t0)), [true, true, true, false]);
    assert.equal(b.take('a', t0 + 499), false, 'under one token after 0.499 s at 2/s');
    assert.equal(b.take('a', t0 + 500), true, 'one token after 0.5 s');
    for (let i = 0; i < 1000; i++) b.take(`10.0.${i >> 8}.${i & 255}`, t0);
    assert.equal(b.size, 100);
  });

  test('digest: SHA-256 and MD5 challenges, answers checked statelessly against source and time', () => {
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    const d = new DigestAuthenticator({ realm: 'trunk.test', username: 'trunk', password, nonceTtlS: 60 });
    const now = Date.now();
    const ch = d.challenge('192.0.2.1', false, now);
    assert.deepEqual(ch.map((c) => parseDigestParams(c)!.get('algorithm')), ['SHA-256', 'MD5']);
    for (const c of ch) {
      const auth = authorization(c, 'INVITE', 'sip:+15550100001@192.0.2.9', 'trunk', password);
      assert.deepEqual(d.verify([auth], 'INVITE', '192.0.2.1', now + 1000), { ok: true });
      assert.equal(d.verify([auth], 'INVITE', '192.0.2.2', now + 1000).ok, false, 'nonce bound to the source');
      assert.equal(d.verify([auth], 'BYE', '192.0.2.1', now + 1000).ok, false, 'method in HA2');
      const late = d.verify([auth], 'INVITE', '192.0.2.1', now + 61_000);
      assert.ok(!late.ok && late.stale, 'expired nonce: stale');
    }
    const wrong = authorization(ch[0]!, 'INVITE', 'sip:x@y', 'trunk', password + 'x');
    assert.equal(d.verify([wrong], 'INVITE', '192.0.2.1', now).ok, false);
    assert.equal(d.verify(['Basic dHJ1bms6eA=='], 'INVITE', '192.0.2.1', now).ok, false);
  });

  test('config: loopback-only default, demo allows 127.0.0.1 only, digest password from the environment only', () => {
    const demo = JSON.parse(readFileSync(new URL('../../media-core/config/demo.json', import.meta.url), 'utf8'));
    const demoOpts = accessOptionsFromConfig(parseConfig(demo, '.').config, {});
    assert.ok(demoOpts.integrations.every((i) => i.allow.length === 1 && i.allow[0] === '127.0.0.1/32'));
    const cfg = structuredClone(demo);
    delete cfg.integrations[0].access;
    cfg.integrations[1].access = { allow: ['198.51.100.0/24'], digest: { realm: 'r', username: 'u', passwordEnv: 'TEST_DIGEST_PASSWORD' } };
    cfg.sip = { trustedProxies: ['10.0.0.5/32'] };
    const parsed = parseConfig(cfg, '.').config;
    assert.deepEqual(parsed.integrations[0]!.access.allow, ['127.0.0.0/8', '::1/128']);
    assert.throws(() => accessOptionsFromConfig(parsed, {}), /TEST_DIGEST_PASSWORD/);
    const opts = accessOptionsFromConfig(parsed, { TEST_DIGEST_PASSWORD: 'x'.repeat(12) });
    assert.deepEqual(opts.trustedProxies, ['10.0.0.5/32']);
    assert.equal(opts.integrations[1]!.digest?.username, 'u');
    assert.throws(() => parseConfig({ ...cfg, integrations: [{ ...cfg.integrations[0], access: { allow: ['nope'] } }] }, '.'));
  });
});

describe('engine behind the edge', { timeout: 60_000 }, () => {
  let engine: Uas;
  let port: number;
  const offered: Call[] = [];
  const password = `pw-${Math.random().toString(36).slice(2)}`;

  before(async () => {
    port = await freeSipPort();
    const opts: UasOptions = {
      sip: {
        address: '127.0.0.1',
        udpPort: port,
        tcpPort: port,
        access: {
          integrations: [
            { number: NUMBER, allow: ['127.0.0.1/32'] },
            { number: '+15550100005', allow: ['127.0.0.1/32'], digest: { realm: 'edge.test', username: 'trunk', password } },
            { number: '+15550100006', allow: ['127.0.0.1/32'], tlsOnly: true },
          ],
          rateLimit: { ratePerS: 5, burst: 30 },
          inviteRateLimit: { ratePerS: 5, burst: 10 },
        },
      },
      rtp: { address: '127.0.0.1', portMin: 42700, portMax: 42719 },
      maxCalls: 10,
      t1Ms: 50,
    };
    engine = await Uas.start(opts, (c) => {
      offered.push(c);
      c.reject(603, 'Decline');
    });
  });
  after(async () => {
    await engine?.close();
  });

  test('a source no integration allows gets nothing: no 100 Trying, no 200, no 400, counted', async () => {
    const before = await dropped('source');
    const scanner = await RawSipPeer.udp(port, '127.0.0.2');
    const d = newTestDialog('UDP', scanner.localPort, port);
    scanner.send(requestText(d, 'OPTIONS'));
    scanner.send(requestText({ ...d, branch: 'z9hG4bKscan2' }, 'INVITE', { body: offerSdp(43100) }));
    scanner.send('OPTIONS garbage\r\n\r\n');
    await sleep(400);
    assert.equal(scanner.raw.length, 0, 'not one octet back');
    assert.equal(offered.length, 0);
    assert.equal(await dropped('source') - before, 3);
    scanner.close();
    // The same requests from an allowed source are answered.
    const ok = await RawSipPeer.udp(port);
    ok.send(requestText(newTestDialog('UDP', ok.localPort, port), 'OPTIONS'));
    assert.ok(await ok.waitFor(isResp(200)));
    ok.close();
  });

  test('a TCP connection from a source not allowed is closed before any octet is read', async () => {
    const before = await dropped('source');
    const s = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    s.on('error', () => undefined);
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(requestText(newTestDialog('TCP', s.localPort!, port), 'OPTIONS'));
    await new Promise<void>((r) => {
      s.once('close', () => r());
      setTimeout(r, 2000);
    });
    assert.ok(s.destroyed || s.readableEnded, 'closed');
    assert.equal(got.length, 0);
    assert.equal(await dropped('source') - before, 1);
  });

  test('digest: a 401 challenge sent statelessly (no 100 Trying, never retransmitted), then the call', async () => {
    const peer = await RawSipPeer.udp(port);
    const d = newTestDialog('UDP', peer.localPort, port);
    const uri = `sip:15550100005@127.0.0.1:${port}`;
    peer.send(requestText(d, 'INVITE', { body: offerSdp(43102), user: '15550100005' }));
    const ch = await peer.waitFor(isResp(401));
    assert.ok(ch, '401');
    const challenges = getHeaders(ch, 'www-authenticate');
    assert.equal(challenges.length, 2);
    await sleep(600); // with T1 = 50 ms a transactional 401 would be resent by timer G by now
    assert.equal(peer.received.length, 0, 'no 100 Trying, no retransmitted 401');
    assert.equal(peer.raw.length, 1, 'exactly one datagram back');
    // A retransmission of the same INVITE gets the same answer, To tag included, from no stored state.
    const tag = toTagOf(ch);
    assert.ok(tag, 'the 401 carries a To tag (RFC 3261 section 8.2.6.2)');
    peer.send(requestText(d, 'INVITE', { body: offerSdp(43102), user: '15550100005' }));
    const again = await peer.waitFor(isResp(401));
    assert.equal(again && toTagOf(again), tag);
    // RFC 3261 section 22.2: the new INVITE has a new branch and CSeq.
    peer.send(requestText({ ...d, branch: 'z9hG4bKauth2', cseq: 2 }, 'INVITE', { body: offerSdp(43102), user: '15550100005', extra: [`Authorization: ${authorization(challenges[0]!, 'INVITE', uri, 'trunk', password)}`] }));
    assert.ok(await peer.waitFor(isResp(100)), '100 Trying once authenticated');
    assert.ok(await peer.waitFor(isResp(603)), 'the runtime saw the call');
    assert.equal(offered.length, 1);
    // Wrong password: challenged again, the runtime never sees it.
    peer.send(requestText({ ...d, callId: 'wrong-' + d.callId, branch: 'z9hG4bKauth3', cseq: 3 }, 'INVITE', { body: offerSdp(43102), user: '15550100005', extra: [`Authorization: ${authorization(challenges[1]!, 'INVITE', uri, 'trunk', password + '!')}`] }));
    assert.ok(await peer.waitFor(isResp(401)));
    assert.equal(offered.length, 1);
    peer.close();
  });

  test('TLS only: the same INVITE over UDP is dropped, counted', async () => {
    const before = await dropped('tls_required');
    const peer = await RawSipPeer.udp(port);
    peer.send(requestText(newTestDialog('UDP', peer.localPort, port), 'INVITE', { body: offerSdp(43104), user: '15550100006' }));
    await sleep(300);
    assert.equal(peer.raw.length, 0);
    assert.equal(await dropped('tls_required') - before, 1);
    peer.close();
  });

  test('per-source rate limit: a burst beyond the bucket is dropped and counted', async () => {
    await sleep(1200); // let the shared bucket of 127.0.0.1 refill from the tests above
    const before = await dropped('rate');
    const peer = await RawSipPeer.udp(port);
    for (let i = 0; i < 60; i++) peer.send(requestText({ ...newTestDialog('UDP', peer.localPort, port), branch: `z9hG4bKrate${i}` }, 'OPTIONS'));
    await sleep(500);
    const answered = peer.received.filter(isResp(200)).length;
    assert.ok(answered >= 25 && answered <= 40, `${answered} of 60 answered (burst 30, 5/s)`);
    assert.ok(await dropped('rate') - before >= 20);
    peer.close();
  });

  test('a bare CR in a From display name is never echoed back', async () => {
    await sleep(1000);
    const peer = await RawSipPeer.udp(port);
    const text = requestText(newTestDialog('UDP', peer.localPort, port), 'OPTIONS').replace('"Test Caller"', '"Test\rEvil-Header: 1"');
    peer.send(text);
    await sleep(300);
    assert.ok(!Buffer.concat(peer.raw).toString('latin1').includes('Evil-Header'), 'not echoed');
    peer.close();
  });

  test('an oversized Via list gets 400 with the top Via only', async () => {
    const peer = await RawSipPeer.udp(port);
    const d = newTestDialog('UDP', peer.localPort, port);
    const extra = Array.from({ length: 80 }, (_, i) => `Via: SIP/2.0/UDP 192.0.2.${i}:5060;branch=z9hG4bKv${i}`);
    peer.send(requestText(d, 'OPTIONS', { extra }));
    const r = await peer.waitFor(isResp(400));
    assert.ok(r, '400');
    assert.equal(getHeaders(r, 'via').length, 1);
    assert.match(getHeader(r, 'via')!, new RegExp(`127\\.0\\.0\\.1:${peer.localPort}`));
    peer.close();
  });
});

describe('trusted-proxy mode', { timeout: 30_000 }, () => {
  test('only the proxy may signal, and its traffic is not rate-limited', async () => {
    const port = await freeSipPort();
    const engine = await Uas.start(
      {
        sip: { address: '127.0.0.1', udpPort: port, access: { integrations: [{ number: NUMBER, allow: ['203.0.113.0/24'] }], trustedProxies: ['127.0.0.1/32'], rateLimit: { ratePerS: 1, burst: 2 } } },
        rtp: { address: '127.0.0.1', portMin: 42720, portMax: 42729 },
        maxCalls: 2,
      },
      (c) => c.reject(603),
    );
    try {
      const proxy = await RawSipPeer.udp(port);
      for (let i = 0; i < 20; i++) proxy.send(requestText({ ...newTestDialog('UDP', proxy.localPort, port), branch: `z9hG4bKpx${i}` }, 'OPTIONS'));
      await sleep(500);
      assert.equal(proxy.received.filter(isResp(200)).length, 20, 'every request from the proxy answered');
      const other = await RawSipPeer.udp(port, '127.0.0.2');
      other.send(requestText(newTestDialog('UDP', other.localPort, port), 'OPTIONS'));
      await sleep(300);
      assert.equal(other.raw.length, 0);
      proxy.close();
      other.close();
    } finally {
      await engine.close();
    }
  });
});

describe('transport: connections and deadlines', { timeout: 30_000 }, () => {
  let transport: SipTransport;
  let port: number;
  before(async () => {
    port = await freeSipPort();
    transport = new SipTransport({ address: '127.0.0.1', tcpPort: port, maxConnections: 6, maxConnectionsPerIp: 3, headerTimeoutMs: 400, idleTimeoutMs: 600 });
    await transport.start();
  });
  after(() => transport.close());

  const open = async (localAddress = '127.0.0.1'): Promise<Socket> => {
    const s = connect({ port, host: '127.0.0.1', localAddress });
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.once('connect', () => r()));
    return s;
  };
  const closedWithin = (s: Socket, ms: number) =>
    new Promise<boolean>((r) => {
      if (s.destroyed || s.readableEnded) return r(true);
      const t = setTimeout(() => r(false), ms);
      s.once('close', () => (clearTimeout(t), r(true)));
    });

  test('per-IP and overall connection caps', async () => {
    const a = await Promise.all([open(), open(), open()]);
    const fourth = await open();
    assert.ok(await closedWithin(fourth, 1000), 'a fourth connection from one IP is closed');
    const b = await Promise.all([open('127.0.0.3'), open('127.0.0.3'), open('127.0.0.4')]);
    const seventh = await open('127.0.0.5');
    assert.ok(await closedWithin(seventh, 1000), 'the seventh connection overall is closed');
    assert.ok(transport.stats.refusedConnections >= 2);
    for (const s of [...a, ...b]) s.destroy();
    await sleep(100);
  });

  test('a header section not completed within the deadline closes the connection', async () => {
    const s = await open();
    s.write('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1');
    const t0 = Date.now();
    const trickle = setInterval(() => s.write('a'), 100);
    const closed = await closedWithin(s, 3000);
    clearInterval(trickle);
    assert.ok(closed, 'closed');
    assert.ok(Date.now() - t0 < 2000, 'by the 400 ms deadline, not the idle timeout');
    assert.ok(transport.stats.headerTimeouts >= 1);
  });

  test('the idle timeout is not extended by keepalives or partial octets', async () => {
    const s = await open('127.0.0.6');
    const t0 = Date.now();
    const trickle = setInterval(() => s.write('\r\n'), 100);
    const closed = await closedWithin(s, 3000);
    clearInterval(trickle);
    assert.ok(closed && Date.now() - t0 < 2000, `closed after ${Date.now() - t0} ms`);
  });

  test('a connection that carries whole messages stays open past the idle timeout', async () => {
    const s = await open('127.0.0.7');
    const msg = 'OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.7;branch=z9hG4bKk\r\nFrom: <sip:a@127.0.0.7>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: k\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    const pump = setInterval(() => s.write(msg), 200);
    const closed = await closedWithin(s, 1500);
    clearInterval(pump);
    assert.equal(closed, false);
    s.destroy();
  });
});

describe('transaction table', () => {
  test('bounded: beyond the cap new requests get a stateless 503; a finished transaction keeps no request', async () => {
    const port = await freeSipPort();
    const transport = new SipTransport({ address: '127.0.0.1', udpPort: port });
    await transport.start();
    const seen: string[] = [];
    const layer = new TransactionLayer(transport, { t1: 50, t2: 400, t4: 500 }, {
      onRequest: (req, _flow, tx) => {
        seen.push(req.method);
        if (seen.length === 1) {
          tx!.respond(buildResponse(req, 404, {}));
          assert.equal(tx!.request.headers.length, 0, 'request dropped after the final response');
          assert.equal(tx!.request.body.length, 0);
        }
      },
    }, undefined, 3);
    try {
      const peer = await RawSipPeer.udp(port);
      for (let i = 0; i < 5; i++) peer.send(requestText({ ...newTestDialog('UDP', peer.localPort, port), branch: `z9hG4bKtx${i}` }, 'OPTIONS', { body: 'x'.repeat(100), contentType: 'text/plain' }));
      await sleep(300);
      assert.equal(layer.serverCount, 3);
      assert.equal(seen.length, 3);
      assert.equal(peer.received.filter(isResp(503)).length, 2);
      peer.close();
    } finally {
      layer.close();
      await transport.close();
    }
  });
});

describe('mTLS', { timeout: 30_000 }, () => {
  test('a TLS client without a certificate from the configured CA never reaches SIP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sip-mtls-'));
    try {
      const ossl = (...a: string[]) => execFileSync('openssl', a, { stdio: 'ignore' });
      ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '1', '-subj', '/CN=test-ca');
      ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1');
      ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'client.key'), '-out', join(dir, 'client.csr'), '-subj', '/CN=trunk');
      ossl('x509', '-req', '-in', join(dir, 'client.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', join(dir, 'client.pem'), '-days', '1');
      const port = await freeSipPort();
      const engine = await Uas.start(
        { sip: { address: '127.0.0.1', tls: { port, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), clientCaFile: join(dir, 'ca.pem') } }, rtp: { address: '127.0.0.1', portMin: 42730, portMax: 42739 }, maxCalls: 2 },
        (c) => c.reject(603),
      );
      try {
        const ca = readFileSync(join(dir, 'cert.pem'));
        const options = (s: ReturnType<typeof tlsConnect>) =>
          new Promise<string>((resolve) => {
            let got = '';
            s.on('data', (d) => (got += d.toString()));
            s.on('error', () => resolve(got || 'error'));
            s.on('close', () => resolve(got || 'closed'));
            s.once('secureConnect', () => s.write(requestText(newTestDialog('TLS', s.localPort!, port), 'OPTIONS')));
            setTimeout(() => (s.destroy(), resolve(got || 'timeout')), 3000);
          });
        const anonymous = await options(tlsConnect({ port, host: '127.0.0.1', ca, checkServerIdentity: () => undefined }));
        assert.doesNotMatch(anonymous, /SIP\/2\.0 200/, 'no certificate: no SIP answer');
        const trusted = await options(tlsConnect({ port, host: '127.0.0.1', ca, cert: readFileSync(join(dir, 'client.pem')), key: readFileSync(join(dir, 'client.key')), checkServerIdentity: () => undefined }));
        assert.match(trusted, /SIP\/2\.0 200/);
      } finally {
        await engine.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

