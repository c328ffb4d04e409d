/**
 * media-core/main.ts's operations settings: a bad admission threshold or metrics port stops
 * the process at start with the variable named (never a silent default).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../media-core/main.ts', import.meta.url));

for (const [name, value, message] of [
  ['ADMISSION_SPEECH_QUEUE_FRACTION', '2', /invalid configuration: ADMISSION_SPEECH_QUEUE_FRACTION: .*<=1/],
  ['ADMISSION_EVENT_LOOP_P99_MS', 'soon', /invalid configuration: ADMISSION_EVENT_LOOP_P99_MS: /],
  ['METRICS_PORT', '70000', /invalid configuration: METRICS_PORT: /],
  ['SIP_UDP_RCVBUF_BYTES', '10', /invalid configuration: SIP_UDP_RCVBUF_BYTES: .*>=65536/],
] as const) {
  test(`${name}=${value} stops the media core at start, naming the variable`, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, [name]: value, SIP_PORT: '0', STATE_TABLE: '', DYNAMODB_ENDPOINT: '', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, message);
  });
}
