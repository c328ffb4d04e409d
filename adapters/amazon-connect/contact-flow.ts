/**
 * The flow-invoked side of Amazon Connect (an InvokeLambdaFunction block, ContactFlowEvent):
 * registers the contact so that the media core can match the Voice Connector INVITE, and
 * returns the screen-pop attributes as a flat string map (the flow's STRING_MAP response).
 * Amazon Connect waits at most 8 s for the function.
 *
 * Returned map: registered "true"; sessionHistoryKey = the contact's SessionHistoryKey
 * attribute when set (else ""); screenPopURL = AGENT_SCREEN_POP_BASE_URL + "/agent?view=" + a
 * signed view token minted now, i.e. at the transfer (adapters/agent-view/link.ts), when the
 * key, the base URL and the link secret are known (else "").
 */
import type { ConnectContactFlowEvent } from 'aws-lambda';
import type { ContactRegistration } from '../../lib/store/contact-registry.ts';
import { screenPopLink } from '../agent-view/link.ts';
import { instanceIdFromArn, SESSION_HISTORY_KEY_ATTRIBUTE } from './translate.ts';

/** The registration for a flow event, or an error message naming the missing field. */
export function registrationFromFlowEvent(event: ConnectContactFlowEvent, now = new Date()): ContactRegistration | { error: string } {
  const c = event?.Details?.ContactData;
  if (!c?.ContactId) return { error: 'Details.ContactData.ContactId missing' };
  const InstanceId = instanceIdFromArn(c.InstanceARN);
  if (!InstanceId) return { error: 'Details.ContactData.InstanceARN missing or malformed' };
  const dialed = c.SystemEndpoint?.Address;
  const customer = c.CustomerEndpoint?.Address;
  if (!dialed || !customer) return { error: 'SystemEndpoint/CustomerEndpoint address missing (not a voice contact?)' };
  return {
    ContactId: c.ContactId,
    InitialContactId: c.InitialContactId || c.ContactId,
    InstanceARN: c.InstanceARN,
    InstanceId,
    dialedNumber: dialed,
    customerNumber: customer,
    registeredAt: now.toISOString(),
  };
}

/** Screen-pop attributes for the flow (all values strings). */
export function screenPopAttributes(
  event: ConnectContactFlowEvent,
  screenPopBaseUrl: string | undefined,
  link?: { secret: string; ttlSeconds: number; nowMs?: number },
): Record<string, string> {
  const key = event?.Details?.ContactData?.Attributes?.[SESSION_HISTORY_KEY_ATTRIBUTE] ?? '';
  const usable = key && key !== 'hangup';
  const base = screenPopBaseUrl?.replace(/\/+$/, '');
  let url = '';
  if (usable && base && link) {
    try {
      url = screenPopLink(`${base}/agent`, key, link.secret, { ttlSeconds: link.ttlSeconds, nowMs: link.nowMs });
    } catch {
      url = ''; // not a session history key: no link rather than a link to nothing
    }
  }
  return { sessionHistoryKey: usable ? key : '', screenPopURL: url };
}
