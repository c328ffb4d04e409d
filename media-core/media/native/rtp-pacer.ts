/**
 * The JavaScript side of the native RTP pacer: the transmit and receive rings, the sockets'
 * ids, and the per-packet pacing figures. One per process (the addon has one thread).
 *
 * Flow: the Scheduler (../scheduler.ts) runs each 20 ms slot `leadMs` early; every RtpSession builds its
 * packet as before and calls {@link PacerSocket.send}, which copies it into the transmit ring
 * with the due time the scheduler gives for that sender (Scheduler.currentDueMs).
 * After the wake-up the scheduler calls {@link RtpPacer.kick}; the pacer thread sends each
 * packet at its due time. Received datagrams wait in the receive ring until the drain timer
 * (every `drainIntervalMs`, 5 ms by default) hands them to their sockets' onMessage callbacks in one batch.
 */
import { performance } from 'node:perf_hooks';
import type { TickDeviationStats } from '../scheduler.ts';
import type { RtpPacerAddon } from './load.ts';
import { PacerSocket } from './pacer-socket.ts';
import { ipv4ToNumber } from './ipv4.ts';
import { histogramQuantile } from '../histogram-quantile.ts';

/** Where a socket's due times come from: the {@link Scheduler} ticking its session. */
export interface DueClock {
  /** The due time of the packet being built now, performance.now() ms; undefined outside ticks. */
  readonly currentDueMs: number | undefined;
}

/** Options of {@link RtpPacer}. */
export interface RtpPacerOptions {
  /**
   * Transmit ring size in packets, a power of two (default 16384, 4 MB: 2,000 calls with 100 ms
   * of lead queue 12,000 packets). When full, packets are dropped and counted (txOverflow).
   */
  txSlots?: number;
  /**
   * Receive ring size in datagrams, a power of two (default 16384, 16 MB: 160 ms of 2,000 calls'
   * audio, so an event loop stalled that long loses nothing). When full, the thread drops and counts (rxDropped).
   */
  rxSlots?: number;
  /** How often received datagrams are handed to JavaScript, ms (default 5: DTMF and speech reach the runtime within that). */
  drainIntervalMs?: number;
  /** Ask for SCHED_FIFO (then nice -10) for the pacer thread; ignored when not permitted (default false). */
  realtime?: boolean;
}

/** Counters of the pacer (since start). */
export interface RtpPacerCounters {
  /** Datagrams dropped because the receive ring was full. */
  rxDropped: number;
  /** Datagrams dropped for not fitting a receive slot (1,008 bytes) or not IPv4. */
  rxOversize: number;
  /** Queued packets dropped because their socket closed first. */
  txStale: number;
  /** sendto failures (ENOBUFS, EAGAIN, unreachable). */
  txErrors: number;
  /** Packets not queued because the transmit ring was full. */
  txOverflow: number;
  /** Queued packets withdrawn by {@link PacerSocket.cancelFrom} (barge-in, hold). */
  txCancelled: number;
  /** Passes reading the ready sockets: at most one per ms plus one per wake-up that follows a quiet ms, however many datagrams arrive. */
  rxPasses: number;
  /** Scheduling of the pacer thread: 'normal', 'nice' (-10) or 'fifo' (SCHED_FIFO priority 10). */
  policy: 'normal' | 'nice' | 'fifo';
}

const C = { txWrite: 0, txRead: 1, rxWrite: 2, rxRead: 3, rxDropped: 4, rxOversize: 5, txStale: 6, txErrors: 7, statsReset: 8, statsCount: 9, statsMaxUs: 10, policy: 11, txCancelled: 12, rxPasses: 13 } as const;

/** Bound to a scheduler and an addon; create with {@link RtpPacer.start}. */
export class RtpPacer {
  private readonly addon: RtpPacerAddon;
  private readonly txSlots: number;
  private readonly rxSlots: number;
  /** Slot sizes and header lengths of the rings (addon.layout), read once: enqueue and drain run per packet. */
  private readonly txSlot: number;
  private readonly txHeader: number;
  private readonly rxSlot: number;
  private readonly rxHeader: number;
  private readonly tx: Buffer;
  private readonly rx: Buffer;
  private readonly control: Int32Array;
  private readonly histogram: Uint32Array;
  /** addon.nowMs() - performance.now(): both are CLOCK_MONOTONIC, so this stays fixed. */
  private readonly clockOffset: number;
  /** How far clockOffset may be off, ms: half the tightest bracket it was read in. */
  readonly clockUncertaintyMs: number;
  private readonly drainIntervalMs: number;
  private readonly sockets: (PacerSocket | undefined)[] = [];
  private readonly freeIds: number[] = [];
  private open = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  private txOverflow = 0;
  private stopped = false;

