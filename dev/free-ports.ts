/** Free-port helpers for tests, benches, the caller and the stack: every port is probed on 127.0.0.1 (or `host`). */
import { createServer } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';

/** A TCP port free on 127.0.0.1 at the time of the call. */
export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether a TCP listener could bind `port` on `host` now. */
export function tcpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** Whether a UDP socket could bind `port` on `host` now. */
export function udpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

/** A port free for both UDP and TCP on 127.0.0.1 (SIP listens on both). */
export async function freeSipPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcpPort();
    if (await udpPortFree(port)) return port;
  }
  throw new Error('no free SIP port found in 20 tries');
}

const bindUdp = (port: number, host: string) =>
  new Promise<Socket | undefined>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(undefined));
    s.bind(port, host, () => resolve(s));
  });

/**
 * SIPp's -mp: an even UDP port p on `host` with p..p+3 free. SIPp binds audio RTP/RTCP at p,
 * p+1 and video at p+2, p+3, and fails the call ("Unable to bind video RTP socket") if any is
 * taken. Throws after 50 tries without such a range.
 */
export async function freeSippMediaPort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const probe = await bindUdp(0, host);
    if (!probe) continue;
    const base = probe.address().port & ~1;
    await new Promise<void>((r) => probe.close(() => r()));
    if (base + 3 > 65535) continue;
    const held = await Promise.all([0, 1, 2, 3].map((k) => bindUdp(base + k, host)));
    await Promise.all(held.map((s) => s && new Promise<void>((r) => s.close(() => r()))));
    if (held.every(Boolean)) return base;
  }
  throw new Error('no free range of 4 UDP ports in 50 tries');
}
