/**
 * The functions' CloudWatch metrics middleware (functions/middleware/metrics.ts): each
 * invocation flushes one Embedded Metric Format record (Powertools) with the answer's metric,
 * on the real handlers: a forged Twilio webhook counts Http4xx, an outcome reply counts
 * OutcomeApplied / OutcomeRejected, a throw counts Errors.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import middy from '@middy/core';
import { createReceiveCallHandler } from '../../functions/twilio/receive-call.ts';
import { twilioWebhookEvent, voiceParams, SAMPLE_PUBLIC_BASE_URL } from '../../events/twilio/webhook-event.ts';
import { functionMetrics, METRICS_NAMESPACE, resultMetrics } from '../../functions/middleware/metrics.ts';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [k: string]: unknown;
}

/** Runs `fn` and returns the EMF records written to stdout meanwhile. */
async function emfDuring(fn: () => Promise<unknown>): Promise<Emf[]> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    if (s.includes('"_aws"')) lines.push(...s.split('\n').filter((l) => l.includes('"_aws"')));
    else return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return lines.map((l) => JSON.parse(l) as Emf);
}
const names = (records: Emf[]) => records.flatMap((r) => r._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name)));

describe('functions emit CloudWatch metrics (EMF)', () => {
  test('a forged Twilio webhook: one record with Http4xx, namespace and function dimension', async () => {
    const h = createReceiveCallHandler({ env: { PUBLIC_BASE_URL: SAMPLE_PUBLIC_BASE_URL, MEDIA_CORE_SIP_HOST: 'media.example.com', TWILIO_AUTH_TOKEN: `fake-${randomBytes(8).toString('hex')}` } });
    let status = 0;
    const recs = await emfDuring(async () => {
      status = (await h(twilioWebhookEvent({ path: '/twilio/receive-call', params: voiceParams(), authToken: `fake-${randomBytes(8).toString('hex')}` }), {} as Context)).statusCode ?? 0;
    });
    assert.equal(status, 403);
    assert.ok(names(recs).includes('Http4xx'), JSON.stringify(recs));
    const main = recs.find((r) => names([r]).includes('Http4xx'))!;
    assert.equal(main._aws.CloudWatchMetrics[0]!.Namespace, METRICS_NAMESPACE);
    assert.equal(main.function, 'twilio.receive-call');
  });

  test('outcome replies and throws', async () => {
    const { middleware } = functionMetrics('test.outcome');
    let mode: 'applied' | 'rejected' | 'throw' = 'applied';
    const h = middy<unknown, unknown>()
      .use(middleware)
      .handler(async () => {
        if (mode === 'throw') throw new Error('boom');
        return { status: mode, reason: 'vendor_rejected' };
      });
    assert.ok(names(await emfDuring(() => h({}, {} as Context))).includes('OutcomeApplied'));
    mode = 'rejected';
    const rej = await emfDuring(() => h({}, {} as Context));
    assert.ok(names(rej).includes('OutcomeRejected'));
    assert.equal(rej.find((r) => names([r]).includes('OutcomeRejected'))!.reason, 'vendor_rejected');
    mode = 'throw';
    const thrown = await emfDuring(() => h({}, {} as Context).catch(() => undefined));
    assert.ok(names(thrown).includes('Errors'));
    assert.deepEqual(resultMetrics({ statusCode: 503 }), [{ name: 'Http5xx' }]);
  });
});
