/**
 * applyOutcome for Amazon Connect: validate, translate, then UpdateContactAttributes once
 * (idempotent by outcomeId) with retries inside OUTCOME_DEADLINE_MS. The media core sends
 * BYE only after `applied`, so the flow sees the attributes when it resumes.
 *
 * kind=error is answered `applied` with attempts 0 and nothing written (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-amazon-connect: on error
 * the integration sends BYE without the attribute; the flow's no-match branch queues the
 * caller to an agent).
 */
import type { AdapterReply } from '../../events/outcome.ts';
import { applyApiOutcome, type ApplyDeps } from '../common/apply-api-outcome.ts';
import { classifyAwsError } from '../common/classify.ts';
import type { ConnectApi } from './client.ts';
import { translateOutcome, type UpdateContactAttributesRequest, type ConnectAgentMessageOptions } from './translate.ts';
import type { CheckVerdict } from '../common/apply-once.ts';
import { isConnectContactId } from './contact-id.ts';

export interface ConnectApplyDeps extends ApplyDeps {
  api: ConnectApi;
  /** Where message_to_human_agent goes (config AMAZON_CONNECT_AGENT_MESSAGE_*); defaults when absent. */
  agentMessage?: ConnectAgentMessageOptions;
}

/** Applies the raw invocation payload; never throws (every failure is a reply). */
export function applyOutcome(raw: unknown, deps: ConnectApplyDeps): Promise<AdapterReply> {
  return applyApiOutcome(raw, {
    vendor: 'amazon_connect',
    translate: (o) => translateOutcome(o, deps.agentMessage),
    classify: classifyAwsError,
    send: (t, signal) => deps.api.updateContactAttributes(t.request, signal),
    // Before anything reaches the API: Connect contact ids are UUIDs, instance ids [A-Za-z0-9_-].
    validate: (o) =>
      o.kind === 'error' || !o.amazonConnect
        ? undefined
        : !isConnectContactId(o.amazonConnect.InitialContactId)
          ? 'amazonConnect.InitialContactId is not a UUID'
          : /^[\w-]{1,100}$/.test(o.amazonConnect.InstanceId) ? undefined : 'amazonConnect.InstanceId is malformed',
    check: (_o, t, signal) => attributesWritten(deps.api, t.request, signal),
  }, deps);
}

/**
 * After an ambiguous UpdateContactAttributes: GetContactAttributes
 * (docs.aws.amazon.com/connect/latest/APIReference/API_GetContactAttributes.html) shows
 * whether every attribute of the request holds its value. Never throws (a failed read is `unknown`).
 */
export async function attributesWritten(api: ConnectApi, request: UpdateContactAttributesRequest, signal: AbortSignal): Promise<CheckVerdict> {
  try {
    const current = await api.getContactAttributes(request.InstanceId, request.InitialContactId, signal);
    return Object.entries(request.Attributes).every(([k, v]) => current[k] === v) ? 'applied' : 'not_applied';
  } catch {
    return 'unknown';
  }
}
