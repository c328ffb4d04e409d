/**
 * SIP transport layer (RFC 3261 section 18, RFC 3581, RFC 5630 for TLS): UDP, TCP and TLS
 * listeners on one address, message parsing with size bounds, stateless 400/505 answers to
 * malformed requests whose Via can route them, and response routing by Via
 * (received/rport for UDP; the same connection for TCP/TLS).
 */
import { EventEmitter } from 'node:events';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { getHeader, type SipHeader, type SipMessage, type SipResponse } from './message.ts';
import { parseMessage, type SipParseFailure } from './parse.ts';
import { serializeMessage, buildResponse } from './serialize.ts';
import { StreamFramer } from './stream-framer.ts';
import { formatVia, parseVia } from './header-values.ts';

export type TransportName = 'udp' | 'tcp' | 'tls';

/** A stream connection the transport layer keeps (TCP or TLS). */
export interface StreamConnection {
  id: number;
  socket: Socket;
  transport: 'tcp' | 'tls';
}

/** Where a message came from / goes to. For TCP/TLS, `connection` is the stream it arrived on. */
export interface Flow {
  transport: TransportName;
  address: string;
  port: number;
  connection?: StreamConnection;
}

/** Transport settings. Sizes in bytes, times in ms. */
export interface TransportOptions {
  address: string;
  /** 0 picks a free port; undefined disables UDP. */
  udpPort?: number;
  tcpPort?: number;
  tls?: { port: number; certFile: string; keyFile: string };
  /** Largest datagram accepted (default 65535). */
  maxDatagramBytes?: number;
  /** Largest message on a stream (default 131072). */
  maxStreamMessageBytes?: number;
  /** Most header lines per message (default 256). */
  maxHeaders?: number;
  /** A stream connection with no traffic for this long is closed (default 300000 = 5 min). */
  idleTimeoutMs?: number;
  /**
   * Answer UDP requests at the source port even without ;rport (symmetric response routing,
   * as RFC 3581 does when rport is present). Default true: trunks sit behind NAT and we never
   * send to an unverified port.
   */
  forceRport?: boolean;
  /** SO_RCVBUF of the UDP socket, bytes (default 4 MiB: bursts of SIP while the loop is busy; Linux caps it at net.core.rmem_max). */
  udpRecvBufferBytes?: number;
  logger?: Logger;
}

/**
 * Events: 'message' (msg: SipMessage, flow: Flow); 'close-connection' (conn: StreamConnection).
 */
export class SipTransport extends EventEmitter {
  readonly ports: { udp?: number; tcp?: number; tls?: number } = {};
  private udp?: UdpSocket;
  private servers: Server[] = [];
  private readonly connections = new Set<StreamConnection>();
  private nextConnId = 1;
  private readonly opts: Required<Omit<TransportOptions, 'udpPort' | 'tcpPort' | 'tls' | 'logger' | 'udpRecvBufferBytes'>> & TransportOptions;
  /** Counters for tests and metrics. */
  readonly stats = { received: 0, malformed: 0, dropped: 0, sent: 0 };

  constructor(opts: TransportOptions) {
    super();
    this.opts = {
      ...opts,
      maxDatagramBytes: opts.maxDatagramBytes ?? 65535,
      maxStreamMessageBytes: opts.maxStreamMessageBytes ?? 131072,
      maxHeaders: opts.maxHeaders ?? 256,
      idleTimeoutMs: opts.idleTimeoutMs ?? 300_000,
      forceRport: opts.forceRport ?? true,
    };
  }

  /** Binds every configured listener. @throws on bind failure (port in use, unreadable cert). */
  async start(): Promise<void> {
    const { address } = this.opts;
    if (this.opts.udpPort !== undefined) {
      const udp = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4', recvBufferSize: this.opts.udpRecvBufferBytes ?? 4 * 1024 * 1024 });
      udp.on('message', (data, rinfo) => this.onDatagram(data, rinfo.address, rinfo.port));
      udp.on('error', (err) => this.opts.logger?.warn({ err }, 'udp socket error'));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.opts.udpPort, address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      this.udp = udp;
      this.ports.udp = udp.address().port;
    }
    if (this.opts.tcpPort !== undefined) {
      const server = createTcpServer((s) => this.onStream(s, 'tcp'));
      this.ports.tcp = await this.listen(server, this.opts.tcpPort);
    }
    if (this.opts.tls) {
      const server = createTlsServer(
        { cert: readFileSync(this.opts.tls.certFile), key: readFileSync(this.opts.tls.keyFile) },
        (s) => this.onStream(s, 'tls'),
      );
      server.on('tlsClientError', (err) => this.opts.logger?.debug({ err: err.message }, 'tls handshake failed'));
      this.ports.tls = await this.listen(server, this.opts.tls.port);
    }
  }

  private async listen(server: Server, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.servers.push(server);
    return (server.address() as { port: number }).port;
  }

  private onDatagram(data: Buffer, address: string, port: number): void {
    // A lone CRLF(CRLF) datagram is a keepalive (RFC 5626 section 4.4.2).
    if (data.length <= 4 && /^[\r\n]*$/.test(data.toString('latin1'))) return;
    if (data.length > this.opts.maxDatagramBytes) {
      this.stats.dropped++;
      return;
    }
    this.handleBytes(data, { transport: 'udp', address, port }, true);
  }

