/**
 * Amazon Connect contact ids: ContactId / InitialContactId are UUIDs (36 characters,
 * 8-4-4-4-12 hex), as in every ContactFlowEvent
 * (docs.aws.amazon.com/connect/latest/adminguide/connect-lambda-functions.html) and the API's
 * contact ids (docs.aws.amazon.com/connect/latest/APIReference/API_Contact.html). Checked
 * wherever an id enters from outside (a flow event, an outcome, a contact token) so that a
 * malformed or oversized value never reaches a store key, a token or a vendor URL.
 */
import type { TokenVendor } from '../../lib/contact-token.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** true when `id` is an Amazon Connect contact id (a UUID). */
export function isConnectContactId(id: unknown): id is string {
  return typeof id === 'string' && UUID_RE.test(id);
}

/** Amazon Connect in contact tokens: the vendor id bound into the MAC and its contact id format. */
export const connectTokenVendor: TokenVendor = { id: 'amazon_connect', isContactId: isConnectContactId };
