/**
 * The media plane's Prometheus metrics (prom-client), on the media core's one registry
 * (media-core/observability/metrics.ts). Names follow https://prometheus.io/docs/practices/naming/.
 *
 * - media_core_rtp_packets_dropped_total{reason}: received datagrams dropped, by reason:
 *   `malformed` (not RTP version 2), `payload_type` (not negotiated), `srtp` (authentication
 *   or replay failure, RFC 3711), `source` (not the call's source: strict latching).
 * - media_core_rtp_sources_learned_total: sources learned by latching (symmetric RTP).
 * - media_core_rtp_timeouts_total: calls that reported RTP inactivity.
 * - media_core_rtcp_peer_jitter_seconds, media_core_rtcp_peer_fraction_lost,
 *   media_core_rtcp_rtt_seconds: what peers' RTCP reports say about our streams (RFC 3550
 *   section 6.4: interarrival jitter, fraction lost) and the round-trip time from LSR/DLSR.
 * - media_core_rtp_pacing_seconds{thread,quantile}: pacing lateness of the process's RTP
 *   carrier since its last reset (native pacer: each packet against its due time; main:
 *   scheduler wake-ups), read when scraped.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../observability/metrics.ts';
import type { RtpCarrier } from './carrier.ts';

/** Why a received datagram was dropped. */
export type RtpDropReason = 'malformed' | 'payload_type' | 'srtp' | 'source';

const dropped = new Counter({
  name: 'media_core_rtp_packets_dropped_total',
  help: 'Received RTP datagrams dropped, by reason (malformed, payload_type, srtp, source: not the call\'s source under strict latching)',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

/** Pre-bound children: the receive path increments without building label sets. */
export const rtpDropped: Record<RtpDropReason, { inc(): void }> = {
  malformed: dropped.labels('malformed'),
  payload_type: dropped.labels('payload_type'),
  srtp: dropped.labels('srtp'),
  source: dropped.labels('source'),
};

/** Sources learned by strict latching. */
export const rtpSourcesLearned = new Counter({
  name: 'media_core_rtp_sources_learned_total',
  help: 'RTP sources learned by strict latching (symmetric RTP towards a NATed peer)',
  registers: [metricsRegistry],
});

/** Calls that reported RTP inactivity. */
export const rtpTimeouts = new Counter({
  name: 'media_core_rtp_timeouts_total',
  help: 'Calls ended or flagged for RTP inactivity (no RTP, RTCP or comfort noise within the timeout)',
  registers: [metricsRegistry],
});

/** Jitter peers measured on our streams (RTCP report blocks). */
export const rtcpPeerJitter = new Histogram({
  name: 'media_core_rtcp_peer_jitter_seconds',
  help: 'Interarrival jitter of our RTP as reported by peers in RTCP (RFC 3550 section 6.4.1)',
  buckets: [0.001, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16],
  registers: [metricsRegistry],
});

/** Fraction of our packets peers lost in a reporting interval (0-1). */
export const rtcpPeerFractionLost = new Histogram({
  name: 'media_core_rtcp_peer_fraction_lost',
  help: 'Fraction of our RTP packets lost per RTCP reporting interval, as reported by peers',
  buckets: [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
  registers: [metricsRegistry],
});

/** Round-trip time from RTCP LSR/DLSR. */
export const rtcpRtt = new Histogram({
  name: 'media_core_rtcp_rtt_seconds',
  help: 'Round-trip time to peers from RTCP LSR/DLSR (RFC 3550 section 6.4.1)',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8],
  registers: [metricsRegistry],
});

const carriers = new Set<RtpCarrier>();

new Gauge({
  name: 'media_core_rtp_pacing_seconds',
  help: 'RTP pacing lateness since the last reset: rtp-pacer = each packet against its due time, main = scheduler wake-ups',
  labelNames: ['thread', 'quantile'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const c of carriers) {
      for (const s of c.pacingStats()) {
        if (!s.ticks) continue;
        this.set({ thread: s.thread, quantile: '0.5' }, s.p50Ms / 1000);
        this.set({ thread: s.thread, quantile: '0.99' }, s.p99Ms / 1000);
        this.set({ thread: s.thread, quantile: '1' }, s.maxMs / 1000);
      }
    }
  },
});

/** Reports `carrier`'s pacing on scrapes until it closes (call the returned function then). */
export function trackCarrierPacing(carrier: RtpCarrier): () => void {
  carriers.add(carrier);
  return () => carriers.delete(carrier);
}