  private constructor(addon: RtpPacerAddon, opts: RtpPacerOptions) {
    this.addon = addon;
    const L = addon.layout;
    this.txSlot = L.txSlot;
    this.txHeader = L.txHeader;
    this.rxSlot = L.rxSlot;
    this.rxHeader = L.rxHeader;
    this.txSlots = opts.txSlots ?? 16384;
    this.rxSlots = opts.rxSlots ?? 16384;
    for (const [name, n] of [['txSlots', this.txSlots], ['rxSlots', this.rxSlots]] as const) {
      if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0) throw new RangeError(`RtpPacer ${name} must be a power of two >= 2, got ${n}`);
    }
    this.drainIntervalMs = opts.drainIntervalMs ?? 5;
    this.tx = Buffer.from(new ArrayBuffer(this.txSlots * L.txSlot));
    this.rx = Buffer.from(new ArrayBuffer(this.rxSlots * L.rxSlot));
    this.control = new Int32Array(new ArrayBuffer(L.controlWords * 4));
    this.histogram = new Uint32Array(new ArrayBuffer(L.histBuckets * 4));
    addon.start(this.tx.buffer as ArrayBuffer, this.rx.buffer as ArrayBuffer, this.control, this.histogram, opts.realtime ?? false);
    ({ offsetMs: this.clockOffset, uncertaintyMs: this.clockUncertaintyMs } = calibrateClock(addon));
  }

  /**
   * Starts the pacer thread.
   * @throws Error (code ERR_RTP_PACER_RUNNING) when a pacer already runs in this process; RangeError on bad ring sizes.
   */
  static start(addon: RtpPacerAddon, opts: RtpPacerOptions = {}): RtpPacer {
    return new RtpPacer(addon, opts);
  }

  /**
   * Binds a UDP socket on address:port (IPv4 dotted quad) owned by the pacer thread. Its
   * packets are due at `clock.currentDueMs` when they are sent (the scheduler that ticks the
   * socket's session), or at once when that is undefined.
   * @throws Error with the errno name as code (EADDRINUSE, EACCES, EMFILE...); TypeError for a non-IPv4 address.
   */
  openSocket(address: string, port: number, clock?: DueClock): PacerSocket {
    if (this.stopped) throw new Error('RTP pacer stopped');
    const ip = ipv4ToNumber(address);
    if (ip === undefined) throw new TypeError(`RTP pacer sockets are IPv4: ${address}`);
    const id = this.freeIds.pop() ?? this.sockets.length;
    let gen: number;
    try {
      gen = this.addon.open(id, ip, port);
    } catch (err) {
      if (id < this.sockets.length) this.freeIds.push(id);
      throw err;
    }
    const socket = new PacerSocket(this, id, gen, port, clock);
    this.sockets[id] = socket;
    this.open++;
    if (!this.drainTimer) this.drainTimer = setInterval(this.drain, this.drainIntervalMs);
    return socket;
  }

  /** Closes a socket (called by {@link PacerSocket.close}); its queued packets are dropped. */
  closeSocket(socket: PacerSocket): void {
    if (this.sockets[socket.id] !== socket) return;
    this.addon.close(socket.id);
    this.sockets[socket.id] = undefined;
    this.freeIds.push(socket.id);
    this.open--;
    if (this.open === 0 && this.drainTimer) {
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
    }
  }

  /**
   * Queues buf[offset, offset+length) from socket (id, gen) to ipv4:port, due at dueMs
   * (performance.now() clock; undefined = now). @returns false when the ring is full or the
   * packet is larger than a transmit slot (counted in txOverflow).
   */
  enqueue(id: number, gen: number, epoch: number, buf: Buffer, offset: number, length: number, ipv4: number, port: number, dueMs: number | undefined): boolean {
    const w = Atomics.load(this.control, C.txWrite) >>> 0;
    const r = Atomics.load(this.control, C.txRead) >>> 0;
    if (((w - r) >>> 0) >= this.txSlots || length > this.txSlot - this.txHeader) {
      this.txOverflow++;
      return false;
    }
    const at = (w & (this.txSlots - 1)) * this.txSlot;
    const t = this.tx;
    t.writeUInt32LE(id, at);
    t.writeUInt32LE(gen, at + 4);
    t.writeDoubleLE((dueMs ?? performance.now()) + this.clockOffset, at + 8);
    t.writeUInt32LE(ipv4, at + 16);
    t.writeUInt16LE(port, at + 20);
    t.writeUInt16LE(length, at + 22);
    t.writeUInt32LE(epoch >>> 0, at + 24);
    buf.copy(t, at + this.txHeader, offset, offset + length);
    Atomics.store(this.control, C.txWrite, (w + 1) | 0);
    return true;
  }

  /**
   * Withdraws socket (id, gen)'s queued packets of epochs before `epoch` due at or after dueMs
   * (performance.now() clock). Exact: under the thread's lock, nothing due that late was sent yet.
   */
  cancel(id: number, gen: number, epoch: number, dueMs: number): void {
    if (!this.stopped) this.addon.cancel(id, gen, epoch >>> 0, dueMs + this.clockOffset);
  }

  /** Tells the thread that packets were queued (the scheduler calls this after each wake-up). */
  kick(): void {
    if (!this.stopped) this.addon.kick();
  }

  /** Hands every received datagram to its socket; runs on the drain timer. */
  readonly drain = (): void => {
    let r = Atomics.load(this.control, C.rxRead) >>> 0;
    const w = Atomics.load(this.control, C.rxWrite) >>> 0;
    const x = this.rx;
    while (r !== w) {
      const at = (r & (this.rxSlots - 1)) * this.rxSlot;
      const id = x.readUInt32LE(at);
      const socket = this.sockets[id];
      if (socket && socket.gen === x.readUInt32LE(at + 4)) {
        const length = x.readUInt16LE(at + 14);
        try {
          socket.deliver(x, at + this.rxHeader, length, x.readUInt32LE(at + 8), x.readUInt16LE(at + 12));
        } catch (err) {
          // A throwing listener must not stall the ring for every other call.
          socket.emit('error', err as Error);
        }
      }
      r = (r + 1) >>> 0;
      // Publish per packet: a listener may take long, and the thread can reuse the slot at once.
      Atomics.store(this.control, C.rxRead, r | 0);
    }
  };

  /** Per-packet lateness of sends against their due time (each call's own 20 ms grid), ms. */
  stats(): TickDeviationStats {
    if (Atomics.load(this.control, C.statsReset)) return { ticks: 0, skipped: 0, p50Ms: NaN, p99Ms: NaN, maxMs: 0 };
    const count = Atomics.load(this.control, C.statsCount);
    const maxMs = Atomics.load(this.control, C.statsMaxUs) / 1000;
    const bucketMs = this.addon.layout.histBucketNs / 1e6;
    const q = (p: number) => histogramQuantile(this.histogram, bucketMs, count, maxMs, p);
    return { ticks: count, skipped: 0, p50Ms: q(0.5), p99Ms: q(0.99), maxMs };
  }

  /**
   * A copy of the per-packet lateness histogram (counts per bucket of `bucketMs`, ms) and its
   * total, for figures over a window (admission by headroom): two snapshots' difference.
   */
  latenessSnapshot(): { counts: Uint32Array; count: number; bucketMs: number } {
    if (Atomics.load(this.control, C.statsReset)) return { counts: new Uint32Array(this.histogram.length), count: 0, bucketMs: this.addon.layout.histBucketNs / 1e6 };
    return { counts: this.histogram.slice(), count: Atomics.load(this.control, C.statsCount), bucketMs: this.addon.layout.histBucketNs / 1e6 };
  }

  /** Clears the per-packet figures (the thread clears them before its next send). */
  resetStats(): void {
    Atomics.store(this.control, C.statsReset, 1);
  }

  /** Drop and error counters. */
  counters(): RtpPacerCounters {
    const c = this.control;
    return {
      rxDropped: Atomics.load(c, C.rxDropped),
      rxOversize: Atomics.load(c, C.rxOversize),
      txStale: Atomics.load(c, C.txStale),
      txErrors: Atomics.load(c, C.txErrors),
      txOverflow: this.txOverflow,
      txCancelled: Atomics.load(c, C.txCancelled),
      rxPasses: Atomics.load(c, C.rxPasses),
      policy: (['normal', 'nice', 'fifo'] as const)[Atomics.load(c, C.policy)] ?? 'normal',
    };
  }

  /** Stops the thread and closes every socket (their owners see no more packets). Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    this.addon.stop();
    this.sockets.length = 0;
    this.open = 0;
  }
}

/**
 * Reads the offset between the addon's clock and performance.now(), ms. One read can be off by
 * the first call's cost (tenths of a ms when the call is not yet optimized), which shifts every
 * due time: so the addon's clock is read between two performance.now() reads, several times,
 * and the tightest bracket wins.
 * @returns offsetMs (add to a performance.now() time) and uncertaintyMs (half that bracket).
 */
export function calibrateClock(addon: Pick<RtpPacerAddon, 'nowMs'>, samples = 9): { offsetMs: number; uncertaintyMs: number } {
  let best = { offsetMs: 0, uncertaintyMs: Infinity };
  for (let i = 0; i < samples; i++) {
    const before = performance.now();
    const native = addon.nowMs();
    const after = performance.now();
    const half = (after - before) / 2;
    if (half < best.uncertaintyMs) best = { offsetMs: native - (before + half), uncertaintyMs: half };
  }
  return best;
}

