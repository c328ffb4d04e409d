/**
 * applyOutcome for NICE CXone: validate, translate, then signal the contact once (idempotent
 * by outcomeId) with retries inside OUTCOME_DEADLINE_MS (429 honours Retry-After). The media
 * core sends BYE only after `applied`.
 *
 * kind=error is answered `applied` with attempts 0 and nothing signalled: the BYE triggers the
 * script's OnRelease (seed 003).
 */
import type { AdapterReply } from '../../events/outcome.ts';
import { applyApiOutcome, type ApplyDeps } from '../common/apply-api-outcome.ts';
import { classifyHttpError } from '../common/classify.ts';
import type { CxoneApi } from './client.ts';
import { translateOutcome, type CxoneParamOptions } from './translate.ts';

export interface CxoneApplyDeps extends ApplyDeps {
  api: CxoneApi;
  /** Signal slots for the agent message and custom_data (config CXONE_*_PARAM(S)); defaults when absent. */
  params?: CxoneParamOptions;
}

/** Applies the raw invocation payload; never throws (every failure is a reply). */
export function applyOutcome(raw: unknown, deps: CxoneApplyDeps): Promise<AdapterReply> {
  return applyApiOutcome(raw, {
    vendor: 'nice_cxone',
    translate: (o) => translateOutcome(o, deps.params),
    classify: classifyHttpError,
    send: (t, signal) => deps.api.signal(t.contactId, t.params, signal),
  }, deps);
}
