/**
 * infra/grafana/media-core-dashboard.json: valid JSON whose panels query only metrics the
 * media core registers (media-core/observability/), so a renamed metric breaks this test
 * rather than a dashboard panel in production.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { metricsRegistry } from '../../media-core/observability/metrics.ts';
import '../../media-core/observability/engine-metrics.ts';
import '../../media-core/observability/call-metrics.ts';

test('every metric a panel queries is registered', async () => {
  const dash = JSON.parse(readFileSync(new URL('../../infra/grafana/media-core-dashboard.json', import.meta.url), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  assert.ok(dash.panels.length >= 10);
  const registered = new Set((await metricsRegistry.getMetricsAsJSON()).map((m) => m.name));
  const used = new Set<string>();
  for (const p of dash.panels) {
    for (const t of p.targets) {
      // Regex selectors on __name__ (the SIP edge's counters) are matched by pattern, not by name.
      const expr = t.expr.replace(/\{__name__=~"[^"]*"[^}]*\}/g, '');
      for (const m of expr.match(/\bmedia_core_[a-z0-9_]+/g) ?? []) used.add(m.replace(/_(bucket|sum|count)$/, ''));
    }
  }
  const missing = [...used].filter((m) => !registered.has(m));
  assert.deepEqual(missing, [], `panels query unregistered metrics: ${missing.join(', ')}`);
  for (const m of ['media_core_calls_active', 'media_core_calls_refused_total', 'media_core_outcomes_total', 'media_core_turn_latency_seconds', 'media_core_speech_queue_depth', 'media_core_rtp_pacer_lateness_p99_seconds', 'media_core_udp_rcvbuf_errors_total', 'media_core_state_writes_lost_total']) {
    assert.ok(used.has(m), `the dashboard shows ${m}`);
  }
});
