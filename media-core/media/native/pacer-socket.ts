/**
 * One RTP port owned by the native pacer, with the part of node:dgram's Socket that
 * RtpSession uses ({@link RtpSocket}): send, close, 'error' and 'close' events; datagrams go to
 * the one {@link PacerSocket.onMessage} slot.
 *
 * Differences from dgram, on purpose:
 * - send() queues the datagram for the pacer thread with the scheduler's due time instead of
 *   sending at once; it never throws for a full ring (the packet is counted and dropped, as a
 *   kernel queue would drop it).
 * - Datagrams go to one direct callback, not a 'message' event: at 50 packets/s per call an
 *   EventEmitter hop was a measurable share of the main thread. The Buffer given to it is a
 *   view of the receive ring, valid only during the call (RtpSession decodes or copies first).
 * - Queued packets can be withdrawn with cancelFrom() (RtpSession does on stop and hold).
 * - There is no connect(): every send names its destination (sendto costs nothing extra here).
 */
import { EventEmitter } from 'node:events';
import type { DueClock, RtpPacer } from './rtp-pacer.ts';
import { ipv4ToNumber, numberToIpv4 } from './ipv4.ts';

/** The source of a received datagram, reused between datagrams of one socket (copy what you keep). */
export interface PacerRemoteInfo {
  address: string;
  port: number;
  family: 'IPv4';
  size: number;
}

/** A UDP port of the pacer. Created by {@link RtpPacer.openSocket}. */
export class PacerSocket extends EventEmitter {
  /** Receives each datagram (a view valid only during the call) and its source (reused: copy what you keep). */
  onMessage: ((msg: Buffer, rinfo: PacerRemoteInfo) => void) | undefined;
  private closed = false;
  private lastAddress = '';
  private lastIp = 0;
  private readonly rinfo: PacerRemoteInfo = { address: '', port: 0, family: 'IPv4', size: 0 };
  private rinfoIp = -1;
  /** Bumped by each cancel: packets queued before it carry an older epoch. */
  private epoch = 0;

  /** @internal created by RtpPacer.openSocket */
  constructor(
    private readonly pacer: RtpPacer,
    /** Index of this socket in the pacer's table. */
    readonly id: number,
    /** Generation of the id at open (packets of an earlier socket with the same id are dropped). */
    readonly gen: number,
    /** The bound UDP port. */
    readonly port: number,
    private readonly clock: DueClock | undefined,
  ) {
    super();
  }

  /**
   * Queues msg[offset, offset+length) to address:port (IPv4 dotted quad), sent by the pacer
   * thread at the scheduler's current due time, or at once outside a tick (or without a
   * scheduler: RTCP). Dropped silently after close.
   * @throws TypeError when port/address are missing or the address is not IPv4.
   */
  send(msg: Buffer, offset: number, length: number, port?: number, address?: string): void {
    if (this.closed) return;
    if (port === undefined || address === undefined) throw new TypeError('PacerSocket.send needs port and address');
    if (address !== this.lastAddress) {
      const ip = ipv4ToNumber(address);
      if (ip === undefined) throw new TypeError(`RTP pacer sockets are IPv4: ${address}`);
      this.lastAddress = address;
      this.lastIp = ip;
    }
    const due = this.clock?.currentDueMs;
    this.pacer.enqueue(this.id, this.gen, this.epoch, msg, offset, length, this.lastIp, port, due);
    // Outside a scheduler tick (RTCP) no wake-up follows: wake the thread so it goes out now.
    if (due === undefined) this.pacer.kick();
  }

  /**
   * Withdraws the packets queued so far that are due at or after dueMs (performance.now()
   * ms, at least a few ms ahead so the thread has not taken them); packets sent later are kept.
   */
  cancelFrom(dueMs: number): void {
    if (this.closed) return;
    this.epoch = (this.epoch + 1) >>> 0;
    this.pacer.cancel(this.id, this.gen, this.epoch, dueMs);
  }

  /** Closes the port; queued packets are dropped. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pacer.closeSocket(this);
    this.emit('close');
  }

  /** @internal called by RtpPacer.drain for each datagram. */
  deliver(ring: Buffer, offset: number, length: number, ip: number, port: number): void {
    const onMessage = this.onMessage;
    if (this.closed || !onMessage) return;
    if (ip !== this.rinfoIp) {
      this.rinfoIp = ip;
      this.rinfo.address = numberToIpv4(ip);
    }
    this.rinfo.port = port;
    this.rinfo.size = length;
    onMessage(ring.subarray(offset, offset + length), this.rinfo);
  }
}
