/**
 * RTP reception statistics of one source (RFC 3550 appendix A.1 sequence tracking, A.3
 * packets lost, A.8 interarrival jitter), restarted when the SSRC changes.
 */

/** Running loss and jitter figures for received RTP. */
export class ReceiveStats {
  private init = false;
  private ssrc = 0;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private received = 0;
  private lostBefore = 0;
  private lastTransit = NaN;
  private expectedPrior = 0;
  private receivedPrior = 0;
  /** Interarrival jitter, in timestamp units. */
  jitter = 0;

  /** @param clockRate RTP clock in Hz (8000 for G.711). */
  constructor(private readonly clockRate = 8000) {}

  /** Packets expected minus received (never negative), over every source seen. */
  get lost(): number {
    return this.lostBefore + this.currentLost();
  }

  /** Jitter in ms. */
  get jitterMs(): number {
    return (this.jitter * 1000) / this.clockRate;
  }

  /**
   * Accounts one valid packet.
   * @param nowMs arrival time on a monotonic clock, ms.
   * @param timed false for packets whose timestamp is not their sampling time (RFC 4733
   *   events keep the event start), which are left out of the jitter.
   */
  update(ssrc: number, seq: number, timestamp: number, nowMs: number, timed: boolean): void {
    if (!this.init || ssrc !== this.ssrc) {
      if (this.init) this.lostBefore += this.currentLost();
      this.init = true;
      this.ssrc = ssrc;
      this.baseSeq = seq;
      this.maxSeq = seq;
      this.cycles = 0;
      this.received = 1;
      this.expectedPrior = 0;
      this.receivedPrior = 0;
      this.lastTransit = NaN;
      return;
    }
    this.received++;
    const delta = (seq - this.maxSeq) & 0xffff;
    if (delta !== 0 && delta < 0x8000) {
      if (seq < this.maxSeq) this.cycles += 65536;
      this.maxSeq = seq;
    }
    if (!timed) return;
    const transit = (nowMs * this.clockRate) / 1000 - timestamp;
    if (!Number.isNaN(this.lastTransit)) {
      let d = transit - this.lastTransit;
      d -= 4294967296 * Math.round(d / 4294967296); // timestamp wrap
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  /**
   * The figures of an RTCP report block about the current source (RFC 3550 appendix A.3),
   * and the start of a new reporting interval; undefined before the first packet.
   */
  reportFigures(): { ssrc: number; fractionLost: number; cumulativeLost: number; extHighestSeq: number; jitter: number } | undefined {
    if (!this.init) return undefined;
    const extHighestSeq = this.cycles + this.maxSeq;
    const expected = extHighestSeq - this.baseSeq + 1;
    const expectedInterval = expected - this.expectedPrior;
    const lostInterval = expectedInterval - (this.received - this.receivedPrior);
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    return {
      ssrc: this.ssrc,
      fractionLost: expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval),
      cumulativeLost: expected - this.received,
      extHighestSeq: extHighestSeq >>> 0,
      jitter: this.jitter,
    };
  }

  private currentLost(): number {
    if (!this.init) return 0;
    return Math.max(0, this.cycles + this.maxSeq - this.baseSeq + 1 - this.received);
  }
}
