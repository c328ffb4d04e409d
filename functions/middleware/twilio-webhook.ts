/**
 * The middleware chain every Twilio webhook function shares: errors to HTTP responses,
 * header normalization, configuration and the auth token loaded once per container,
 * X-Twilio-Signature verification against the public URL (403 otherwise), then the
 * form-encoded body parsed into `event.body` as a plain object.
 * Spec: twilio.com/docs/usage/webhooks/webhooks-security.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { resolveAuthToken, type ParameterFetcher } from '../../adapters/twilio/auth-token.ts';
import type { AuthTokenSource } from '../../adapters/twilio/config.ts';
import { configOnce, type ConfigContext } from './config-once.ts';
import { formBody } from './form-body.ts';
import { httpErrorResponse } from './http-error-response.ts';
import { functionMetrics } from './metrics.ts';
import { createJsonLog, type JsonLog } from './json-log.ts';
import { twilioSignature } from './twilio-signature.ts';

/** Dependencies a test may replace; defaults read process.env and SSM. */
export interface TwilioWebhookDeps {
  env?: Record<string, string | undefined>;
  fetchParameter?: ParameterFetcher;
}

/** What every Twilio webhook's configuration carries. */
export interface TwilioWebhookConfig {
  publicBaseUrl: string;
  authToken: AuthTokenSource;
}

/**
 * Builds a Lambda handler for a Twilio webhook.
 * @param name logger name, e.g. "twilio.receive-call"
 * @param loadConfig validates the function's environment (throws ConfigError naming variables)
 * @param handle answers the verified request's form parameters (throws HttpError for 4xx)
 */
export function twilioWebhook<C extends TwilioWebhookConfig>(
  name: string,
  loadConfig: (env?: Record<string, string | undefined>) => C,
  handle: (params: Record<string, unknown>, config: C & { token: string }, log: JsonLog) => APIGatewayProxyStructuredResultV2 | Promise<APIGatewayProxyStructuredResultV2>,
  deps: TwilioWebhookDeps = {},
): (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2> {
  type Settings = C & { token: string };
  const log = createJsonLog(name);
  const wrapped = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, ConfigContext<Settings>>()
    .use(functionMetrics(name).middleware)
    .use(httpErrorResponse(log))
    .use(httpHeaderNormalizer())
    .use(
      configOnce<Settings, APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(async () => {
        const config = loadConfig(deps.env);
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
    .handler(async (event, context) => handle(event.body as unknown as Record<string, unknown>, context.config, log));
  // Lambda passes a plain Context; configOnce adds `config` to it before the handler runs.
  return (event, context) => wrapped(event, context as ConfigContext<Settings>);
}
