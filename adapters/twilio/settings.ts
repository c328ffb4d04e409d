/** The integration's `contactCenter` settings for Twilio Flex (the media core's config file). */
import { z } from 'zod';
import { E164 } from '../../lib/phone.ts';

export const TwilioFlexSettings = z.object({
  vendor: z.literal('twilio_flex'),
  /** Flex queue URI the REFER goes to (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-flex). */
  referUri: z.string().regex(/^(sip|tel):/, 'must be a sip: or tel: URI').default('sip:queue@flex.twilio.com'),
  /** The Twilio number used as SMS sender when vgwActSendSMS has no tenantPhoneNumber. */
  smsFrom: E164.optional(),
});
