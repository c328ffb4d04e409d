/**
 * The SIP headers each vendor's platform adds to the INVITE that reaches the media core:
 *
 * - Amazon Connect (Chime Voice Connector, "Transfer to phone number"): User-to-User carries
 *   the contact token the flow's Lambda minted (the block's UserToUserInformation), hex
 *   encoded as the Chime SDK shows it (RFC 7433 `;encoding=hex`), plus
 *   X-Amzn-ConnectContactId / X-Amzn-ConnectInitialContactId (unconfirmed names, seen in
 *   other projects' source and not in AWS documentation; informative only, the media core trusts the token).
 * - NICE CXone: X-ContactID and X-Contact-Token, set by the script's Sipputheader before
 *   Placecall (the token from the mint endpoint).
 * - Twilio (<Dial><Sip>): X-Twilio-CallSid.
 * - A generic SIP trunk: nothing special.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { CallVendor } from './vendor-route.ts';

export interface VendorCallIds {
  /** The id the vendor knows the call by: Connect contact id, CXone contact id, Twilio CallSid. */
  contactId?: string;
  instanceArn?: string;
  /** The contact token (contact-token-emulation.ts); absent = none sent (the media core refuses the call). */
  contactToken?: string;
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
        ...(ids.contactToken ? [`User-to-User: ${Buffer.from(ids.contactToken, 'ascii').toString('hex')};encoding=hex`] : []),
        `X-Amzn-ConnectContactId: ${ids.contactId}`,
        `X-Amzn-ConnectInitialContactId: ${ids.contactId}`,
      ];
    case 'nice_cxone':
      return [`X-ContactID: ${ids.contactId}`, ...(ids.contactToken ? [`X-Contact-Token: ${ids.contactToken}`] : [])];
    case 'twilio_flex':
      return [`X-Twilio-CallSid: ${ids.contactId}`];
    default:
      return [];
  }
}
