/**
 * vgwActSendSMS parameters -> the SMS to send (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions): `message` (required),
 * `mediaURL` (string or array), `tenantPhoneNumber` (default: the vendor's SMS sender, else
 * the called number), `userPhoneNumber` (default: the caller's number from the INVITE's
 * From, with "+" added to a bare digit string).
 */
import type { CallInfo } from '../call/types.ts';
import type { IntegrationConfig } from '../config/schema.ts';

/** An SMS as adapters/twilio/sms.ts takes it. */
export interface SmsRequestLike {
  to: string;
  from?: string;
  body?: string;
  mediaUrls?: string[];
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export function smsRequest(p: Record<string, unknown>, info: CallInfo, integration: IntegrationConfig): SmsRequestLike {
  const vendor = integration.contactCenter;
  const caller = info.callerUser;
  const media = Array.isArray(p.mediaURL) ? p.mediaURL.filter((u): u is string => typeof u === 'string') : str(p.mediaURL) ? [str(p.mediaURL)!] : undefined;
  return {
    to: str(p.userPhoneNumber) ?? (/^\d+$/.test(caller) ? `+${caller}` : caller),
    from: str(p.tenantPhoneNumber) ?? (vendor.vendor === 'twilio_flex' ? vendor.smsFrom : undefined) ?? integration.number,
    body: str(p.message),
    mediaUrls: media,
  };
}
