/**
 * UDP datagrams the kernel dropped before the media core read them, from procfs (Linux):
 * - RcvbufErrors and InErrors of the "Udp:" lines of /proc/net/snmp: every UDP socket of the
 *   network namespace (the container's, in production) whose receive buffer was full;
 * - the `drops` column of /proc/net/udp (and udp6) for the sockets bound to one local port:
 *   the SIP socket's own drops.
 * https://www.kernel.org/doc/html/latest/networking/proc_net_tcp.html (same layout for UDP).
 * Elsewhere (not Linux, no procfs) the readers return undefined.
 */
import { readFileSync } from 'node:fs';

/** Namespace-wide UDP error counters (since boot or namespace creation). */
export interface UdpSnmpCounters {
  /** Datagrams dropped because a socket's receive buffer was full. */
  rcvbufErrors: number;
  /** Datagrams not delivered for any error, RcvbufErrors included. */
  inErrors: number;
}

/** Parses the "Udp:" header/value line pair of /proc/net/snmp text. @returns undefined when absent. */
export function parseUdpSnmp(text: string): UdpSnmpCounters | undefined {
  const lines = text.split('\n').filter((l) => l.startsWith('Udp:'));
  if (lines.length < 2) return undefined;
  const names = lines[0]!.trim().split(/\s+/).slice(1);
  const values = lines[1]!.trim().split(/\s+/).slice(1).map(Number);
  const get = (n: string) => values[names.indexOf(n)];
  const rcvbufErrors = get('RcvbufErrors');
  const inErrors = get('InErrors');
  if (rcvbufErrors === undefined || inErrors === undefined) return undefined;
  return { rcvbufErrors, inErrors };
}

/** Sum of the `drops` column of /proc/net/udp text over sockets bound to local `port`. */
export function parseSocketDrops(text: string, port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let drops = 0;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    if (f[1]!.split(':')[1] !== hexPort) continue;
    drops += Number(f[12]) || 0;
  }
  return drops;
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** /proc/net/snmp's UDP counters, or undefined off Linux. */
export function readUdpSnmp(): UdpSnmpCounters | undefined {
  const t = read('/proc/net/snmp');
  return t ? parseUdpSnmp(t) : undefined;
}

/** Drops of the UDP sockets on local `port` (IPv4 and IPv6), or undefined off Linux. */
export function readSocketDrops(port: number): number | undefined {
  const v4 = read('/proc/net/udp');
  if (v4 === undefined) return undefined;
  return parseSocketDrops(v4, port) + parseSocketDrops(read('/proc/net/udp6') ?? '', port);
}

/** net.core.rmem_max, bytes: the largest SO_RCVBUF an unprivileged process gets. */
export function readRmemMax(): number | undefined {
  const t = read('/proc/sys/net/core/rmem_max');
  return t ? Number(t.trim()) : undefined;
}
