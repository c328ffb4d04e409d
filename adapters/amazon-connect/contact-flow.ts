/**
 * The flow-invoked side of Amazon Connect (an InvokeLambdaFunction block, ContactFlowEvent):
 * registers the contact so that the media core can find it from the Voice Connector INVITE,
 * mints the contact token the flow passes on, and returns the screen-pop attributes, all as
 * a flat string map (the flow's STRING_MAP response). Amazon Connect waits at most 8 s.
 *
 * Returned map: registered "true"/"false"; contactToken = the token (lib/contact-token.ts)
 * for the contact, which the flow's Transfer to phone number block sets as its
 * UserToUserInformation ("can be set statically or dynamically",
 * docs.aws.amazon.com/connect/latest/adminguide/contact-actions-completeoutboundcall.html; the
 * Voice Connector sends it as the INVITE's User-to-User header, hex encoded,
 * docs.aws.amazon.com/chime-sdk/latest/dg/sip-headers.html), "" when it cannot be minted;
 * sessionHistoryKey = the contact's SessionHistoryKey attribute when set (else "");
 * screenPopURL = AGENT_SCREEN_POP_BASE_URL + "/agent?view=" (no second /agent when the setting
 * already names the page, as the local stack's does) + a signed view token minted now,
 * i.e. at the transfer (adapters/agent-view/link.ts), when the key, the base URL and the link
 * secret are known (else "").
 */
import type { ConnectContactFlowEvent } from 'aws-lambda';
import { isConnectContactId } from './contact-id.ts';
import type { ContactRegistration } from '../../lib/store/contact-registry.ts';
import { agentPageUrl, screenPopLink } from '../agent-view/link.ts';
import { instanceIdFromArn, SESSION_HISTORY_KEY_ATTRIBUTE } from './translate.ts';

/** The registration for a flow event, or an error message naming the missing or malformed field. */
export function registrationFromFlowEvent(event: ConnectContactFlowEvent, now = new Date()): ContactRegistration | { error: string } {
  const c = event?.Details?.ContactData;
  if (!c?.ContactId) return { error: 'Details.ContactData.ContactId missing' };
  if (!isConnectContactId(c.ContactId)) return { error: 'Details.ContactData.ContactId is not a UUID' };
  const initial = c.InitialContactId || c.ContactId;
  if (!isConnectContactId(initial)) return { error: 'Details.ContactData.InitialContactId is not a UUID' };
  const InstanceId = instanceIdFromArn(c.InstanceARN);
  if (!InstanceId) return { error: 'Details.ContactData.InstanceARN missing or malformed' };
  const dialed = c.SystemEndpoint?.Address;
  const customer = c.CustomerEndpoint?.Address;
  if (!dialed || !customer) return { error: 'SystemEndpoint/CustomerEndpoint address missing (not a voice contact?)' };
  if (dialed.length > 32 || customer.length > 32) return { error: 'SystemEndpoint/CustomerEndpoint address too long' };
  return {
    ContactId: c.ContactId,
    InitialContactId: initial,
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
  let url = '';
  if (usable && screenPopBaseUrl && link) {
    try {
      url = screenPopLink(agentPageUrl(screenPopBaseUrl), key, link.secret, { ttlSeconds: link.ttlSeconds, nowMs: link.nowMs });
    } catch {
      url = ''; // not a session history key: no link rather than a link to nothing
    }
  }
  return { sessionHistoryKey: usable ? key : '', screenPopURL: url };
}
