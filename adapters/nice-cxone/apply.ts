/**
 * applyOutcome for NICE CXone: validate, translate, then signal the contact once (idempotent
 * by outcomeId) with retries inside OUTCOME_DEADLINE_MS (429 honours Retry-After). The media
 * core sends BYE only after `applied`.
 *
 * kind=error is answered `applied` with attempts 0 and nothing signalled: the BYE triggers the
 * script's OnRelease (seed 003).
 */
import type { AdapterReply } from '../../events/outcome.ts';
import type { Store } from '../../lib/store/client.ts';
import type { Logger } from '../../lib/log.ts';
import { applyOnce } from '../common/apply-once.ts';
import { classifyHttpError, rejectionFor } from '../common/classify.ts';
import { parseOutcome } from '../common/parse-outcome.ts';
import { appliedWithoutRequest, rejectedReply } from '../common/reply.ts';
import type { CxoneApi } from './client.ts';
import { translateOutcome } from './translate.ts';

export interface CxoneApplyDeps {
  api: CxoneApi;
  store: Store;
  /** Budget in ms (OUTCOME_DEADLINE_MS). */
  deadlineMs: number;
  log?: Logger;
  startedAt?: number;
}

/** Applies the raw invocation payload; never throws (every failure is a reply). */
export async function applyOutcome(raw: unknown, deps: CxoneApplyDeps): Promise<AdapterReply> {
  const startedAt = deps.startedAt ?? Date.now();
  const parsed = parseOutcome(raw, 'nice_cxone');
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
    classify: classifyHttpError,
    reject: rejectionFor,
    send: (_attempt, signal) => deps.api.signal(t.contactId, t.params, signal),
  });
}
