/**
 * RTP port allocation: one even UDP port per call from a configured range (RFC 3550
 * section 11: RTP on an even port, RTCP on the next odd one, which stays unbound since the
 * media core sends no RTCP).
 */
import { createSocket, type Socket } from 'node:dgram';

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
  socket: Socket;
}

/** Options of {@link PortPool}. */
export interface PortPoolOptions {
  /** Local IPv4 address to bind, e.g. '127.0.0.1' or '0.0.0.0'. */
  address: string;
  /** Lowest port of the range (inclusive); rounded up to even. */
  min: number;
  /** Highest port of the range (inclusive). */
  max: number;
}

/** Hands out bound UDP sockets on even ports of [min, max], round robin. */
export class PortPool {
  readonly address: string;
  readonly min: number;
  readonly max: number;
  private readonly inUse = new Map<number, Socket>();
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
   * Binds a udp4 socket on the next free even port, skipping ports another process holds
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
      const socket = createSocket({ type: 'udp4' });
      this.inUse.set(port, socket);
      try {
        await bind(socket, port, this.address);
        return { port, socket };
      } catch (err) {
        this.inUse.delete(port);
        try { socket.close(); } catch { /* a failed bind may leave nothing to close */ }
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
      }
    }
    throw new PortPoolExhaustedError(this.min, this.max, this.address);
  }

  /** Closes the port's socket and returns the port to the pool. Unknown ports are ignored. */
  release(port: number): void {
    const socket = this.inUse.get(port);
    if (!socket) return;
    this.inUse.delete(port);
    try {
      socket.close();
    } catch {
      // Already closed by its owner: the port is free either way.
    }
  }

  /** Releases every port (shutdown). */
  releaseAll(): void {
    for (const port of [...this.inUse.keys()]) this.release(port);
  }
}

function bind(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => { socket.off('listening', onListening); reject(err); };
    const onListening = () => { socket.off('error', onError); resolve(); };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind(port, address);
  });
}
