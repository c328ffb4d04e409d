/**
 * GET /agent?session_history_key=<key> (API Gateway HTTP API, payload 2.0): the agent's screen
 * pop. Thin handler: the logic and the rendering live in adapters/agent-view/.
 * Environment: STATE_TABLE, DYNAMODB_ENDPOINT (local only), AWS_REGION.
 */
import middy from '@middy/core';
import { functionMetrics } from '../middleware/metrics.ts';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { screenPopResponse } from '../../adapters/agent-view/screen-pop.ts';
import { createLogger } from '../../lib/log.ts';
import { getStore, storeConfigFromEnv } from '../../lib/store/client.ts';
import { readSession } from '../../lib/store/session-history.ts';

const log = createLogger('agent-screen-pop');

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().use(functionMetrics('agent.screen-pop').middleware).handler(async (event) => {
  const store = getStore(storeConfigFromEnv());
  return screenPopResponse(event.queryStringParameters?.session_history_key, (key) => readSession(store, key), log);
});
