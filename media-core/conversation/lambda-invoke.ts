/**
 * Invokes an adapter function with an outcome (AWS Lambda Invoke, RequestResponse) and
 * returns its {@link AdapterReply}. Locally the endpoint is serverless-offline's Lambda
 * port on 127.0.0.1 (LAMBDA_ENDPOINT); the same SDK call reaches AWS in production.
 * (docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)
 *
 * Retries inside the outcome's deadline (`timeoutMs`, waits included; backoff with full
 * jitter, lib/retry.ts), always with the same event, so the same outcomeId: the adapter's
 * idempotency record (lib/store/idempotency.ts) makes a repeated invocation a duplicate, never
 * a second vendor request. Retried: throttling (TooManyRequestsException, HTTP 429, honouring
 * its Retry-After), Lambda service errors (HTTP 5xx from the Invoke API itself) and transport
 * errors (no HTTP answer: refused, reset). Not retried: a FunctionError (the adapter failed;
 * its reply says why), a malformed reply, and the deadline itself.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { AdapterReply, type OutcomeEvent } from '../../events/outcome.ts';
import { withRetry, type RetryDecision } from '../../lib/retry.ts';

/** Sends an outcome to a function and resolves with its reply. @throws Error on transport failure, FunctionError, timeout or a malformed reply. */
export type OutcomeInvoker = (functionName: string, event: OutcomeEvent) => Promise<AdapterReply>;

export interface LambdaInvokerOptions {
  endpoint?: string;
  region: string;
  /** The outcome's deadline: every attempt and wait fit in it, ms. */
  timeoutMs: number;
  /** Random source in [0,1) for the backoff jitter (tests). */
  random?: () => number;
  /** Told before each retry (logging). */
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
}

const THROTTLED = new Set(['TooManyRequestsException', 'EC2ThrottledException', 'ThrottlingException', 'ServiceException', 'ResourceNotReadyException']);
const TRANSPORT = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** Thrown for a reply the media core must not retry (FunctionError, malformed reply). */
export class AdapterReplyError extends Error {
  override name = 'AdapterReplyError';
}

/** Retry decision for an error of the Invoke call (exported for tests). */
export function classifyInvokeError(err: unknown): RetryDecision {
  if (err instanceof AdapterReplyError) return { retry: false };
  const e = err as { name?: string; code?: string; message?: string; retryAfterSeconds?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  if ((e?.name && THROTTLED.has(e.name)) || status === 429 || (status !== undefined && status >= 500)) {
    const after = Number(e?.retryAfterSeconds);
    return { retry: true, afterMs: Number.isFinite(after) && after > 0 ? after * 1000 : undefined };
  }
  if (status !== undefined) return { retry: false };
  // The SDK names a reset socket TimeoutError with code ECONNRESET: the code decides.
  if (e?.code && TRANSPORT.has(e.code)) return { retry: true };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return { retry: false };
  return { retry: /ECONNRESET|ECONNREFUSED|socket hang up|EPIPE/.test(e?.message ?? '') };
}

export function createLambdaInvoker(o: LambdaInvokerOptions): OutcomeInvoker {
  const local = o.endpoint && /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(o.endpoint);
  const client = new LambdaClient({
    region: o.region,
    endpoint: o.endpoint,
    // Retries are ours (below), inside the outcome deadline.
    maxAttempts: 1,
    // serverless-offline ignores credentials, the SDK still wants some.
    ...(local && !process.env.AWS_ACCESS_KEY_ID ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return async (functionName, event) => {
    const payload = new TextEncoder().encode(JSON.stringify(event));
    const { value } = await withRetry(
      async (_attempt, remainingMs) => {
        const r = await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: payload }), {
          abortSignal: AbortSignal.timeout(Math.max(1, remainingMs)),
        });
        const text = r.Payload ? new TextDecoder().decode(r.Payload) : '';
        if (r.FunctionError) throw new AdapterReplyError(`adapter function ${functionName} failed: ${r.FunctionError} ${text.slice(0, 200)}`);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new AdapterReplyError(`adapter function ${functionName} replied with non-JSON`);
        }
        const parsed = AdapterReply.safeParse(body);
        if (!parsed.success) throw new AdapterReplyError(`adapter function ${functionName} reply is malformed: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
        return parsed.data;
      },
      { deadlineMs: o.timeoutMs, classify: classifyInvokeError, random: o.random, onRetry: o.onRetry, baseMs: 100, maxMs: 1000 },
    );
    return value;
  };
}
