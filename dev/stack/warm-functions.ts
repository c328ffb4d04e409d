/**
 * Loads every function a call uses once, right after serverless-offline is up, so that the
 * first calls do not meet a cold start: serverless-offline builds a worker on a function's first
 * invocation, which on a loaded 2-core machine took longer than the function's timeout (5-6 s,
 * serverless.yml), and the media core then ended the call as on a vendor outage (BYE without
 * attributes). The outcome functions get an event that is not an outcome (they reply
 * "rejected" without calling any vendor); the Twilio webhooks an unsigned POST (403).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SERVICE, STAGE, type StackEnv } from './stack-env.ts';

/** serverless.yml functions the media core invokes by name. */
export const OUTCOME_FUNCTIONS = ['amazonConnectOutcome', 'niceCxoneOutcome'].map((f) => `${SERVICE}-${STAGE}-${f}`);
/** HTTP functions Twilio calls during a call. */
export const WEBHOOK_PATHS = ['/twilio/receive-call', '/twilio/refer-handler'];

/**
 * Invokes each function once, in parallel, each bounded to `timeoutMs`.
 * @returns the functions that did not answer (empty when all are warm); never throws.
 */
export async function warmFunctions(env: StackEnv, timeoutMs = 30_000): Promise<string[]> {
  const lambda = new LambdaClient({
    endpoint: env.urls.lambda,
    region: env.offline.AWS_REGION,
    credentials: { accessKeyId: env.offline.AWS_ACCESS_KEY_ID!, secretAccessKey: env.offline.AWS_SECRET_ACCESS_KEY! },
  });
  const cold: string[] = [];
  try {
    await Promise.all([
      ...OUTCOME_FUNCTIONS.map((FunctionName) =>
        lambda
          .send(new InvokeCommand({ FunctionName, Payload: new TextEncoder().encode('{"warmup":true}') }), { abortSignal: AbortSignal.timeout(timeoutMs) })
          .catch(() => void cold.push(FunctionName)),
      ),
      ...WEBHOOK_PATHS.map((path) =>
        fetch(`${env.urls.http}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'warmup=1', signal: AbortSignal.timeout(timeoutMs) })
          .then((r) => r.arrayBuffer())
          .catch(() => void cold.push(path)),
      ),
    ]);
  } finally {
    lambda.destroy();
  }
  return cold;
}
