/**
 * Contact id formats of the contact centers, checked wherever an id enters from outside (a
 * flow event, a mint request, an INVITE header) so that a malformed or oversized value never
 * reaches a store key, a token or a vendor URL.
 *
 * - Amazon Connect: ContactId / InitialContactId are UUIDs (36 characters, 8-4-4-4-12 hex),
 *   as in every ContactFlowEvent (docs.aws.amazon.com/connect/latest/adminguide/connect-lambda-functions.html)
 *   and the API's contact ids (docs.aws.amazon.com/connect/latest/APIReference/API_Contact.html).
 * - NICE CXone: ContactId is an integer (Studio's ContactID variable, the Admin API's
 *   `/interactions/{contactId}` path); 1-20 digits, no sign, no leading zero.
 */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CXONE_RE = /^[1-9][0-9]{0,19}$/;

/** true when `id` is an Amazon Connect contact id (a UUID). */
export function isConnectContactId(id: unknown): id is string {
  return typeof id === 'string' && UUID_RE.test(id);
}

/** true when `id` is a NICE CXone contact id (1-20 digits, no leading zero). */
export function isCxoneContactId(id: unknown): id is string {
  return typeof id === 'string' && CXONE_RE.test(id);
}

/** The contact centers whose contacts carry a token (lib/contact-token.ts). */
export type TokenVendor = 'amazon_connect' | 'nice_cxone';

/** true when `id` has the format of `vendor`'s contact ids. */
export function isContactIdOf(vendor: TokenVendor, id: unknown): id is string {
  return vendor === 'amazon_connect' ? isConnectContactId(id) : isCxoneContactId(id);
}
