/**
 * Invokes an adapter function with an outcome (AWS Lambda Invoke, RequestResponse) and
 * returns its {@link AdapterReply}. Locally the endpoint is serverless-offline's Lambda
 * port on 127.0.0.1 (LAMBDA_ENDPOINT); the same SDK call reaches AWS in production.
 * (docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { AdapterReply, type OutcomeEvent } from '../../events/outcome.ts';

/** Sends an outcome to a function and resolves with its reply. @throws Error on transport failure, FunctionError, timeout or a malformed reply. */
export type OutcomeInvoker = (functionName: string, event: OutcomeEvent) => Promise<AdapterReply>;

export interface LambdaInvokerOptions {
  endpoint?: string;
  region: string;
  timeoutMs: number;
}

export function createLambdaInvoker(o: LambdaInvokerOptions): OutcomeInvoker {
  const local = o.endpoint && /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(o.endpoint);
  const client = new LambdaClient({
    region: o.region,
    endpoint: o.endpoint,
    maxAttempts: 1,
    // serverless-offline ignores credentials, the SDK still wants some.
    ...(local && !process.env.AWS_ACCESS_KEY_ID ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return async (functionName, event) => {
    const r = await client.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(event)) }),
      { abortSignal: AbortSignal.timeout(o.timeoutMs) },
    );
    const text = r.Payload ? new TextDecoder().decode(r.Payload) : '';
    if (r.FunctionError) throw new Error(`adapter function ${functionName} failed: ${r.FunctionError} ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`adapter function ${functionName} replied with non-JSON`);
    }
    const parsed = AdapterReply.safeParse(body);
    if (!parsed.success) throw new Error(`adapter function ${functionName} reply is malformed: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    return parsed.data;
  };
}
