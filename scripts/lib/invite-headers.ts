/**
 * The SIP headers each vendor's platform adds to the INVITE that reaches the media core:
 *
 * - Amazon Connect (Chime Voice Connector, "Transfer to phone number"): User-to-User carries
 *   the instance ARN, hex encoded as the Chime SDK shows it (RFC 7433 `;encoding=hex`), plus
 *   X-Amzn-ConnectContactId / X-Amzn-ConnectInitialContactId (unconfirmed names, see
 *   vendor-facts.md).
 * - NICE CXone: X-ContactID, set by the script's Sipputheader before Placecall.
 * - Twilio (<Dial><Sip>): X-Twilio-CallSid.
 * - A generic SIP trunk: nothing special.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { CallVendor } from './vendor-route.ts';

export interface VendorCallIds {
  /** The id the vendor knows the call by: Connect contact id, CXone contact id, Twilio CallSid. */
  contactId?: string;
  instanceArn?: string;
}

/** Fresh ids for one call of `vendor`. */
export function newCallIds(vendor: CallVendor, instanceArn: string): VendorCallIds {
  switch (vendor) {
    case 'amazon_connect':
      return { contactId: randomUUID(), instanceArn };
    case 'nice_cxone':
      // CXone contact ids are integers (ContactId in Studio).
      return { contactId: String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100, 999)) };
    case 'twilio_flex':
      return { contactId: `CA${randomBytes(16).toString('hex')}` };
    default:
      return {};
  }
}

/** "Name: value" header lines for the INVITE. */
export function vendorInviteHeaders(vendor: CallVendor, ids: VendorCallIds): string[] {
  switch (vendor) {
    case 'amazon_connect':
      return [
        `User-to-User: ${Buffer.from(ids.instanceArn ?? '', 'ascii').toString('hex')};encoding=hex`,
        `X-Amzn-ConnectContactId: ${ids.contactId}`,
        `X-Amzn-ConnectInitialContactId: ${ids.contactId}`,
      ];
    case 'nice_cxone':
      return [`X-ContactID: ${ids.contactId}`];
    case 'twilio_flex':
      return [`X-Twilio-CallSid: ${ids.contactId}`];
    default:
      return [];
  }
}
