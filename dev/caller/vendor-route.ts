/**
 * Which contact center a called number belongs to, so that `npm run call` can send the INVITE
 * that vendor's platform would send. Read from the media core's config (integrations[].number
 * and contactCenter.vendor) when the file exists, else from the four demo numbers.
 */
import { existsSync, readFileSync } from 'node:fs';

export type CallVendor = 'sip_trunk' | 'twilio_flex' | 'amazon_connect' | 'nice_cxone';

/** The demo numbers of media-core/config/demo.json. */
export const DEMO_NUMBERS: Readonly<Record<string, CallVendor>> = Object.freeze({
  '+15550100001': 'sip_trunk',
  '+15550100002': 'twilio_flex',
  '+15550100003': 'amazon_connect',
  '+15550100004': 'nice_cxone',
});

const VENDORS = new Set<string>(['sip_trunk', 'twilio_flex', 'amazon_connect', 'nice_cxone']);

/** Human name of a vendor for printing. */
export const VENDOR_NAME: Readonly<Record<CallVendor, string>> = Object.freeze({
  sip_trunk: 'SIP trunk',
  twilio_flex: 'Twilio Flex',
  amazon_connect: 'Amazon Connect',
  nice_cxone: 'NICE CXone',
});

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
      if (vendor && VENDORS.has(vendor)) return vendor as CallVendor;
    } catch {
      // an unreadable config falls back to the demo numbers
    }
  }
  return DEMO_NUMBERS[`+${bare}`] ?? 'sip_trunk';
}
