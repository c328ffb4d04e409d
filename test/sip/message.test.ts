/**
 * Units of the SIP layer: URIs and escaping (Refer-To headers), name-addr, serializer,
 * stream framing, dtmf-relay, sipfrag, REFER tracking, plan admission.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatUri, parseUri, UriError } from '../../media-core/sip/uri.ts';
import { escapeUriHeader as escapeHeaderComponent } from '../../events/sip-header.ts';
import { parseNameAddr, HeaderSyntaxError } from '../../media-core/sip/header-values.ts';
import { parseMessage } from '../../media-core/sip/parse.ts';
import { serializeMessage, buildResponse } from '../../media-core/sip/serialize.ts';
import { StreamFramer } from '../../media-core/sip/stream-framer.ts';
import { getHeaderValues } from '../../media-core/sip/message.ts';
import { parseSipfragStatus } from '../../media-core/sip/sipfrag.ts';
import { parseDtmfRelay } from '../../media-core/engine/info-dtmf.ts';
import { ReferTracker } from '../../media-core/engine/refer-tracker.ts';
import { AdmissionControl, callLimit } from '../../media-core/engine/admission.ts';

test('sip, sips and tel URIs with params, headers and escapes', () => {
  const u = parseUri('sips:alice%20b@[2001:db8::1]:5061;transport=tls;lr?Subject=hi%20there&Priority=urgent');
  assert.equal(u.scheme, 'sips');
  assert.equal(u.user, 'alice b');
  assert.equal(u.host, '[2001:db8::1]');
  assert.equal(u.port, 5061);
  assert.deepEqual(u.params, [['transport', 'tls'], ['lr', null]]);
  assert.deepEqual(u.headers, [['Subject', 'hi there'], ['Priority', 'urgent']]);
  const t = parseUri('tel:+1-555-0100;phone-context=example.com');
  assert.equal(t.user, '+1-555-0100');
  assert.throws(() => parseUri('sip:user@exa mple.com'), UriError);
  assert.throws(() => parseUri('<sip:user@example.com>'), UriError);
});

test('Refer-To URI headers are escaped and read back unchanged', () => {
  const value = 'key=1;x y<z>&w@q,r';
  const escaped = escapeHeaderComponent(value);
  assert.doesNotMatch(escaped, /[;<>&@=, ]/);
  const uri = parseUri(`sip:queue@flex.example.com?X-Session-Key=${escaped}`);
  assert.deepEqual(uri.headers, [['X-Session-Key', value]]);
  assert.equal(parseUri(formatUri(uri)).headers[0]![1], value);
});

test('name-addr: quoted display names with escapes, params, errors', () => {
  const na = parseNameAddr('"A \\"B\\" C" <sip:a@b.example.com>;tag=x;foo');
  assert.equal(na.displayName, 'A "B" C');
  assert.deepEqual(na.params, [['tag', 'x'], ['foo', null]]);
  assert.throws(() => parseNameAddr('"unterminated <sip:a@b>'), HeaderSyntaxError);
  assert.throws(() => parseNameAddr('sip:a@b?x=y'), HeaderSyntaxError);
});

test('repeated and comma-separated headers are one ordered list; compact forms expand', () => {
  const r = parseMessage(
    Buffer.from('OPTIONS sip:a@b.com SIP/2.0\r\nv: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/UDP h2;branch=z9hG4bK2\r\nVia: SIP/2.0/UDP h3;branch=z9hG4bK3\r\nf: <sip:x@y.com>;tag=1\r\nt: <sip:a@b.com>\r\ni: c1\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n'),
  );
  assert.ok(r.ok);
  assert.equal(getHeaderValues(r.message, 'via').length, 3);
  assert.deepEqual(r.message.headers.map((h) => h.name), ['Via', 'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length']);
});

test('serializer writes the exact Content-Length and round-trips', () => {
  const req = { kind: 'request' as const, method: 'INFO', uri: 'sip:a@b.com', headers: [{ name: 'Via', value: 'SIP/2.0/UDP h;branch=z9hG4bKx' }, { name: 'From', value: '<sip:x@y.com>;tag=1' }, { name: 'To', value: '<sip:a@b.com>' }, { name: 'Call-ID', value: 'c' }, { name: 'CSeq', value: '2 INFO' }, { name: 'Content-Length', value: '999' }], body: Buffer.from('Signal=1\r\n') };
  const wire = serializeMessage(req);
  const back = parseMessage(wire);
  assert.ok(back.ok && back.message.kind === 'request');
  assert.equal(back.message.body.toString(), 'Signal=1\r\n');
  const res = buildResponse(req, 200, { toTag: 'abc' });
  assert.match(serializeMessage(res).toString(), /^SIP\/2\.0 200 OK\r\n[\s\S]*To: <sip:a@b\.com>;tag=abc\r\n[\s\S]*Content-Length: 0\r\n\r\n$/);
});

test('stream framing: split chunks, CRLF keepalives, back-to-back messages, bounds', () => {
  const msg = 'OPTIONS sip:a@b.com SIP/2.0\r\nContent-Length: 4\r\n\r\nbody';
  const f = new StreamFramer({ maxMessageBytes: 1000 });
  const out = [...f.push(Buffer.from('\r\n\r\n' + msg.slice(0, 20))), ...f.push(Buffer.from(msg.slice(20) + '\r\n' + msg))];
  assert.equal(out.length, 2);
  assert.ok(out.every((x) => 'message' in x && x.message.toString() === msg));
  const big = new StreamFramer({ maxMessageBytes: 1000 });
  assert.ok('error' in big.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 5000\r\n\r\n'))[0]!);
  const endless = new StreamFramer({ maxMessageBytes: 1000 });
  assert.ok('error' in endless.push(Buffer.alloc(1500, 0x61))[0]!);
});

test('dtmf-relay and sipfrag bodies', () => {
  assert.deepEqual(parseDtmfRelay('Signal=#\r\nDuration=250\r\n'), { digit: '#', durationMs: 250, source: 'info' });
  assert.deepEqual(parseDtmfRelay('Signal=11\r\n'), { digit: '#', durationMs: undefined, source: 'info' });
  assert.equal(parseDtmfRelay('Signal=Z\r\n'), undefined);
  assert.deepEqual(parseSipfragStatus('SIP/2.0 180 Ringing\r\n'), { code: 180, reason: 'Ringing' });
  assert.equal(parseSipfragStatus('INVITE sip:x SIP/2.0'), undefined);
});

test('REFER tracking: provisional ignored, final decides, acceptCodes, timeout', async () => {
  const a = new ReferTracker({});
  a.onReferResponse(202, 'Accepted');
  a.onNotify('SIP/2.0 100 Trying', 'active');
  a.onNotify('SIP/2.0 200 OK', 'terminated');
  assert.deepEqual(await a.done, { status: 'success', code: 200 });
  const b = new ReferTracker({ acceptCodes: [486] });
  b.onNotify('SIP/2.0 486 Busy Here', 'terminated');
  assert.deepEqual(await b.done, { status: 'success', code: 486 });
  const c = new ReferTracker({});
  c.onNotify('SIP/2.0 503 Service Unavailable', 'terminated');
  assert.deepEqual(await c.done, { status: 'failure', code: 503, reason: 'Service Unavailable' });
  const d = new ReferTracker({});
  d.onReferResponse(403, 'Forbidden');
  assert.deepEqual(await d.done, { status: 'rejected', code: 403, reason: 'Forbidden' });
  const keepAlive = setTimeout(() => undefined, 1000); // the tracker's timer is unref'd
  const e = new ReferTracker({ timeoutMs: 30 });
  assert.deepEqual(await e.done, { status: 'timeout' });
  clearTimeout(keepAlive);
});

test('plan limits and admission', async () => {
  assert.equal(callLimit('trial'), 5);
  assert.equal(callLimit('plus'), 100);
  assert.equal(callLimit('enterprise'), 1000);
  assert.throws(() => callLimit('gold' as never), RangeError);
  const ac = new AdmissionControl(2);
  const first = await ac.admit('c');
  assert.deepEqual([first.admit, (await ac.admit('c')).admit], [true, true]);
  assert.deepEqual(await ac.admit('c'), { admit: false, status: 486, reason: 'Busy Here', cause: 'plan_limit' });
  if (first.admit) first.release();
  assert.equal(ac.activeCalls, 1);
  ac.draining = true;
  const d = await ac.admit('c');
  assert.equal(!d.admit && d.status, 503);
});

test('transactions: timer G retransmits a non-2xx until ACK; timer E retransmits a request until its response; retransmissions absorbed', async () => {
  const { EventEmitter } = await import('node:events');
  const { TransactionLayer } = await import('../../media-core/sip/transaction.ts');
  const sent: string[] = [];
  const fake = Object.assign(new EventEmitter(), {
    sendResponse: (m: { status: number }) => (sent.push(`res ${m.status}`), true),
    send: (m: { kind: string; method?: string; status?: number }) => (sent.push(m.kind === 'request' ? `req ${m.method}` : `res ${m.status}`), true),
  });
  const seen: string[] = [];
  const keepAlive = setInterval(() => undefined, 100); // transaction timers are unref'd
  const layer = new TransactionLayer(fake as never, { t1: 20, t2: 80, t4: 100 }, {
    onRequest: (req, _flow, tx) => {
      seen.push(req.method);
      if (req.method === 'INVITE') tx!.respond(buildResponse(req, 486, { toTag: 't' }));
    },
  });
  const flow = { transport: 'udp' as const, address: '127.0.0.1', port: 5999 };
  const invite = parseMessage(Buffer.from('INVITE sip:a@b.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKg1\r\nFrom: <sip:x@y.com>;tag=1\r\nTo: <sip:a@b.com>\r\nCall-ID: g1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'));
  assert.ok(invite.ok);
  fake.emit('message', invite.message, flow);
  fake.emit('message', invite.message, flow); // retransmission: absorbed, answered again
  await new Promise((r) => setTimeout(r, 130));
  const ack = parseMessage(Buffer.from('ACK sip:a@b.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKg1\r\nFrom: <sip:x@y.com>;tag=1\r\nTo: <sip:a@b.com>;tag=t\r\nCall-ID: g1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n'));
  assert.ok(ack.ok);
  fake.emit('message', ack.message, flow);
  const afterAck = sent.length;
  await new Promise((r) => setTimeout(r, 150));
  assert.deepEqual(seen, ['INVITE'], 'the core saw one INVITE and no ACK');
  assert.ok(afterAck >= 4, `486 sent ${afterAck} times (initial, absorbed retransmission, timer G)`);
  assert.equal(sent.length, afterAck, 'no retransmission after ACK');

  sent.length = 0;
  const bye = { kind: 'request' as const, method: 'BYE', uri: 'sip:x@y.com', headers: [{ name: 'Via', value: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKe1' }, { name: 'CSeq', value: '5 BYE' }], body: Buffer.alloc(0) };
  const tx = layer.sendRequest(bye, flow);
  await new Promise((r) => setTimeout(r, 75)); // E fires at 20, 60 ms
  const ok = parseMessage(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKe1\r\nFrom: <sip:x@y.com>;tag=1\r\nTo: <sip:a@b.com>;tag=t\r\nCall-ID: e1\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n'));
  assert.ok(ok.ok);
  fake.emit('message', ok.message, flow);
  const outcome = await tx.outcome;
  assert.ok('response' in outcome && outcome.response.status === 200);
  assert.equal(sent.filter((s) => s === 'req BYE').length, 3);
  const lost = layer.sendRequest({ ...bye, headers: [{ name: 'Via', value: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKf1' }, { name: 'CSeq', value: '6 BYE' }] }, flow);
  assert.deepEqual(await lost.outcome, { timeout: true }); // timer F = 64*T1 = 1.28 s
  layer.close();
  clearInterval(keepAlive);
});
