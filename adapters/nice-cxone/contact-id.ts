/**
 * NICE CXone contact ids: ContactId is an integer (Studio's ContactID variable, the Admin API's
 * `/interactions/{contactId}` path); 1-20 digits, no sign, no leading zero. Checked wherever an
 * id enters from outside (X-ContactID, a mint request, an outcome, a contact token) so that a
 * malformed or oversized value never reaches a store key, a token or a vendor URL.
 */
import type { TokenVendor } from '../../lib/contact-token.ts';

const CXONE_RE = /^[1-9][0-9]{0,19}$/;

/** true when `id` is a NICE CXone contact id (1-20 digits, no leading zero). */
export function isCxoneContactId(id: unknown): id is string {
  return typeof id === 'string' && CXONE_RE.test(id);
}

/** NICE CXone in contact tokens: the vendor id bound into the MAC and its contact id format. */
export const cxoneTokenVendor: TokenVendor = { id: 'nice_cxone', isContactId: isCxoneContactId };
