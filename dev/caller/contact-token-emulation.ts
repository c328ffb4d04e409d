/**
 * Plays the contact center's part in handing a contact token to the call (lib/contact-token.ts),
 * against the local stack, as the real platforms would:
 *
 * - Amazon Connect: the flow's InvokeLambdaFunction block invokes the contact-flow function
 *   with a ContactFlowEvent (Lambda Invoke on serverless-offline's Lambda port); the function
 *   registers the contact and answers `contactToken`, which the Transfer to phone number block
 *   sets as UserToUserInformation (sent by the Voice Connector as a hex User-to-User header).
 * - NICE CXone: the script's REST action POSTs `{contactId}` with its API key to the mint
 *   endpoint (POST /nice-cxone/contact-token) and puts the answer in X-Contact-Token; after a
 *   transfer signal, a second REST action POSTs `{sessionHistoryKey: p1}` with the same key
 *   to POST /nice-cxone/screen-pop-link for the agent's PopURL.
 */

/** Where the functions are and the key the CXone script would hold. */
export interface ContactTokenEmulation {
  /** serverless-offline's Lambda Invoke endpoint, e.g. http://127.0.0.1:3002. */
  lambdaUrl: string;
  /** Name of the Connect flow function (open-phone-integration-dev-amazonConnectContactFlow). */
  connectFlowFunction: string;
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:3000. */
  httpUrl: string;
  /** The mint endpoint's API key (CXONE_MINT_API_KEY). */
  cxoneMintApiKey: string;
}

/** The flow function's name for the local stage. */
export const CONNECT_FLOW_FUNCTION = 'open-phone-integration-dev-amazonConnectContactFlow';

/** A ContactFlowEvent for an inbound voice contact (Amazon Connect's Lambda input shape). */
export function contactFlowEvent(o: { contactId: string; instanceArn: string; dialed: string; caller: string }): Record<string, unknown> {
  return {
    Name: 'ContactFlowEvent',
    Details: {
      ContactData: {
        Attributes: {},
        Channel: 'VOICE',
        ContactId: o.contactId,
        InitialContactId: o.contactId,
        InitiationMethod: 'INBOUND',
        InstanceARN: o.instanceArn,
        PreviousContactId: o.contactId,
        Queue: null,
        CustomerEndpoint: { Address: o.caller, Type: 'TELEPHONE_NUMBER' },
        SystemEndpoint: { Address: o.dialed, Type: 'TELEPHONE_NUMBER' },
      },
      Parameters: {},
    },
  };
}

/**
 * Runs the Connect flow's register block.
 * @returns the function's STRING_MAP (registered, contactToken, ...).
 * @throws Error when the invocation fails or answers no token (within 8 s, Connect's limit).
 */
export async function connectFlowToken(e: ContactTokenEmulation, o: { contactId: string; instanceArn: string; dialed: string; caller: string }): Promise<Record<string, string>> {
  const url = `${e.lambdaUrl.replace(/\/+$/, '')}/2015-03-31/functions/${encodeURIComponent(e.connectFlowFunction)}/invocations`;
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(contactFlowEvent(o)), signal: AbortSignal.timeout(8000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`contact-flow function answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  const out = JSON.parse(text) as Record<string, string>;
  if (!out.contactToken) throw new Error(`contact-flow function minted no token: ${text.slice(0, 200)}`);
  return out;
}

/**
 * Runs the CXone script's mint REST action.
 * @returns the token. @throws Error on a non-200 answer (5 s bound).
 */
export async function cxoneMintToken(e: ContactTokenEmulation, contactId: string): Promise<string> {
  const res = await fetch(`${e.httpUrl.replace(/\/+$/, '')}/nice-cxone/contact-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': e.cxoneMintApiKey },
    body: JSON.stringify({ contactId }),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`mint endpoint answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { contactToken: string }).contactToken;
}

/**
 * Runs the CXone script's OnSignal REST action for the agent's PopURL.
 * @returns the signed screen-pop link. @throws Error on a non-200 answer (5 s bound).
 */
export async function cxoneScreenPopLink(e: ContactTokenEmulation, sessionHistoryKey: string): Promise<string> {
  const res = await fetch(`${e.httpUrl.replace(/\/+$/, '')}/nice-cxone/screen-pop-link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': e.cxoneMintApiKey },
    body: JSON.stringify({ sessionHistoryKey }),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`screen-pop-link endpoint answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { screenPopUrl: string }).screenPopUrl;
}
