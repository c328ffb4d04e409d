/**
 * Checks before start that the stack's ports are free, so that a busy port reads as
 * "SIP_PORT 5060 (UDP) is in use" with the variable to change, not as EADDRINUSE later.
 */
import { tcpPortFree, udpPortFree } from '../free-ports.ts';
import { PORT_ENV, type Ports } from './stack-env.ts';

export interface BusyPort {
  name: keyof Ports;
  variable: string;
  port: number;
  protocol: 'TCP' | 'UDP';
}

/** The TCP ports (dynamodb, http, lambda, sandbox, sip) and the UDP SIP port that are taken on `host`. */
export async function busyPorts(ports: Ports, host = '127.0.0.1', names: (keyof Ports)[] = ['dynamodb', 'http', 'lambda', 'sandbox', 'sip']): Promise<BusyPort[]> {
  const busy: BusyPort[] = [];
  for (const name of names) {
    if (!(await tcpPortFree(ports[name], host))) busy.push({ name, variable: PORT_ENV[name], port: ports[name], protocol: 'TCP' });
  }
  if (names.includes('sip') && !(await udpPortFree(ports.sip, host))) busy.push({ name: 'sip', variable: PORT_ENV.sip, port: ports.sip, protocol: 'UDP' });
  return busy;
}

/** "HTTP_PORT 3000 (TCP) is in use; set HTTP_PORT to another port." lines. */
export function formatBusy(busy: BusyPort[]): string {
  return busy.map((b) => `${b.variable} ${b.port} (${b.protocol}) is in use; set ${b.variable} to another port.`).join('\n');
}
