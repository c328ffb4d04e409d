/**
 * Header injection and request smuggling on a TCP trunk connection (issue 12 item 1), against
 * the real engine: a BYE or REFER carrying a header name with CRLFs must put exactly one
 * message on the wire (the BYE without the header; no REFER), never a second request.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Uas } from '../../media-core/engine/uas.ts';
import type { Call } from '../../media-core/call/types.ts';
import { UnsafeSipHeaderError } from '../../events/sip-header.ts';
import { freeSipPort } from '../../dev/free-ports.ts';
import { newTestDialog, offerSdp, requestText } from './sip-client.ts';

const SMUGGLED_NAME = 'X-Result: ok\r\nContent-Length: 0\r\n\r\nINVITE sip:+19005550100@198.51.100.7 SIP/2.0\r\nX-Pad';
const INJECTED_NAME = 'X-Result: ok\r\nRefer-To: <sip:+19005550100@198.51.100.7>\r\nX-Pad';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Raw bytes received on one TCP connection, with a bounded wait for a pattern. */
class RawTcp {
  text = '';
  private constructor(readonly s: Socket) {
    s.on('data', (d) => (this.text += d.toString('latin1')));
    s.on('error', () => undefined);
  }
  static async open(port: number): Promise<RawTcp> {
    const s = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('error', reject);
    });
    return new RawTcp(s);
  }
  async waitFor(re: RegExp, timeoutMs = 3000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (re.test(this.text)) return true;
      await sleep(20);
    }
    return re.test(this.text);
  }
}

/** Start lines (requests and responses) in a byte stream of SIP messages. */
const startLines = (text: string) => text.split('\r\n').filter((l) => /^(?:[A-Z]+ \S+ SIP\/2\.0|SIP\/2\.0 \d{3} )/.test(l));

describe('outbound header injection over TCP', { timeout: 60_000 }, () => {
  let engine: Uas;
  let port: number;
  const calls: Call[] = [];

  before(async () => {
    port = await freeSipPort();
    engine = await Uas.start(
      { sip: { address: '127.0.0.1', udpPort: port, tcpPort: port, idleTimeoutMs: 5000 }, rtp: { address: '127.0.0.1', portMin: 42700, portMax: 42703 }, maxCalls: 'trial', t1Ms: 40 },
      (c) => {
        calls.push(c);
        void c.answer().catch(() => undefined);
      },
    );
  });
  after(async () => {
    await engine?.close();
  });

  async function establish(): Promise<{ tcp: RawTcp; call: Call }> {
    const tcp = await RawTcp.open(port);
    const d = newTestDialog('TCP', tcp.s.localPort!, port);
    const before = calls.length;
    tcp.s.write(requestText(d, 'INVITE', { body: offerSdp(43100) }));
    assert.ok(await tcp.waitFor(/SIP\/2\.0 200 OK/), 'INVITE answered');
    const toTag = /\r\nTo: [^\r]*;tag=([^;\s\r>]+)/i.exec(tcp.text)![1];
    d.toTag = toTag;
    const answered = new Promise((r) => calls[before]!.once('answered', r));
    tcp.s.write(requestText(d, 'ACK', { branch: 'z9hG4bKack' + Date.now() }));
    await answered;
    tcp.text = '';
    return { tcp, call: calls[before]! };
  }

  test('BYE with the smuggling header name: one BYE on the wire, without the header, no second request', async () => {
    const { tcp, call } = await establish();
    await Promise.race([call.hangup([{ name: SMUGGLED_NAME, value: '1' }]), sleep(500)]);
    assert.ok(await tcp.waitFor(/^BYE /m), 'the BYE is sent anyway (no leaked call)');
    await sleep(200);
    assert.deepEqual(startLines(tcp.text).map((l) => l.split(' ')[0]), ['BYE'], `exactly one request on the connection:\n${tcp.text}`);
    assert.doesNotMatch(tcp.text, /X-Result|INVITE sip:\+1900|X-Pad/);
    assert.equal(call.state, 'ended');
    tcp.s.destroy();
  });

  test('BYE with the injected Refer-To name: no extra line', async () => {
    const { tcp, call } = await establish();
    await Promise.race([call.hangup([{ name: INJECTED_NAME, value: '1' }, { name: 'X-Fine', value: 'yes' }]), sleep(500)]);
    assert.ok(await tcp.waitFor(/^BYE /m));
    await sleep(100);
    assert.doesNotMatch(tcp.text, /^Refer-To:/m);
    assert.doesNotMatch(tcp.text, /X-Result/);
    tcp.s.destroy();
  });

  test('REFER with the smuggling header: refused before anything is sent (UnsafeSipHeaderError)', async () => {
    const { tcp, call } = await establish();
    await assert.rejects(call.refer('sip:agent@127.0.0.1:5090', { headers: [{ name: SMUGGLED_NAME, value: '1' }] }), UnsafeSipHeaderError);
    await sleep(200);
    assert.equal(startLines(tcp.text).length, 0, `nothing sent:\n${tcp.text}`);
    assert.equal(call.state, 'answered', 'the caller can still be taken to the error outcome');
    await call.hangup();
    assert.ok(await tcp.waitFor(/^BYE /m));
    tcp.s.destroy();
  });
});
