/**
 * RTP port allocation: one even UDP port per call from a configured range (RFC 3550
 * section 11: RTP on an even port, RTCP on the next odd one, which the session opens with
 * {@link PortPool.openRtcp}).
 */
import { createSocket, type Socket } from 'node:dgram';
import type { RtpSocket, RtpSocketFactory } from './rtp-socket.ts';

/** Thrown by {@link PortPool.allocate} when every even port in the range is taken; the engine answers 503. */
export class PortPoolExhaustedError extends Error {
  override readonly name = 'PortPoolExhaustedError';
  constructor(readonly min: number, readonly max: number, readonly address: string) {
    super(`no free RTP port in ${min}-${max} on ${address}`);
  }
}

/** A bound RTP socket owned by one call. */
export interface RtpPort {
  port: number;
  socket: RtpSocket;
}

/** Options of {@link PortPool}. */
export interface PortPoolOptions {
  /** Local IPv4 address to bind, e.g. '127.0.0.1' or '0.0.0.0'. */
  address: string;
  /** Lowest port of the range (inclusive); rounded up to even. */
  min: number;
  /** Highest port of the range (inclusive). */
  max: number;
  /** Opens the socket of a port (default: a node:dgram udp4 socket; the native pacer gives its own). */
  open?: RtpSocketFactory;
  /** Opens an RTCP socket, sending at once (default: a node:dgram udp4 socket that keeps no process alive). */
  openRtcp?: RtpSocketFactory;
}

/** Hands out bound UDP sockets on even ports of [min, max], round robin. */
export class PortPool {
  readonly address: string;
  readonly min: number;
  readonly max: number;
  private readonly inUse = new Map<number, RtpSocket | null>();
  private readonly open: RtpSocketFactory;
  private readonly openRtcpSocket: RtpSocketFactory;
  private cursor: number;

  /** @throws RangeError when the range holds no even port within 1-65535. */
  constructor(opts: PortPoolOptions) {
    this.address = opts.address;
    this.min = opts.min + (opts.min & 1);
    this.max = opts.max;
    if (!Number.isInteger(this.min) || !Number.isInteger(this.max) || this.min < 1 || this.max > 65535 || this.min > this.max) {
      throw new RangeError(`RTP port range ${opts.min}-${opts.max} holds no even port`);
    }
    this.cursor = this.min;
    this.open = opts.open ?? openDgram;
    this.openRtcpSocket = opts.openRtcp ?? (async (address, port) => (await openDgram(address, port)).unref());
  }

  /** Number of even ports in the range. */
  get capacity(): number {
    return Math.floor((this.max - this.min) / 2) + 1;
  }

  /** Ports currently allocated. */
  get allocated(): number {
    return this.inUse.size;
  }

  /**
   * Binds a socket on the next free even port, skipping ports another process holds
   * (EADDRINUSE/EACCES).
   * @throws PortPoolExhaustedError when no port could be bound; other bind errors as is.
   */
  async allocate(): Promise<RtpPort> {
    const count = this.capacity;
    for (let tried = 0; tried < count; tried++) {
      const port = this.cursor;
      this.cursor = port + 2 > this.max ? this.min : port + 2;
      if (this.inUse.has(port)) continue;
      // Reserve before the asynchronous bind so concurrent allocations pick other ports.
      this.inUse.set(port, null);
      try {
        const socket = await this.open(this.address, port);
        if (!this.inUse.has(port)) {
          // Released (shutdown) while binding.
          socket.close();
          continue;
        }
        this.inUse.set(port, socket);
        return { port, socket };
      } catch (err) {
        this.inUse.delete(port);
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
      }
    }
    throw new PortPoolExhaustedError(this.min, this.max, this.address);
  }

  /** Closes the port's socket and returns the port to the pool. Unknown ports are ignored. */
  release(port: number): void {
    if (!this.inUse.has(port)) return;
    const socket = this.inUse.get(port);
    this.inUse.delete(port);
    try {
      socket?.close();
    } catch {
      // Already closed by its owner: the port is free either way.
    }
  }

  /**
   * Binds the RTCP socket of an allocated RTP port (port + 1, RFC 3550 section 11); its owner
   * closes it. Its errors (ICMP and the like) are ignored: RTCP is best effort.
   * @returns the socket, or undefined when port + 1 cannot be bound (the call goes on without RTCP).
   */
  async openRtcp(rtpPort: number): Promise<RtpSocket | undefined> {
    if (rtpPort + 1 > 65535) return undefined;
    try {
      const socket = await this.openRtcpSocket(this.address, rtpPort + 1);
      socket.on('error', () => undefined);
      return socket;
    } catch {
      return undefined;
    }
  }

  /** Releases every port (shutdown). */
  releaseAll(): void {
    for (const port of [...this.inUse.keys()]) this.release(port);
  }
}

/** The default factory: a node:dgram udp4 socket, closed again when the bind fails. */
function openDgram(address: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: 'udp4' });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.off('listening', onListening);
      try { socket.close(); } catch { /* a failed bind may leave nothing to close */ }
      reject(err);
    };
    const onListening = () => { socket.off('error', onError); resolve(socket); };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind(port, address);
  });
}
