/**
 * applyOutcome for Amazon Connect: validate, translate, then UpdateContactAttributes once
 * (idempotent by outcomeId) with retries inside OUTCOME_DEADLINE_MS. The media core sends
 * BYE only after `applied`, so the flow sees the attributes when it resumes.
 *
 * kind=error is answered `applied` with attempts 0 and nothing written (seed 002: on error
 * the integration sends BYE without the attribute; the flow's no-match branch queues the
 * caller to an agent).
 */
import type { AdapterReply } from '../../events/outcome.ts';
import type { Store } from '../../lib/store/client.ts';
import type { Logger } from '../../lib/log.ts';
import { applyOnce } from '../common/apply-once.ts';
import { classifyAwsError, rejectionFor } from '../common/classify.ts';
import { parseOutcome } from '../common/parse-outcome.ts';
import { appliedWithoutRequest, rejectedReply } from '../common/reply.ts';
import type { ConnectApi } from './client.ts';
import { translateOutcome } from './translate.ts';

export interface ConnectApplyDeps {
  api: ConnectApi;
  store: Store;
  /** Budget in ms (OUTCOME_DEADLINE_MS). */
  deadlineMs: number;
  log?: Logger;
  /** Epoch ms the invocation began (default now). */
  startedAt?: number;
}

/** Applies the raw invocation payload; never throws (every failure is a reply). */
export async function applyOutcome(raw: unknown, deps: ConnectApplyDeps): Promise<AdapterReply> {
  const startedAt = deps.startedAt ?? Date.now();
  const parsed = parseOutcome(raw, 'amazon_connect');
  if ('reply' in parsed) return parsed.reply;
  const { outcome } = parsed;
  const t = translateOutcome(outcome);
  if (t.action === 'invalid') return rejectedReply(outcome, 'invalid_custom_data', t.message, 0);
  if (t.action === 'none') return appliedWithoutRequest(outcome);
  return applyOnce({
    store: deps.store,
    outcome,
    deadlineMs: deps.deadlineMs,
    startedAt,
    log: deps.log,
    classify: classifyAwsError,
    reject: rejectionFor,
    send: (_attempt, signal) => deps.api.updateContactAttributes(t.request, signal),
  });
}
