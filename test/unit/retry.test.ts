import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withRetry, DeadlineExceededError } from '../../lib/retry.ts';
import { loadEnv, ConfigError } from '../../lib/env.ts';
import { redactNumber, redactKey } from '../../lib/redact.ts';
import { z } from 'zod';

test('withRetry retries retryable errors then returns the value with the attempt count', async () => {
  let n = 0;
  const r = await withRetry(async () => { if (++n < 3) throw new Error('throttled'); return 'ok'; }, {
    classify: () => ({ retry: true }), baseMs: 1, random: () => 0.5,
  });
  assert.deepEqual(r, { value: 'ok', attempts: 3 });
});

test('withRetry rethrows a non-retryable error at once', async () => {
  let n = 0;
  await assert.rejects(withRetry(async () => { n++; throw new TypeError('bad'); }, { classify: () => ({ retry: false }) }), TypeError);
  assert.equal(n, 1);
});

test('withRetry gives up with DeadlineExceededError inside the deadline', async () => {
  const t0 = Date.now();
  await assert.rejects(
    withRetry(async () => { throw new Error('503'); }, { classify: () => ({ retry: true, afterMs: 40 }), deadlineMs: 150 }),
    (e: unknown) => e instanceof DeadlineExceededError && e.attempts >= 2,
  );
  assert.ok(Date.now() - t0 < 200, 'stopped within the deadline');
});

test('loadEnv names each missing or malformed variable', () => {
  const schema = z.object({ A_URL: z.string().url(), B_TOKEN: z.string().min(1) });
  assert.throws(() => loadEnv(schema, { A_URL: 'not a url' }), (e: unknown) =>
    e instanceof ConfigError && e.variables.includes('A_URL') && e.variables.includes('B_TOKEN') && /B_TOKEN: required/.test(e.message));
  assert.deepEqual(loadEnv(schema, { A_URL: 'https://x.test/', B_TOKEN: 't' }), { A_URL: 'https://x.test/', B_TOKEN: 't' });
});

test('redaction keeps only the last two digits of a number and six characters of a key', () => {
  assert.equal(redactNumber('+15550100001'), '+*********01');
  assert.equal(redactNumber('sip:+15550100001@example.com'), 'sip:+*********01@example.com');
  assert.equal(redactKey('abcdef0123456789'), 'abcdef…');
});
