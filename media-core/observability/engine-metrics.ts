/**
 * Metrics read at scrape time from the running engine and its neighbours (prom-client
 * `collect` callbacks, registered in ./metrics.ts): calls active, headroom figures (event-loop
 * delay, pacer lateness), the pacer's drop counters, speech queue depths, UDP receive-buffer
 * errors, and the state table's write-behind queue. Counters kept elsewhere (cumulative
 * numbers) are exposed as Prometheus counters set to their current total at each scrape.
 *
 * {@link watchEngine} points them at an engine (the process has one; tests may start several,
 * the last one watched is reported). Process metrics (CPU, RSS, heap, GC) come from
 * prom-client's default metrics with the `media_core_` prefix.
 */
import { collectDefaultMetrics, Counter, Gauge } from 'prom-client';
import { allWriteQueues } from '../../lib/store/write-queue.ts';
import '../conversation/speech/speech-metrics.ts';
import type { Uas } from '../engine/uas.ts';
import { metricsRegistry } from './metrics.ts';
import { readSocketDrops, readUdpSnmp } from './udp-drops.ts';

let engine: Uas | undefined;
let sipUdpPort: number | undefined;

/** Reports `e` from now on (its SIP UDP port for the socket's own drops). */
export function watchEngine(e: Uas): void {
  engine = e;
  sipUdpPort = e.ports.udp;
}

/** Stops reporting an engine (closed). */
export function unwatchEngine(e: Uas): void {
  if (engine === e) engine = undefined;
}

const registers = [metricsRegistry];
const secs = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? undefined : ms / 1000);

/** A counter whose value is a total kept elsewhere, read at scrape. */
function totalCounter<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => { labels?: Partial<Record<L, string>>; value: number }[] | undefined): void {
  new Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      const values = read();
      this.reset();
      for (const v of values ?? []) this.inc((v.labels ?? {}) as Partial<Record<L, string>>, v.value);
    },
  });
}

new Gauge({
  name: 'media_core_calls_active',
  help: 'Calls admitted and not yet ended',
  registers,
  collect() {
    this.set(engine?.activeCalls() ?? 0);
  },
});

new Gauge({
  name: 'media_core_draining',
  help: '1 while the media core drains (new calls refused with 503)',
  registers,
  collect() {
    this.set(engine?.admission.draining ? 1 : 0);
  },
});

new Gauge({
  name: 'media_core_event_loop_delay_p99_seconds',
  help: 'Event-loop delay p99 over the admission window',
  registers,
  collect() {
    const v = secs(engine?.headroom?.eventLoop.p99Ms());
    if (v !== undefined) this.set(v);
  },
});

new Gauge({
  name: 'media_core_rtp_pacer_lateness_p99_seconds',
  help: 'RTP send lateness p99 of the native pacer over the admission window (each packet against its due time)',
  registers,
  collect() {
    const v = secs(engine?.headroom?.pacer?.p99Ms());
    if (v !== undefined) this.set(v);
  },
});

totalCounter('media_core_rtp_pacer_dropped_total', 'Packets the native pacer dropped, by reason (rx_ring_full, rx_oversize, tx_ring_full, tx_error, tx_stale)', ['reason'] as const, () => {
  const c = engine?.pacerCounters();
  if (!c) return undefined;
  return [
    { labels: { reason: 'rx_ring_full' }, value: c.rxDropped },
    { labels: { reason: 'rx_oversize' }, value: c.rxOversize },
    { labels: { reason: 'tx_ring_full' }, value: c.txOverflow },
    { labels: { reason: 'tx_error' }, value: c.txErrors },
    { labels: { reason: 'tx_stale' }, value: c.txStale },
  ];
});

// The speech queue gauges (depth, bound) are defined with the queues, in
// conversation/speech/speech-metrics.ts, imported above so /metrics always has them.

totalCounter('media_core_udp_rcvbuf_errors_total', 'UDP datagrams dropped for a full receive buffer, every socket of the network namespace (/proc/net/snmp RcvbufErrors)', [] as const, () => {
  const s = readUdpSnmp();
  return s ? [{ value: s.rcvbufErrors }] : undefined;
});

totalCounter('media_core_sip_udp_socket_drops_total', 'Datagrams the kernel dropped on the SIP UDP socket (/proc/net/udp drops)', [] as const, () => {
  const d = sipUdpPort !== undefined ? readSocketDrops(sipUdpPort) : undefined;
  return d === undefined ? undefined : [{ value: d }];
});

new Gauge({
  name: 'media_core_state_writes_queued',
  help: 'State-table writes waiting in the write-behind queue',
  registers,
  collect() {
    this.set(allWriteQueues().reduce((n, q) => n + q.stats().queued, 0));
  },
});

new Gauge({
  name: 'media_core_state_writes_failing',
  help: '1 while state-table writes keep failing (an outage; they are retried)',
  registers,
  collect() {
    this.set(allWriteQueues().some((q) => q.stats().failingSince !== undefined) ? 1 : 0);
  },
});

totalCounter('media_core_state_writes_total', 'State-table writes done', [] as const, () => [{ value: allWriteQueues().reduce((n, q) => n + q.stats().written, 0) }]);
totalCounter('media_core_state_writes_retried_total', 'State-table write attempts that failed and were retried', [] as const, () => [{ value: allWriteQueues().reduce((n, q) => n + q.stats().retried, 0) }]);
const lostBy = (field: 'lost' | 'lostByReason', label: string) => () => {
  const sum = new Map<string, number>();
  for (const q of allWriteQueues()) for (const [k, v] of Object.entries(q.stats()[field])) sum.set(k, (sum.get(k) ?? 0) + v);
  return [...sum].map(([k, value]) => ({ labels: { [label]: k }, value }));
};
totalCounter('media_core_state_writes_lost_total', 'State-table writes given up, by family (session, mau, contact)', ['family'] as const, lostBy('lost', 'family'));
totalCounter('media_core_state_writes_lost_by_reason_total', 'State-table writes given up, by reason (overflow, expired, rejected, closed)', ['reason'] as const, lostBy('lostByReason', 'reason'));

// Once per registry: a second call (another module doing the same) would throw on the duplicate names.
if (!metricsRegistry.getSingleMetric('media_core_process_cpu_seconds_total')) collectDefaultMetrics({ register: metricsRegistry, prefix: 'media_core_' });
