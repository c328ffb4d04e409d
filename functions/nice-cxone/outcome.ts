/**
 * Lambda: applies a media-core outcome to NICE CXone (signal with p1). Invoked by the media
 * core with Lambda Invoke (RequestResponse); event = OutcomeEvent JSON; returns an
 * AdapterReply and never throws. The token cache lives in this module, so warm invocations
 * reuse the token until shortly before it expires.
 */
import middy from '@middy/core';
import { functionMetrics } from '../middleware/metrics.ts';
import type { AdapterReply } from '../../events/outcome.ts';
import { applyOutcome, createCxoneApi, loadNiceCxoneConfig, type CxoneApi } from '../../adapters/nice-cxone/index.ts';
import { rejectedReply } from '../../adapters/common/reply.ts';
import { getStore } from '../../lib/store/client.ts';
import { createLogger } from '../../lib/log.ts';
import { redactKey } from '../../lib/redact.ts';

const log = createLogger('nice-cxone-outcome');
let api: CxoneApi | undefined;

async function outcome(event: unknown): Promise<AdapterReply> {
  const startedAt = Date.now();
  let config;
  try {
    config = loadNiceCxoneConfig();
  } catch (err) {
    log.error({ err: (err as Error).message }, 'configuration invalid');
    const id = (event as { outcomeId?: unknown })?.outcomeId;
    return rejectedReply({ outcomeId: typeof id === 'string' ? id : 'unknown', vendor: 'nice_cxone' }, 'not_configured', (err as Error).message, 0);
  }
  api ??= createCxoneApi(config);
  const params = { agentMessageParam: config.CXONE_AGENT_MESSAGE_PARAM, customDataParams: config.CXONE_CUSTOM_DATA_PARAMS, agentMessageMaxChars: config.CXONE_AGENT_MESSAGE_MAX_CHARS };
  const reply = await applyOutcome(event, { api, store: getStore(), deadlineMs: config.OUTCOME_DEADLINE_MS, leaseMs: config.FUNCTION_TIMEOUT_MS, log, startedAt, params });
  const e = (event ?? {}) as { kind?: string; sessionHistoryKey?: string };
  log.info({ outcomeId: reply.outcomeId, kind: e.kind, key: redactKey(e.sessionHistoryKey), status: reply.status, reason: reply.status === 'rejected' ? reply.reason : undefined, attempts: reply.attempts, ms: Date.now() - startedAt }, 'outcome');
  return reply;
}

export const handler = middy<unknown, AdapterReply>().use(functionMetrics('nice-cxone.outcome').middleware).handler(outcome);
