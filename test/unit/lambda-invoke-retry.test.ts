/**
 * The media core's Lambda Invoke (media-core/conversation/lambda-invoke.ts) retries throttling
 * and transport errors with the same outcome id, inside the outcome deadline, and never
 * retries a FunctionError. A local stand-in of the Invoke REST API
 * (POST /2015-03-31/functions/{name}/invocations) plays each failure in turn.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { classifyInvokeError, createLambdaInvoker } from '../../media-core/conversation/lambda-invoke.ts';
import type { OutcomeEvent } from '../../events/outcome.ts';

type Step = 'throttle' | 'reset' | 'error503' | 'function-error' | 'ok';
let script: Step[] = [];
const seen: string[] = [];
let server: Server;
let url = '';

before(async () => {
  server = createServer((req, res) => {
    let s = '';
    req.on('data', (d) => (s += d));
    req.on('end', () => {
      const body = JSON.parse(s) as OutcomeEvent;
      seen.push(body.outcomeId);
      const step = script.shift() ?? 'ok';
      if (step === 'reset') return req.socket.destroy();
      if (step === 'throttle') return res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'TooManyRequestsException' }).end(JSON.stringify({ message: 'Rate exceeded', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }));
      if (step === 'error503') return res.writeHead(503, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'ServiceException' }).end(JSON.stringify({ message: 'unavailable' }));
      if (step === 'function-error') return res.writeHead(200, { 'x-amz-function-error': 'Unhandled' }).end(JSON.stringify({ errorMessage: 'boom' }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'applied', outcomeId: body.outcomeId, vendor: body.vendor, duplicate: seen.length > 1, attempts: 1 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  script = [];
  seen.length = 0;
});

const event = (): OutcomeEvent => ({ version: 1, outcomeId: randomUUID(), sipCallId: 'c@127.0.0.1', vendor: 'nice_cxone', kind: 'hangup', customData: {}, occurredAt: new Date().toISOString(), niceCxone: { ContactId: '123' } });

test('throttling, a reset connection and a 503 are retried with the same outcome id', async () => {
  script = ['throttle', 'reset', 'error503', 'ok'];
  const retries: number[] = [];
  const invoke = createLambdaInvoker({ endpoint: url, region: 'us-east-1', timeoutMs: 5000, random: () => 0.5, onRetry: (_e, n) => retries.push(n) });
  const e = event();
  const reply = await invoke('fn', e);
  assert.equal(reply.status, 'applied');
  assert.equal(seen.length, 4);
  assert.ok(seen.every((id) => id === e.outcomeId), 'one outcome id for every attempt');
  assert.deepEqual(retries, [1, 2, 3]);
});

test('a FunctionError is not retried', async () => {
  script = ['function-error', 'ok'];
  const invoke = createLambdaInvoker({ endpoint: url, region: 'us-east-1', timeoutMs: 3000 });
  await assert.rejects(invoke('fn', event()), /failed: Unhandled/);
  assert.equal(seen.length, 1);
});

test('retries stop at the outcome deadline', async () => {
  script = Array<Step>(100).fill('throttle');
  const invoke = createLambdaInvoker({ endpoint: url, region: 'us-east-1', timeoutMs: 600 });
  const t0 = Date.now();
  await assert.rejects(invoke('fn', event()), /deadline exceeded/);
  assert.ok(Date.now() - t0 < 1500, `gave up in ${Date.now() - t0} ms`);
  assert.ok(seen.length >= 2 && seen.length < 100, `${seen.length} attempts`);
});

test('classification', () => {
  assert.equal(classifyInvokeError({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 }, retryAfterSeconds: '1' }).afterMs, 1000);
  assert.equal(classifyInvokeError({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } }).retry, false);
  assert.equal(classifyInvokeError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).retry, true);
  assert.equal(classifyInvokeError(Object.assign(new Error('aborted'), { name: 'TimeoutError' })).retry, false);
});
