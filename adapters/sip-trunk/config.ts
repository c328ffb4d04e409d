/**
 * Generic SIP trunk settings and the assistant's `service_desk.sip` transfer target
 * (connect_to_agent: https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions).
 */
import { z } from 'zod';
import { SIP_TOKEN_RE } from '../../events/sip-header.ts';

// No whitespace, control character, <, > or " (events/sip-header.ts uriProblem).
const Uri = z.string().regex(/^(sip|tel):[^\s<>"\u0000-\u001f\u007f]+$/i, 'must be a sip: or tel: URI');
/** A header name: RFC 3261 section 25.1 token. */
const HeaderName = z.string().regex(SIP_TOKEN_RE, 'not an RFC 3261 token');
const Code = z.union([z.number().int(), z.string().regex(/^\d{3}$/)]).transform((c) => Number(c));

/** `transfer_info.target.service_desk.sip` as the assistant sends it. */
export const ServiceDeskSip = z.object({
  /** Transfer target; the trunk's agentUri when absent. */
  uri: Uri.optional(),
  transfer_method: z.enum(['refer', 'hangup']).default('refer'),
  transfer_target_header: HeaderName.optional(),
  transfer_headers: z.array(z.object({ name: HeaderName, value: z.string() })).default([]),
  transfer_headers_send_method: z.enum(['custom_header', 'contact_header', 'refer_to_header']).default('custom_header'),
  /** NOTIFY sipfrag codes treated as success besides 2xx. */
  accept_transfer_reject_codes: z.array(Code).default([]),
});
export type ServiceDeskSip = z.infer<typeof ServiceDeskSip>;
export type ServiceDeskSipInput = z.input<typeof ServiceDeskSip>;

export interface SipTrunkConfig {
  agentUri?: string;
  transferTargetHeader?: string;
  /** Header carrying message_to_human_agent on the transfer (e.g. X-Agent-Message); unset: not sent. */
  agentMessageHeader?: string;
}

/** The integration's `contactCenter` settings for a generic SIP trunk. */
export const SipTrunkSettings = z.object({
  vendor: z.literal('sip_trunk'),
  /** REFER target when the assistant's service_desk.sip has no uri. */
  agentUri: z.string().regex(/^(sip|tel):/, 'must be a sip: or tel: URI').optional(),
  /** SIP header carrying connect_to_agent's message_to_human_agent on the transfer (RFC 3261 token); unset: not sent. */
  agentMessageHeader: z.string().regex(/^[A-Za-z0-9\-.!%*_+`'~]{1,64}$/, 'an RFC 3261 header name').optional(),
});
