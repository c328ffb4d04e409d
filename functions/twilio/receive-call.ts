/**
 * Twilio voice webhook (POST, form-encoded): verifies X-Twilio-Signature, then answers
 * `<Dial answerOnBridge="true" referUrl><Sip>sip:{Called}@{media core};secure=true</Sip></Dial>`.
 * Forged or unsigned: 403. Bad Called or over-long SIP URI: 400. Seed 001 (receive-call).
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { formBody } from '../middleware/form-body.ts';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadReceiveCallConfig, type ReceiveCallConfig } from '../../adapters/twilio/config.ts';
import { resolveAuthToken, type ParameterFetcher } from '../../adapters/twilio/auth-token.ts';
import { receiveCallTwiml } from '../../adapters/twilio/webhooks.ts';
import { createJsonLog } from '../middleware/json-log.ts';
import { redactNumber } from '../../lib/redact.ts';
import { configOnce, type ConfigContext } from '../middleware/config-once.ts';
import { twilioSignature } from '../middleware/twilio-signature.ts';
import { httpErrorResponse } from '../middleware/http-error-response.ts';
import { twimlResponse } from '../middleware/twiml-response.ts';

type Settings = ReceiveCallConfig & { token: string };

/** Dependencies a test may replace; defaults read process.env and SSM. */
export interface ReceiveCallDeps {
  env?: Record<string, string | undefined>;
  fetchParameter?: ParameterFetcher;
}

/** Builds the handler; `handler` below is the deployed instance. */
export function createReceiveCallHandler(deps: ReceiveCallDeps = {}) {
  const log = createJsonLog('twilio.receive-call');
  const wrapped = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, ConfigContext<Settings>>()
    .use(httpErrorResponse(log))
    .use(httpHeaderNormalizer())
    .use(
      configOnce<Settings, APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(async () => {
        const config = loadReceiveCallConfig(deps.env);
        return { ...config, token: await resolveAuthToken(config.authToken, deps.fetchParameter) };
      }),
    )
    .use(
      twilioSignature<ConfigContext<Settings>>({
        authToken: (r) => r.context.config.token,
        publicBaseUrl: (r) => r.context.config.publicBaseUrl,
        onReject: (reason, url) => log.warn({ reason, url }, 'signature rejected'),
      }),
    )
    .use(formBody())
    .handler(async (event, context) => {
      const params = event.body as unknown as Record<string, unknown>;
      const twiml = receiveCallTwiml(params, context.config);
      log.info({ callSid: params.CallSid, called: redactNumber(String(params.Called)) }, 'dialing media core');
      return twimlResponse(twiml);
    });
  // Lambda passes a plain Context; configOnce adds `config` to it before the handler runs.
  return (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> =>
    wrapped(event, context as ConfigContext<Settings>);
}

export const handler = createReceiveCallHandler();
