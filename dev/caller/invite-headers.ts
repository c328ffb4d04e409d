/**
 * The SIP headers each vendor's platform adds to the INVITE that reaches the media core, from
 * each descriptor's dev hooks (adapters/<vendor>/vendor.ts `dev.inviteHeaders`).
 */
import { vendorOf } from '../../adapters/registry.ts';
import type { CallVendor } from './vendor-route.ts';

export interface VendorCallIds {
  /** The id the vendor knows the call by: Connect contact id, CXone contact id, Twilio CallSid. */
  contactId?: string;
  instanceArn?: string;
  /** The contact token (contact-token-emulation.ts); absent = none sent (the media core refuses the call). */
  contactToken?: string;
}

/** Fresh ids for one call of `vendor` (its descriptor's dev hook, adapters/<vendor>/vendor.ts). */
export function newCallIds(vendor: CallVendor, instanceArn: string): VendorCallIds {
  return vendorOf(vendor).dev.newCallIds?.(instanceArn) ?? {};
}

/** "Name: value" header lines for the INVITE (its descriptor's dev hook). */
export function vendorInviteHeaders(vendor: CallVendor, ids: VendorCallIds): string[] {
  return vendorOf(vendor).dev.inviteHeaders?.(ids) ?? [];
}
