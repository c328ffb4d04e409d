/**
 * Checks before start that the stack's ports are free, so that a busy port reads as
 * "SIP_PORT 5060 (UDP) is in use" with the variable to change, not as EADDRINUSE later.
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { PORT_ENV, type Ports } from './stack-env.ts';

export interface BusyPort {
  name: keyof Ports;
  variable: string;
  port: number;
  protocol: 'TCP' | 'UDP';
}

function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

/** The TCP ports (dynamodb, http, lambda, sandbox, sip) and the UDP SIP port that are taken on `host`. */
export async function busyPorts(ports: Ports, host = '127.0.0.1', names: (keyof Ports)[] = ['dynamodb', 'http', 'lambda', 'sandbox', 'sip']): Promise<BusyPort[]> {
  const busy: BusyPort[] = [];
  for (const name of names) {
    if (!(await tcpFree(host, ports[name]))) busy.push({ name, variable: PORT_ENV[name], port: ports[name], protocol: 'TCP' });
  }
  if (names.includes('sip') && !(await udpFree(host, ports.sip))) busy.push({ name: 'sip', variable: PORT_ENV.sip, port: ports.sip, protocol: 'UDP' });
  return busy;
}

/** "HTTP_PORT 3000 (TCP) is in use; set HTTP_PORT to another port." lines. */
export function formatBusy(busy: BusyPort[]): string {
  return busy.map((b) => `${b.variable} ${b.port} (${b.protocol}) is in use; set ${b.variable} to another port.`).join('\n');
}
