/**
 * Prometheus metrics of the speech queues (prom-client, the media core's one registry):
 *
 * - `media_core_speech_queue_depth{queue}`: requests waiting for a decoder or synthesis slot
 *   (read from the probes registered in ./speech-load.ts at scrape time);
 * - `media_core_speech_queue_bound{queue}`: waiting requests the queue accepts before it refuses;
 * - `media_core_speech_requests_total{queue,outcome}`: requests by outcome (ok, error,
 *   queue_full, deadline);
 * - `media_core_speech_service_seconds{queue}`: time from enqueue to result (wait + work);
 * - `media_core_stt_out_of_grammar_total`: grammar hypotheses refused because the phrase
 *   spanned too little of the utterance (no-match turns; ./stt-pocketsphinx.ts).
 *
 * Names follow https://prometheus.io/docs/practices/naming/.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../../observability/metrics.ts';
import { speechQueueLoads } from './speech-load.ts';

new Gauge({
  name: 'media_core_speech_queue_depth',
  help: 'Speech requests waiting for a decoder or synthesis slot',
  labelNames: ['queue'],
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const [queue, l] of Object.entries(speechQueueLoads())) this.set({ queue }, l.depth);
  },
});

new Gauge({
  name: 'media_core_speech_queue_bound',
  help: 'Waiting speech requests a queue accepts before it refuses',
  labelNames: ['queue'],
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const [queue, l] of Object.entries(speechQueueLoads())) this.set({ queue }, l.bound);
  },
});

export const speechRequests = new Counter({
  name: 'media_core_speech_requests_total',
  help: 'Speech requests by queue and outcome (ok, error, queue_full, deadline)',
  labelNames: ['queue', 'outcome'],
  registers: [metricsRegistry],
});

export const sttOutOfGrammar = new Counter({
  name: 'media_core_stt_out_of_grammar_total',
  help: 'Grammar hypotheses refused as a misrecognition or speech outside the grammar (no-match turns)',
  registers: [metricsRegistry],
});

export const speechServiceSeconds = new Histogram({
  name: 'media_core_speech_service_seconds',
  help: 'Time from enqueue to result of a speech request, seconds',
  labelNames: ['queue'],
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
  registers: [metricsRegistry],
});

export const ttsFallbackPrompts = new Counter({
  name: 'media_core_tts_fallback_prompts_total',
  help: 'Prompts replaced by the fallback prompt after text to speech failed twice',
  registers: [metricsRegistry],
});
