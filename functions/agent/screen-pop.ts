/**
 * GET /agent?view=<signed view token> (API Gateway HTTP API, payload 2.0): the agent's screen
 * pop. Thin handler: the logic and the rendering live in adapters/agent-view/.
 * Environment: STATE_TABLE, DYNAMODB_ENDPOINT (local only), AWS_REGION, and the screen pop
 * settings of adapters/agent-view/config.ts (SCREEN_POP_SECRET or SCREEN_POP_SECRET_PARAM,
 * SCREEN_POP_MASK_DTMF).
 */
import middy from '@middy/core';
import { functionMetrics } from '../middleware/metrics.ts';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadScreenPopEnv, screenPopSecret } from '../../adapters/agent-view/config.ts';
import { screenPopResponse } from '../../adapters/agent-view/screen-pop.ts';
import { createLogger } from '../../lib/log.ts';
import { getStore, storeConfigFromEnv } from '../../lib/store/client.ts';
import { readSession } from '../../lib/store/session-history.ts';

const log = createLogger('agent-screen-pop');

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().use(functionMetrics('agent.screen-pop').middleware).handler(async (event) => {
  const config = loadScreenPopEnv();
  const store = getStore(storeConfigFromEnv());
  const secret = await screenPopSecret(config);
  return screenPopResponse(event.queryStringParameters, (key) => readSession(store, key), log, { secret, maskDtmf: config.SCREEN_POP_MASK_DTMF });
});
