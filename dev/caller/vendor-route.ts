/**
 * Which contact center a called number belongs to, so that `npm run call` can send the INVITE
 * that vendor's platform would send. Read from the media core's config (integrations[].number
 * and contactCenter.vendor) when the file exists, else from the four demo numbers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { VENDORS, type VendorId } from '../../adapters/registry.ts';

export type CallVendor = VendorId;

/** The demo numbers of media-core/config/demo.json (each descriptor's dev.demoNumber). */
export const DEMO_NUMBERS: Readonly<Record<string, CallVendor>> = Object.freeze(Object.fromEntries(VENDORS.flatMap((v) => (v.dev.demoNumber ? [[v.dev.demoNumber, v.id]] : []))));

const IDS = new Set<string>(VENDORS.map((v) => v.id));

/** Human name of a vendor for printing. */
export const VENDOR_NAME = Object.freeze(Object.fromEntries(VENDORS.map((v) => [v.id, v.label]))) as Readonly<Record<CallVendor, string>>;

/**
 * The vendor of `number` (E.164) per the config at `configFile`, the demo numbers, or
 * 'sip_trunk' for any other number (a plain SIP call). Numbers compare without the "+".
 */
export function vendorForNumber(number: string, configFile?: string): CallVendor {
  const bare = number.replace(/^\+/, '');
  if (configFile && existsSync(configFile)) {
    try {
      const config = JSON.parse(readFileSync(configFile, 'utf8')) as { integrations?: { number?: string; contactCenter?: { vendor?: string } }[] };
      const match = config.integrations?.find((i) => i.number?.replace(/^\+/, '') === bare);
      const vendor = match?.contactCenter?.vendor;
      if (vendor && IDS.has(vendor)) return vendor as CallVendor;
    } catch {
      // an unreadable config falls back to the demo numbers
    }
  }
  return DEMO_NUMBERS[`+${bare}`] ?? 'sip_trunk';
}
