/**
 * Prometheus counters of the SIP edge, on the media core's shared registry
 * (media-core/observability/metrics.ts): what was dropped or refused, by reason.
 */
import { Counter } from 'prom-client';
import { metricsRegistry } from '../observability/metrics.ts';

/**
 * Messages and connections dropped without any answer, by reason: `source` (no integration
 * and no trusted proxy allows the address, or the called number's integration does not),
 * `rate` (over a per-source token bucket: messages, out-of-dialog requests, INVITEs),
 * `malformed_rate` (a source over its budget of unparsable messages), `tls_required` (an
 * integration that accepts TLS only, reached over UDP/TCP), `connections` (TCP/TLS
 * connection caps), `header_timeout` (a message not completed within the deadline).
 */
export const sipDroppedTotal = new Counter({
  name: 'media_core_sip_dropped_total',
  help: 'SIP messages or connections dropped by the edge without an answer, by reason',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

/** Requests answered statelessly by the edge (401 challenge, 403 bad credentials), by status. */
export const sipRefusedTotal = new Counter({
  name: 'media_core_sip_refused_total',
  help: 'SIP requests refused by the edge with a stateless response, by status code',
  labelNames: ['status'] as const,
  registers: [metricsRegistry],
});
