/**
 * The media core's one Prometheus registry (prom-client). Each subsystem defines its own
 * metrics in its own file and registers them here, so `/metrics` serves them all and tests
 * can read a metric's value without a server.
 *
 * Naming follows Prometheus conventions (https://prometheus.io/docs/practices/naming/):
 * prefix `media_core_`, base units (seconds, bytes), `_total` for counters.
 */
import { Registry } from 'prom-client';

/** The registry every media-core metric registers with (`registers: [metricsRegistry]`). */
export const metricsRegistry = new Registry();
