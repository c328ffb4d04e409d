/**
 * Every contact center the integration supports, one line each (adapters/<vendor>/vendor.ts).
 * Pure: no SDK clients, so the media core, the dev tools and the deploy template all read it.
 * A new vendor: docs/adding-a-contact-center.md.
 */
import { z } from 'zod';
import { amazonConnect } from './amazon-connect/vendor.ts';
import { niceCxone } from './nice-cxone/vendor.ts';
import { sipTrunk } from './sip-trunk/vendor.ts';
import { twilio } from './twilio/vendor.ts';
import type { ContactDecision, ContactTools, InviteInfo, SipTransferInput, VendorDescriptor } from './vendor-descriptor.ts';
import type { SipAction } from './types.ts';

export const VENDORS = [sipTrunk, twilio, amazonConnect, niceCxone] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each element keeps its own settings type
const settingsOf = <const T extends readonly [VendorDescriptor<any>, ...VendorDescriptor<any>[]]>(vs: T) => vs.map((v) => v.settings) as unknown as { [K in keyof T]: T[K]['settings'] };
/** An integration's `contactCenter` settings, any vendor, discriminated by `vendor`. */
export const VendorSettings = z.discriminatedUnion('vendor', settingsOf(VENDORS));
export type VendorSettings = z.infer<typeof VendorSettings>;
/** A vendor id, e.g. 'amazon_connect'. */
export type VendorId = VendorSettings['vendor'];

const byId = new Map<string, VendorDescriptor>(VENDORS.map((v) => [v.id, v as unknown as VendorDescriptor]));

/** The descriptor of `id`. @throws Error for an id no vendor has (config validation makes that unreachable). */
export function vendorOf<Id extends VendorId>(id: Id): VendorDescriptor<(typeof VENDORS)[number]['settings'], Extract<VendorSettings, { vendor: Id }>> {
  const v = byId.get(id);
  if (!v) throw new Error(`unknown contact-center vendor ${id}`);
  return v as never;
}

/**
 * A vendor's descriptor with its settings-taking methods bound to one integration's settings.
 * The `vendor` discriminant pairs a settings value with its own vendor's methods, which
 * TypeScript cannot follow through the list of vendors: this is the one place that says so.
 */
export interface BoundVendor {
  descriptor: VendorDescriptor;
  /** The function that applies outcomes (API vendors), else undefined. */
  functionName(): string | undefined;
  /** Whether a transfer without the assistant (the drain action) has a target. */
  hasDefaultTarget(): boolean;
  /** The SIP action of a transfer (SIP vendors), else undefined. @throws as the vendor's sipTransfer. */
  sipTransfer: ((input: SipTransferInput) => SipAction) | undefined;
  /** Finds and verifies the call's contact (API vendors), else undefined. Never throws. */
  findContact: ((invite: InviteInfo, tools: ContactTools) => Promise<ContactDecision>) | undefined;
}

/** The descriptor of `settings.vendor`, bound to `settings`. @throws Error for an unknown vendor id. */
export function vendorFor(settings: VendorSettings): BoundVendor {
  const d = byId.get(settings.vendor);
  if (!d) throw new Error(`unknown contact-center vendor ${settings.vendor}`);
  const s = settings;
  return {
    descriptor: d,
    functionName: () => d.functionName?.(s),
    hasDefaultTarget: () => d.hasDefaultTarget(s),
    sipTransfer: d.sipTransfer && ((input) => d.sipTransfer!(input, s)),
    findContact: d.findContact && ((invite, tools) => d.findContact!(invite, s, tools)),
  };
}
