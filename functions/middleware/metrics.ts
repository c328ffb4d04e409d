/**
 * CloudWatch metrics for every function, in Embedded Metric Format through Powertools for AWS
 * Lambda (https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/): one middy
 * middleware that counts each invocation's result and flushes once per invocation (Powertools'
 * logMetrics, with the ColdStart metric). Lambda's own metrics already give invocations, errors
 * and duration; these add what the function's answer means:
 *
 * | metric (Count)                     | when |
 * |------------------------------------|------|
 * | `Http2xx` / `Http4xx` / `Http5xx`  | an HTTP function answered that class (403 = forged webhook) |
 * | `OutcomeApplied` / `OutcomeRejected` | an outcome function's AdapterReply (reason in metadata) |
 * | `Errors`                           | the handler threw |
 *
 * Namespace `OpenPhoneIntegration` (POWERTOOLS_METRICS_NAMESPACE overrides), dimensions
 * `service` and `function`. Under serverless-offline (IS_OFFLINE) metrics are off unless
 * POWERTOOLS_METRICS_DISABLED says otherwise, so local logs stay readable.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type middy from '@middy/core';

/** Where the middleware leaves its record-and-flush step for {@link respondEarly}. */
const CLEANUP = 'openPhoneIntegrationMetrics';

/**
 * For middlewares that answer early (a `before` returning a response skips every `after` in
 * middy): records and flushes the metrics for `response`, then returns it, so
 * `return respondEarly(request, response)` replaces `return response`.
 */
export async function respondEarly<R>(request: { internal: Record<string, unknown>; response?: unknown }, response: R): Promise<R> {
  const cleanup = request.internal?.[CLEANUP];
  if (typeof cleanup === 'function') await (cleanup as (r: unknown) => Promise<void>)(response);
  return response;
}

/** The CloudWatch namespace of the project's metrics. */
export const METRICS_NAMESPACE = 'OpenPhoneIntegration';

/** A function's Metrics instance (handlers may add their own metrics) and its middleware. */
export interface FunctionMetrics {
  metrics: Metrics;
  middleware: middy.MiddlewareObj;
}

/** What the middleware records for a handler's result (exported for tests). */
export function resultMetrics(result: unknown): { name: string; metadata?: Record<string, string> }[] {
  const r = result as { statusCode?: unknown; status?: unknown; reason?: unknown } | undefined;
  if (r && typeof r.statusCode === 'number') return [{ name: `Http${Math.floor(r.statusCode / 100)}xx` }];
  if (r && r.status === 'applied') return [{ name: 'OutcomeApplied' }];
  if (r && r.status === 'rejected') return [{ name: 'OutcomeRejected', metadata: typeof r.reason === 'string' ? { reason: r.reason } : undefined }];
  return [];
}

/**
 * The middleware for function `name` (e.g. "twilio.receive-call"). Use it first in the chain
 * (`.use(functionMetrics(name).middleware)`): its `after` then runs last and sees the final
 * answer, error responses included.
 */
export function functionMetrics(name: string): FunctionMetrics {
  // Powertools reads POWERTOOLS_METRICS_DISABLED when the instance is built; offline it defaults to on.
  if (process.env.IS_OFFLINE === 'true' && process.env.POWERTOOLS_METRICS_DISABLED === undefined) process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE, serviceName: 'open-phone-integration', defaultDimensions: { function: name } });
  const flush = logMetrics(metrics, { captureColdStartMetric: true }) as middy.MiddlewareObj;
  const record = (result: unknown) => {
    for (const m of resultMetrics(result)) {
      for (const [k, v] of Object.entries(m.metadata ?? {})) metrics.addMetadata(k, v);
      metrics.addMetric(m.name, MetricUnit.Count, 1);
    }
  };
  return {
    metrics,
    middleware: {
      before: async (request) => {
        await flush.before?.(request);
        request.internal = { ...request.internal, [CLEANUP]: async (response: unknown) => {
          record(response);
          await flush.after?.(request);
        } };
      },
      after: async (request) => {
        record(request.response);
        await flush.after?.(request);
      },
      onError: async (request) => {
        if (request.response === undefined) metrics.addMetric('Errors', MetricUnit.Count, 1);
        else record(request.response);
        await flush.onError?.(request);
      },
    },
  };
}
