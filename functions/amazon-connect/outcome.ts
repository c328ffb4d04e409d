/**
 * Lambda: applies a media-core outcome to Amazon Connect (UpdateContactAttributes).
 * Invoked by the media core with Lambda Invoke (RequestResponse); event = OutcomeEvent JSON
 * (events/outcome.ts); returns an AdapterReply. Never throws: every failure is a reply, so the
 * media core always gets an answer inside OUTCOME_DEADLINE_MS (plus one store write).
 */
import middy from '@middy/core';
import type { AdapterReply } from '../../events/outcome.ts';
import { applyOutcome, connectApi, createConnectSdkClient, loadAmazonConnectConfig, type ConnectApi } from '../../adapters/amazon-connect/index.ts';
import { getStore } from '../../lib/store/client.ts';
import { createLogger } from '../../lib/log.ts';
import { redactKey } from '../../lib/redact.ts';
import { rejectedReply } from '../../adapters/common/reply.ts';
import { functionMetrics } from '../middleware/metrics.ts';

const log = createLogger('amazon-connect-outcome');
let api: ConnectApi | undefined;

async function outcome(event: unknown): Promise<AdapterReply> {
  const startedAt = Date.now();
  let config;
  try {
    config = loadAmazonConnectConfig();
  } catch (err) {
    log.error({ err: (err as Error).message }, 'configuration invalid');
    return notConfigured(event, (err as Error).message);
  }
  api ??= connectApi(createConnectSdkClient(config));
  const agentMessage = { attribute: config.AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE, maxBytes: config.AMAZON_CONNECT_AGENT_MESSAGE_MAX_BYTES };
  const reply = await applyOutcome(event, { api, store: getStore(), deadlineMs: config.OUTCOME_DEADLINE_MS, leaseMs: config.FUNCTION_TIMEOUT_MS, log, startedAt, agentMessage });
  const e = (event ?? {}) as { kind?: string; sessionHistoryKey?: string };
  log.info({ outcomeId: reply.outcomeId, kind: e.kind, key: redactKey(e.sessionHistoryKey), status: reply.status, reason: reply.status === 'rejected' ? reply.reason : undefined, attempts: reply.attempts, ms: Date.now() - startedAt }, 'outcome');
  return reply;
}

export const handler = middy<unknown, AdapterReply>().use(functionMetrics('amazon-connect.outcome').middleware).handler(outcome);

function notConfigured(event: unknown, message: string): AdapterReply {
  const id = (event as { outcomeId?: unknown })?.outcomeId;
  return rejectedReply({ outcomeId: typeof id === 'string' ? id : 'unknown', vendor: 'amazon_connect' }, 'not_configured', message, 0);
}