  private onStream(socket: Socket, transport: 'tcp' | 'tls'): void {
    const conn: StreamConnection = { id: this.nextConnId++, socket, transport };
    this.connections.add(conn);
    const flow: Flow = { transport, address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, connection: conn };
    const framer = new StreamFramer({ maxMessageBytes: this.opts.maxStreamMessageBytes });
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        if ('message' in frame) this.handleBytes(frame.message, flow, false);
        else {
          this.stats.malformed++;
          this.opts.logger?.info({ transport, error: frame.error }, 'closing stream after framing error');
          if (frame.head) {
            const r = parseMessage(frame.head, { maxMessageBytes: this.opts.maxStreamMessageBytes, maxHeaders: this.opts.maxHeaders, datagram: true });
            const failure: SipParseFailure = r.ok
              ? { ok: false, status: 400, reason: frame.error, headers: r.message.headers, isResponse: r.message.kind === 'response', method: r.message.kind === 'request' ? r.message.method : undefined }
              : { ...r, status: 400, reason: frame.error };
            this.answerMalformed(failure, flow);
          }
          socket.end();
          setTimeout(() => socket.destroy(), 1000).unref();
          return;
        }
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.connections.delete(conn);
      this.emit('close-connection', conn);
    });
  }

  private handleBytes(data: Buffer, flow: Flow, datagram: boolean): void {
    this.stats.received++;
    let r;
    try {
      r = parseMessage(data, {
        maxMessageBytes: datagram ? this.opts.maxDatagramBytes : this.opts.maxStreamMessageBytes,
        maxHeaders: this.opts.maxHeaders,
        datagram,
      });
    } catch (err) {
      // The parser is meant never to throw; a bug there must not take the process down.
      this.opts.logger?.error({ err }, 'parser threw');
      this.stats.malformed++;
      return;
    }
    if (!r.ok) {
      this.stats.malformed++;
      this.opts.logger?.debug({ status: r.status, reason: r.reason, from: flow.address }, 'malformed SIP message');
      this.answerMalformed(r, flow);
      return;
    }
    const msg = r.message;
    if (msg.kind === 'request') this.stampVia(msg.headers, flow);
    this.emit('message', msg, flow);
  }

  /** RFC 3261 section 18.2.1 / RFC 3581 section 4: add received= and fill rport on the top Via. */
  private stampVia(headers: SipHeader[], flow: Flow): void {
    const h = headers.find((x) => x.name.toLowerCase() === 'via');
    if (!h) return;
    const comma = topComma(h.value);
    const first = comma < 0 ? h.value : h.value.slice(0, comma);
    const via = parseVia(first);
    const params = via.params.filter(([k]) => k.toLowerCase() !== 'received' && k.toLowerCase() !== 'rport');
    const hadRport = via.params.some(([k]) => k.toLowerCase() === 'rport');
    if (via.host !== flow.address || hadRport) params.push(['received', flow.address]);
    if (hadRport) params.push(['rport', String(flow.port)]);
    h.value = formatVia({ ...via, params }) + (comma < 0 ? '' : h.value.slice(comma));
  }

  private answerMalformed(r: SipParseFailure, flow: Flow): void {
    // Responses and ACKs are never answered; a request is answered only if its top Via parses.
    if (r.isResponse || r.method === 'ACK') return;
    const viaHeader = r.headers.find((h) => h.name.toLowerCase() === 'via');
    if (!viaHeader) return;
    try {
      this.stampVia(r.headers, flow);
    } catch {
      // An unparsable Via is echoed as is: the response still goes to the source (UDP) or the connection.
    }
    const res = buildResponse({ headers: r.headers }, r.status, { reason: r.status === 400 ? `Bad Request (${r.reason})` : undefined });
    this.sendResponse(res, flow);
  }

  /**
   * Sends a response where its top Via says (RFC 3261 section 18.2.2): over the request's
   * connection for TCP/TLS; for UDP to the received address and the rport / Via port.
   */
  sendResponse(res: SipResponse, flow: Flow): boolean {
    if (flow.transport !== 'udp') return this.send(res, flow);
    let port = flow.port;
    const top = getHeader(res, 'via');
    if (top && !this.opts.forceRport) {
      try {
        const via = parseVia(top.slice(0, topComma(top) < 0 ? undefined : topComma(top)));
        const rport = via.params.find(([k]) => k.toLowerCase() === 'rport');
        port = rport && rport[1] ? Number(rport[1]) : (via.port ?? 5060);
      } catch {
        /* keep the source port */
      }
    }
    return this.send(res, { ...flow, port });
  }

  /** Sends a message on a flow. Returns false when the connection is gone. */
  send(msg: SipMessage, flow: Flow): boolean {
    const data = serializeMessage(msg);
    this.stats.sent++;
    if (flow.transport === 'udp') {
      this.udp?.send(data, flow.port, flow.address);
      return !!this.udp;
    }
    const conn = flow.connection;
    if (!conn || conn.socket.destroyed || !this.connections.has(conn)) return false;
    conn.socket.write(data);
    return true;
  }

  /** The Via sent-by for requests we originate on `transport`. */
  localPort(transport: TransportName): number {
    return this.ports[transport] ?? this.ports.udp ?? 5060;
  }

  /** Closes listeners and every connection. */
  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers = [];
    if (this.udp) await new Promise<void>((r) => this.udp!.close(() => r()));
    this.udp = undefined;
  }
}

/** Index of the first top-level comma in a header value, or -1. */
function topComma(v: string): number {
  let q = false;
  for (let i = 0; i < v.length; i++) {
    if (q) {
      if (v[i] === '\\') i++;
      else if (v[i] === '"') q = false;
    } else if (v[i] === '"') q = true;
    else if (v[i] === ',') return i;
  }
  return -1;
}
