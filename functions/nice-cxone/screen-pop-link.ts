/**
 * POST /nice-cxone/screen-pop-link (API Gateway HTTP API, payload 2.0): the CXone script's REST
 * action for the agent's signed screen-pop link (adapters/nice-cxone/screen-pop-link.ts).
 * 403 without the right x-api-key, 400 for a bad body or key, 500 when the secrets or the
 * base URL are not configured (logged by name only).
 *
 * Environment: CXONE_MINT_API_KEY (local) or CXONE_MINT_API_KEY_PARAM (SSM SecureString), the
 * contact-token mint's key; SCREEN_POP_SECRET (local) or SCREEN_POP_SECRET_PARAM (SSM
 * SecureString); SCREEN_POP_LINK_TTL_SECONDS (3600); AGENT_SCREEN_POP_BASE_URL, else
 * PUBLIC_BASE_URL (the HTTP API that serves GET /agent).
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadScreenPopEnv, screenPopSecret } from '../../adapters/agent-view/config.ts';
import { agentPageUrl } from '../../adapters/agent-view/link.ts';
import { apiKeyHeader, mintApiKey } from '../../adapters/nice-cxone/mint-api-key.ts';
import { screenPopLinkForRequest, type LinkSettings } from '../../adapters/nice-cxone/screen-pop-link.ts';
import { createLogger } from '../../lib/log.ts';
import { redactKey } from '../../lib/redact.ts';
import { functionMetrics } from '../middleware/metrics.ts';

const log = createLogger('nice-cxone-screen-pop-link');

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

async function settings(): Promise<Omit<LinkSettings, 'nowMs'>> {
  const base = process.env.AGENT_SCREEN_POP_BASE_URL || process.env.PUBLIC_BASE_URL;
  if (!base || !/^https?:\/\/[^\s/?#"\\]+[^\s"\\]*$/i.test(base)) throw new Error('set AGENT_SCREEN_POP_BASE_URL or PUBLIC_BASE_URL to the http(s) URL of the HTTP API');
  const e = loadScreenPopEnv();
  const [apiKey, secret] = await Promise.all([mintApiKey(), screenPopSecret(e)]);
  return { apiKey, secret, pageUrl: agentPageUrl(base), ttlSeconds: e.SCREEN_POP_LINK_TTL_SECONDS };
}

async function link(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  let s;
  try {
    s = await settings();
  } catch (err) {
    log.error({ err: (err as Error).message }, 'screen pop link endpoint not configured');
    return json(500, { error: 'Internal Server Error' });
  }
  const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const r = screenPopLinkForRequest({ apiKey: apiKeyHeader(event.headers), body }, s);
  if (r.status === 200) log.info({ key: redactKey(r.sessionHistoryKey), expiresAt: r.body.expiresAt }, 'screen pop link minted');
  else log.warn({ status: r.status }, 'screen pop link refused');
  return json(r.status, r.body);
}

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().use(functionMetrics('nice-cxone.screen-pop-link').middleware).handler(link);
