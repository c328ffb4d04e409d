/**
 * applyOutcome for NICE CXone: validate, translate, then signal the contact once (idempotent
 * by outcomeId) with retries inside OUTCOME_DEADLINE_MS (429 honours Retry-After). The media
 * core sends BYE only after `applied`.
 *
 * kind=error is answered `applied` with attempts 0 and nothing signalled: the BYE triggers the
 * script's OnRelease (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-nicecxone).
 */
import type { AdapterReply } from '../../events/outcome.ts';
import { applyApiOutcome, type ApplyDeps } from '../common/apply-api-outcome.ts';
import { classifyHttpError } from '../common/classify.ts';
import type { CxoneApi } from './client.ts';
import { translateOutcome, type CxoneParamOptions } from './translate.ts';
import type { CheckVerdict } from '../common/apply-once.ts';
import type { OutcomeKind } from '../../events/outcome.ts';
import { isCxoneContactId } from './contact-id.ts';

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
    // CXone contact ids are digits; anything else never reaches the signal URL.
    validate: (o) => (o.kind === 'error' || !o.niceCxone || isCxoneContactId(o.niceCxone.ContactId) ? undefined : 'niceCxone.ContactId is not a CXone contact id (digits)'),
    check: (o, t, signal) => signalTookEffect(deps.api, o.kind, t.contactId, signal),
  }, deps);
}

/**
 * After an ambiguous signal: the signal API has no idempotency key and no read-back, so the
 * contact's state is the only evidence. Still in the script before queueing (PreQueue): the
 * script's OnSignal has not run, so signalling again is safe. Queued or with an agent after a
 * transfer, or ended after a hang-up: it took effect. Anything else, or no state: `unknown`
 * (reported, not re-sent). Never throws.
 */
export async function signalTookEffect(api: CxoneApi, kind: OutcomeKind, contactId: string, signal: AbortSignal): Promise<CheckVerdict> {
  if (!api.contactState) return 'unknown';
  try {
    const state = (await api.contactState(contactId, signal))?.toLowerCase();
    if (state === 'prequeue') return 'not_applied';
    if (kind === 'transfer' && (state === 'inqueue' || state === 'routing' || state === 'active')) return 'applied';
    if (kind === 'hangup' && (state === 'endcontact' || state === 'disconnected')) return 'applied';
    return 'unknown';
  } catch {
    return 'unknown';
  }
}
