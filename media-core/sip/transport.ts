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
import { readFileSync, statSync } from 'node:fs';
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
  /**
   * TLS listener. `clientCaFile` (PEM) turns on client certificate verification (mTLS): a
   * peer without a certificate signed by that CA fails the handshake and never reaches SIP.
   * The files are checked every `reloadIntervalMs` (default 60000; 0 never): when one changed
   * (a renewed certificate), new handshakes use the new files and established connections keep
   * theirs. Files that do not load (a key that does not match) leave the previous ones in use.
   */
  tls?: TlsFiles;
  /** Largest datagram accepted (default 65535). */
  maxDatagramBytes?: number;
  /** Largest message on a stream (default 65535). */
  maxStreamMessageBytes?: number;
  /**
   * Decides, from the packet's or connection's source address alone and before any parsing
   * or state, whether anything from it is looked at. A refused datagram is dropped and a
   * refused connection closed at once, with no SIP answer. Default: everything accepted.
   */
  sourceFilter?: (address: string) => boolean;
  /**
   * Called for each datagram and each framed stream message before it is parsed: false drops
   * it unparsed and unanswered (a per-source message budget, so a flood from one address
   * costs a map lookup per message, not a parse). Default: everything parsed.
   */
  admitMessage?: (address: string) => boolean;
  /** Told of each message that failed to parse, with its source (to spend that source's malformed budget). */
  onMalformed?: (address: string) => void;
  /** Most TCP/TLS connections at once (default 1024); more are closed at accept. */
  maxConnections?: number;
  /** Most TCP/TLS connections from one IP address (default 16). */
  maxConnectionsPerIp?: number;
  /** A message begun on a stream must be complete within this, ms (default 10000), or the connection is closed. */
  headerTimeoutMs?: number;
  /** Most header lines per message (default 256). */
  maxHeaders?: number;
  /** A stream connection with no complete message for this long is closed (default 300000 = 5 min); partial messages and keepalives do not extend it. */
  idleTimeoutMs?: number;
  /**
   * Answer UDP requests at the source port even without ;rport (symmetric response routing,
   * as RFC 3581 does when rport is present). Default true: trunks sit behind NAT and we never
   * send to an unverified port.
   */
  forceRport?: boolean;
  /** Called for each connection or message dropped without an answer, with the reason (metrics). */
  onDrop?: (reason: 'connections' | 'header_timeout') => void;
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
  private readonly opts: Required<Omit<TransportOptions, 'udpPort' | 'tcpPort' | 'tls' | 'logger' | 'sourceFilter' | 'onDrop' | 'admitMessage' | 'onMalformed' | 'udpRecvBufferBytes'>> & TransportOptions;
  /** Counters for tests and metrics. */
  readonly stats = { received: 0, malformed: 0, dropped: 0, sent: 0, refusedSource: 0, refusedConnections: 0, headerTimeouts: 0, idleClosed: 0 };
  private readonly perIp = new Map<string, number>();
  private readonly streamState = new Map<StreamConnection, { framer: StreamFramer; lastMessageAt: number; messageStartAt?: number }>();
  private sweep?: NodeJS.Timeout;
  private tlsReload?: NodeJS.Timeout;

  constructor(opts: TransportOptions) {
    super();
    this.opts = {
      ...opts,
      maxDatagramBytes: opts.maxDatagramBytes ?? 65535,
      maxStreamMessageBytes: opts.maxStreamMessageBytes ?? 65535,
      maxHeaders: opts.maxHeaders ?? 256,
      idleTimeoutMs: opts.idleTimeoutMs ?? 300_000,
      maxConnections: opts.maxConnections ?? 1024,
      maxConnectionsPerIp: opts.maxConnectionsPerIp ?? 16,
      headerTimeoutMs: opts.headerTimeoutMs ?? 10_000,
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
      const files = this.opts.tls;
      const server = createTlsServer(
        {
          ...tlsContext(files),
          ...(files.clientCaFile ? { requestCert: true, rejectUnauthorized: true } : {}),
          // A handshake is bounded like a header section: a peer that stalls it holds no socket for long.
          handshakeTimeout: this.opts.headerTimeoutMs,
        },
        (s) => this.onStream(s, 'tls'),
      );
      server.on('tlsClientError', (err) => this.opts.logger?.debug({ err: err.message }, 'tls handshake failed'));
      this.ports.tls = await this.listen(server, this.opts.tls.port);
      const every = files.reloadIntervalMs ?? 60_000;
      if (every > 0) {
        let seen = filesStamp(files);
        this.tlsReload = setInterval(() => {
          const now = filesStamp(files);
          if (now === seen) return;
          seen = now;
          try {
            server.setSecureContext(tlsContext(files));
            this.opts.logger?.info({ certFile: files.certFile }, 'TLS certificate reloaded');
          } catch (err) {
            this.opts.logger?.error({ err: (err as Error).message, certFile: files.certFile }, 'TLS certificate not reloaded; the previous one stays in use');
          }
        }, every);
        this.tlsReload.unref();
      }
    }
    if (this.servers.length) {
      // One sweep for every stream's deadlines: socket.setTimeout would be reset by any octet.
      const every = Math.max(50, Math.min(1000, Math.floor(Math.min(this.opts.headerTimeoutMs, this.opts.idleTimeoutMs) / 4)));
      this.sweep = setInterval(() => this.sweepStreams(), every);
      this.sweep.unref();
    }
  }

  /** Closes streams whose message is overdue (header deadline) or that carried no complete message for the idle timeout. */
  private sweepStreams(now = Date.now()): void {
    for (const [conn, st] of this.streamState) {
      if (st.messageStartAt !== undefined && now - st.messageStartAt > this.opts.headerTimeoutMs) {
        this.stats.headerTimeouts++;
        this.opts.onDrop?.('header_timeout');
        conn.socket.destroy();
      } else if (now - st.lastMessageAt > this.opts.idleTimeoutMs) {
        this.stats.idleClosed++;
        conn.socket.destroy();
      }
    }
  }

  private async listen(server: Server, port: number): Promise<number> {
    // The kernel-level cap (sockets not yet handed to us, e.g. TLS handshakes in progress, count too).
    server.maxConnections = this.opts.maxConnections;
    server.on('drop', () => {
      this.stats.refusedConnections++;
      this.opts.onDrop?.('connections');
    });
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
    if (this.opts.sourceFilter && !this.opts.sourceFilter(address)) {
      this.stats.refusedSource++;
      return;
    }
    // A lone CRLF(CRLF) datagram is a keepalive (RFC 5626 section 4.4.2).
    if (data.length <= 4 && /^[\r\n]*$/.test(data.toString('latin1'))) return;
    if (data.length > this.opts.maxDatagramBytes) {
      this.stats.dropped++;
      return;
    }
    this.handleBytes(data, { transport: 'udp', address, port }, true);
  }

  private onStream(socket: Socket, transport: 'tcp' | 'tls'): void {
    const address = socket.remoteAddress ?? '';
    if (this.opts.sourceFilter && !this.opts.sourceFilter(address)) {
      this.stats.refusedSource++;
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    const fromIp = this.perIp.get(address) ?? 0;
    if (this.connections.size >= this.opts.maxConnections || fromIp >= this.opts.maxConnectionsPerIp) {
      this.stats.refusedConnections++;
      this.opts.onDrop?.('connections');
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    this.perIp.set(address, fromIp + 1);
    const conn: StreamConnection = { id: this.nextConnId++, socket, transport };
    this.connections.add(conn);
    const flow: Flow = { transport, address, port: socket.remotePort ?? 0, connection: conn };
    const framer = new StreamFramer({ maxMessageBytes: this.opts.maxStreamMessageBytes });
    const st: { framer: StreamFramer; lastMessageAt: number; messageStartAt?: number } = { framer, lastMessageAt: Date.now() };
    this.streamState.set(conn, st);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const frames = framer.push(chunk);
      if (frames.length) {
        st.lastMessageAt = Date.now();
        st.messageStartAt = framer.inMessage ? st.lastMessageAt : undefined;
      } else if (framer.inMessage) st.messageStartAt ??= Date.now();
      for (const frame of frames) {
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
      this.streamState.delete(conn);
      const left = (this.perIp.get(address) ?? 1) - 1;
      if (left > 0) this.perIp.set(address, left);
      else this.perIp.delete(address);
      this.emit('close-connection', conn);
    });
  }

  private handleBytes(data: Buffer, flow: Flow, datagram: boolean): void {
    if (this.opts.admitMessage && !this.opts.admitMessage(flow.address)) {
      this.stats.dropped++;
      return;
    }
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
      this.opts.onMalformed?.(flow.address);
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
    // An oversized Via list is not echoed whole: the top Via routes the 400, and the answer stays smaller than the request.
    const headers = r.reason === 'Via too large' ? [{ ...viaHeader, value: viaHeader.value.slice(0, Math.max(0, topComma(viaHeader.value)) || undefined) }, ...r.headers.filter((h) => h.name.toLowerCase() !== 'via')] : r.headers;
    const res = buildResponse({ headers }, r.status, { reason: r.status === 400 ? `Bad Request (${r.reason})` : undefined });
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
    let data: Buffer;
    try {
      data = serializeMessage(msg);
    } catch (err) {
      // The serializer's last guard refused the message (header injection): send nothing, and
      // report it like a lost connection so the transaction ends instead of throwing out of an I/O handler.
      this.opts.logger?.warn({ err: (err as Error).message }, 'unsafe SIP message not sent');
      return false;
    }
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
    if (this.sweep) clearInterval(this.sweep);
    if (this.tlsReload) clearInterval(this.tlsReload);
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

/** The TLS listener's PEM files (certificate chain, key, optional client CA) and how often they are checked for a change, ms. */
export interface TlsFiles {
  port: number;
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
  reloadIntervalMs?: number;
}

/** The secure context of the files. @throws Error when a file cannot be read. */
function tlsContext(f: TlsFiles): { cert: Buffer; key: Buffer; ca?: Buffer } {
  return { cert: readFileSync(f.certFile), key: readFileSync(f.keyFile), ...(f.clientCaFile ? { ca: readFileSync(f.clientCaFile) } : {}) };
}

/** Modification time and size of each file: what a renewal changes. */
function filesStamp(f: TlsFiles): string {
  return [f.certFile, f.keyFile, f.clientCaFile]
    .filter((x): x is string => !!x)
    .map((file) => {
      try {
        const s = statSync(file);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}
