/**
 * Test helpers: a raw SIP endpoint on 127.0.0.1 (UDP or TCP) that sends text messages and
 * waits for parsed messages, and builders for a minimal INVITE dialog. Bounded waits only.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { DEFAULT_LIMITS, parseMessage } from '../../media-core/sip/parse.ts';
import type { SipMessage } from '../../media-core/sip/message.ts';
import { StreamFramer } from '../../media-core/sip/stream-framer.ts';

/** A raw SIP peer. `received` holds every parsed message in arrival order. */
export class RawSipPeer {
  readonly received: SipMessage[] = [];
  /** Every datagram or stream chunk as received (to look for octets a parser would hide). */
  readonly raw: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private constructor(
    private readonly kind: 'udp' | 'tcp',
    private readonly udp: UdpSocket | undefined,
    private readonly tcp: Socket | undefined,
    readonly localPort: number,
    private readonly targetPort: number,
  ) {}

  /** A UDP peer bound to `bindAddress` (another loopback address such as 127.0.0.2 needs no privileges). */
  static async udp(targetPort: number, bindAddress = '127.0.0.1'): Promise<RawSipPeer> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, bindAddress, () => r()));
    const peer = new RawSipPeer('udp', s, undefined, s.address().port, targetPort);
    s.on('message', (d) => {
      peer.raw.push(d);
      peer.push(d);
    });
    return peer;
  }

  /** A TCP peer, or a TLS one trusting `tlsCa` (PEM) when given. */
  static async tcp(targetPort: number, tlsCa?: Buffer, bindAddress?: string): Promise<RawSipPeer> {
    const s = tlsCa
      ? tlsConnect({ socket: connect({ port: targetPort, host: '127.0.0.1', localAddress: bindAddress }), ca: tlsCa, checkServerIdentity: () => undefined })
      : connect({ port: targetPort, host: '127.0.0.1', localAddress: bindAddress });
    await new Promise<void>((resolve, reject) => {
      s.once(tlsCa ? 'secureConnect' : 'connect', () => resolve());
      s.once('error', reject);
    });
    const peer = new RawSipPeer('tcp', undefined, s, s.localPort!, targetPort);
    const framer = new StreamFramer();
    s.on('data', (d) => {
      peer.raw.push(d);
      for (const f of framer.push(d)) if ('message' in f) peer.push(f.message);
    });
    s.on('error', () => undefined);
    return peer;
  }

  /** true once the TCP connection was closed by either side. */
  get closed(): boolean {
    return !!this.tcp && (this.tcp.destroyed || this.tcp.readableEnded);
  }

  private push(d: Buffer): void {
    const r = parseMessage(d, { ...DEFAULT_LIMITS, lenient: true });
    if (r.ok) this.received.push(r.message);
    for (const w of this.waiters.splice(0)) w();
  }

  send(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.kind === 'udp') this.udp!.send(buf, this.targetPort, '127.0.0.1');
    else this.tcp!.write(buf);
  }

  /** Waits for a message matching `pred` (also among those already received and not yet taken); removes and returns it, or undefined after timeoutMs. */
  async waitFor(pred: (m: SipMessage) => boolean, timeoutMs = 2000): Promise<SipMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex(pred);
      if (i >= 0) return this.received.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.udp?.close();
    this.tcp?.destroy();
  }
}

/** Fields of a test dialog built by {@link inviteText}. */
export interface TestDialog {
  callId: string;
  fromTag: string;
  branch: string;
  transport: 'UDP' | 'TCP' | 'TLS';
  localPort: number;
  targetPort: number;
  toTag?: string;
  cseq: number;
}

export function newTestDialog(transport: 'UDP' | 'TCP' | 'TLS', localPort: number, targetPort: number): TestDialog {
  return { callId: `t-${randomBytes(6).toString('hex')}@127.0.0.1`, fromTag: randomBytes(4).toString('hex'), branch: 'z9hG4bK' + randomBytes(6).toString('hex'), transport, localPort, targetPort, cseq: 1 };
}

/** An SDP offer of PCMU/PCMA + telephone-event with media at 127.0.0.1:`rtpPort`. */
export function offerSdp(rtpPort: number): string {
  return ['v=0', 'o=test 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${rtpPort} RTP/AVP 0 8 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
}

/** A request of the test dialog. `extra` lines are added before Content-Length. */
export function requestText(d: TestDialog, method: string, opts: { body?: string; contentType?: string; extra?: string[]; branch?: string; cseq?: number; user?: string } = {}): string {
  const body = opts.body ?? '';
  const lines = [
    `${method} sip:${opts.user ?? '15550100001'}@127.0.0.1:${d.targetPort} SIP/2.0`,
    `Via: SIP/2.0/${d.transport} 127.0.0.1:${d.localPort};branch=${opts.branch ?? d.branch};rport`,
    'Max-Forwards: 70',
    `From: "Test Caller" <sip:+15550109999@127.0.0.1:${d.localPort}>;tag=${d.fromTag}`,
    `To: <sip:${opts.user ?? '15550100001'}@127.0.0.1:${d.targetPort}>${d.toTag ? `;tag=${d.toTag}` : ''}`,
    `Call-ID: ${d.callId}`,
    `CSeq: ${opts.cseq ?? d.cseq} ${method === 'CANCEL' || method === 'ACK' ? method : method}`,
    `Contact: <sip:caller@127.0.0.1:${d.localPort}${d.transport === 'UDP' ? '' : `;transport=${d.transport.toLowerCase()}`}>`,
    ...(opts.extra ?? []),
    ...(body ? [`Content-Type: ${opts.contentType ?? 'application/sdp'}`] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

/** Extracts the tag parameter of a To header value. */
export const toTagOf = (m: SipMessage) => /;\s*tag=([^;\s>]+)/i.exec(m.headers.find((h) => /^to$/i.test(h.name))?.value ?? '')?.[1];
