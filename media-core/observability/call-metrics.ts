/**
 * Call metrics counted where they happen (prom-client, registered in ./metrics.ts): admission
 * decisions, outcomes by vendor and result, turn latency. Names follow
 * https://prometheus.io/docs/practices/naming/ (base units, `_total` counters).
 */
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from './metrics.ts';

/** INVITEs admitted (handed to the runtime). */
export const callsAdmitted = new Counter({
  name: 'media_core_calls_admitted_total',
  help: 'New calls admitted',
  registers: [metricsRegistry],
});

/** INVITEs refused at admission, by cause (plan_limit, draining, event_loop_delay, speech_queue, pacer_late, ...) and SIP status. */
export const callsRefused = new Counter({
  name: 'media_core_calls_refused_total',
  help: 'New calls refused at admission, by cause and SIP status (486 service full, 503 no headroom or draining)',
  labelNames: ['cause', 'status'] as const,
  registers: [metricsRegistry],
});

/** Conversation outcomes: kind transfer|hangup|error, result transferred|failed|ended|sent. */
export const outcomes = new Counter({
  name: 'media_core_outcomes_total',
  help: 'Conversation outcomes by contact-center vendor, kind (transfer, hangup, error) and result',
  labelNames: ['vendor', 'kind', 'result'] as const,
  registers: [metricsRegistry],
});

/**
 * Turn latency, seconds: from the caller's last voiced frame (input speech: the VAD hangover
 * and the recognition are included) or last DTMF digit (input dtmf) to the start of the
 * answer's playback.
 */
export const turnLatency = new Histogram({
  name: 'media_core_turn_latency_seconds',
  help: "From the caller's last voiced frame or digit to the start of the answer's playback",
  labelNames: ['input'] as const,
  buckets: [0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1, 1.25, 1.5, 2, 3, 5, 10],
  registers: [metricsRegistry],
});
