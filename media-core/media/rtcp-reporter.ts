/**
 * A call's RTCP reports (RFC 3550 section 6.4): every ~5 s (randomized 0.5-1.5 times the
 * interval, section 6.3.1) an SR while we send RTP (else an RR) with one report block about the
 * source we receive (loss and jitter, appendix A.3 and A.8), plus our CNAME; and the peer's
 * reports read back: its view of our stream (fraction lost, jitter) and the round-trip time
 * from LSR/DLSR (section 6.4.1). Sent on the RTP port + 1 to the peer's RTP port + 1, or back
 * to where the peer's RTCP came from (symmetric RTCP, as for RTP behind NAT).
 * On SRTP calls the reports go out as SRTCP (RFC 3711 section 3.4, the session's `protect`):
 * plain RTCP there would leak what SRTP protects.
 */
import type { RtpSocket } from './rtp-socket.ts';
import { performance } from 'node:perf_hooks';
import { buildRtcpReport, ntpMiddle, parseRtcp, type ReportBlock, type SenderInfo } from './rtcp.ts';
import { rtcpPeerFractionLost, rtcpPeerJitter, rtcpRtt } from './metrics.ts';

/** What the reporter reads from its session. */
export interface RtcpReportSource {
  readonly ssrc: number;
  /** RTP packets and payload octets sent so far, and the RTP timestamp of now. */
  sent(): { packets: number; octets: number; rtpTimestampNow: number };
  /** RFC 3550 A.3 figures of the source we receive (starts a new interval), if any. */
  receiveFigures(): Omit<ReportBlock, 'lsr' | 'dlsr'> | undefined;
  /** The peer's RTP address and port, if known. */
  rtpDestination(): { address: string; port: number } | undefined;
  /** The packet as sent: SRTCP on an SRTP call, undefined when it cannot be protected. Default: as built. */
  protect?(rtcp: Buffer): Buffer | undefined;
}

/** What the peer told us about our stream. */
export interface PeerReport {
  fractionLost: number;
  cumulativeLost: number;
  /** Jitter the peer measured on our stream, ms (8 kHz clock). */
  jitterMs: number;
  /** Round-trip time from LSR/DLSR, ms; undefined until the peer echoed one of our SRs. */
  rttMs?: number;
}

/** Sends and reads one call's RTCP. */
export class RtcpReporter {
  reportsSent = 0;
  reportsReceived = 0;
  /** The peer's latest report block about our SSRC. */
  peer: PeerReport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastPacketsSent = 0;
  private lastSr: { lsr: number; at: number } | undefined;
  private rtcpSource: { address: string; port: number } | undefined;

  /** @param intervalMs mean report interval (RFC 3550 minimum 5000). */
  constructor(
    private readonly socket: RtpSocket,
    private readonly source: RtcpReportSource,
    private readonly cname: string,
    private readonly intervalMs = 5000,
  ) {
    this.schedule();
  }

  /** A compound packet from the call's source (the session checked the address). */
  onPacket(msg: Buffer, rinfo: { address: string; port: number }): void {
    const r = parseRtcp(msg);
    if (!r) return;
    this.reportsReceived++;
    this.rtcpSource = { address: rinfo.address, port: rinfo.port };
    if (r.sr) this.lastSr = { lsr: r.sr.lsr, at: performance.now() };
    const mine = r.blocks.find((b) => b.ssrc === this.source.ssrc);
    if (!mine) return;
    let rttMs: number | undefined;
    if (mine.lsr !== 0) {
      const units = ((ntpMiddle(Date.now()) - mine.lsr - mine.dlsr) >>> 0);
      if (units < 0x80000000) rttMs = (units * 1000) / 65536;
    }
    rtcpPeerJitter.observe(mine.jitter / 8000);
    rtcpPeerFractionLost.observe(mine.fractionLost / 256);
    if (rttMs !== undefined) rtcpRtt.observe(rttMs / 1000);
    this.peer = { fractionLost: mine.fractionLost, cumulativeLost: mine.cumulativeLost, jitterMs: mine.jitter / 8, ...(rttMs !== undefined ? { rttMs } : this.peer?.rttMs !== undefined ? { rttMs: this.peer.rttMs } : {}) };
  }

  /** Sends one report now (also on the timer). */
  report(): void {
    const dest = this.rtcpSource ?? ((d) => (d ? { address: d.address, port: d.port + 1 } : undefined))(this.source.rtpDestination());
    if (!dest || dest.port > 65535) return;
    const sent = this.source.sent();
    const sender: SenderInfo | undefined = sent.packets > this.lastPacketsSent ? { wallMs: Date.now(), rtpTimestamp: sent.rtpTimestampNow, packets: sent.packets, octets: sent.octets } : undefined;
    this.lastPacketsSent = sent.packets;
    const figures = this.source.receiveFigures();
    const sr = this.lastSr;
    const block = figures && { ...figures, lsr: sr?.lsr ?? 0, dlsr: sr ? Math.floor(((performance.now() - sr.at) / 1000) * 65536) : 0 };
    const built = buildRtcpReport(this.source.ssrc, sender, block, this.cname);
    const packet = this.source.protect ? this.source.protect(built) : built;
    if (!packet) return;
    this.socket.send(packet, 0, packet.length, dest.port, dest.address);
    this.reportsSent++;
  }

  /** Stops reporting. Idempotent. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      try {
        this.report();
      } catch {
        // A send on a closing socket: the call is ending anyway.
      }
      this.schedule();
    }, this.intervalMs * (0.5 + Math.random()));
    this.timer.unref();
  }
}
