/**
 * POST /nice-cxone/contact-token (API Gateway HTTP API, payload 2.0): the CXone script's mint
 * endpoint for contact tokens (adapters/nice-cxone/contact-token.ts). 403 without the right
 * x-api-key, 400 for a bad body, 500 when the secrets cannot be read (logged by name only).
 *
 * Environment: CXONE_MINT_API_KEY (local) or CXONE_MINT_API_KEY_PARAM (SSM SecureString);
 * CONTACT_TOKEN_SECRET (local) or CONTACT_TOKEN_SECRET_PARAM (SSM SecureString);
 * CONTACT_TOKEN_TTL_SECONDS (default 120, at most 900).
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { contactTokenSecretLoader } from '../../adapters/common/contact-token-secret.ts';
import { mintForRequest } from '../../adapters/nice-cxone/contact-token.ts';
import { apiKeyHeader, mintApiKey } from '../../adapters/nice-cxone/mint-api-key.ts';
import { DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS } from '../../lib/contact-token.ts';
import { createLogger } from '../../lib/log.ts';

const log = createLogger('nice-cxone-contact-token');
let secret: (() => Promise<string>) | undefined;

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

async function mint(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const ttl = Number(process.env.CONTACT_TOKEN_TTL_SECONDS || DEFAULT_TOKEN_TTL_SECONDS);
  let settings;
  try {
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) throw new Error(`CONTACT_TOKEN_TTL_SECONDS must be 1-${MAX_TOKEN_TTL_SECONDS}`);
    secret ??= contactTokenSecretLoader();
    settings = { apiKey: await mintApiKey(), secret: await secret(), ttlSeconds: ttl };
  } catch (err) {
    secret = undefined;
    log.error({ err: (err as Error).message }, 'mint endpoint not configured');
    return json(500, { error: 'Internal Server Error' });
  }
  const key = apiKeyHeader(event.headers);
  const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const r = mintForRequest({ apiKey: key, body }, settings);
  if (r.status === 200) log.info({ contactId: r.contactId, expiresAt: r.body.expiresAt }, 'contact token minted');
  else log.warn({ status: r.status }, 'contact token refused');
  return json(r.status, r.body);
}

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(mint);
