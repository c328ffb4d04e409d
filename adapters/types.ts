/**
 * Shapes shared by the vendor folders in adapters/. A vendor is one folder whose vendor.ts
 * exports its descriptor (vendor-descriptor.ts), listed in registry.ts; see
 * docs/adding-a-contact-center.md. Usual files besides vendor.ts:
 *
 *   settings.ts / config.ts  zod schemas: the integration's settings; the functions' environment (lib/env.ts)
 *   contact.ts          how the contact is found and verified from the INVITE (API vendors)
 *   translate.ts        pure: outcome -> the vendor's request (API call or SIP action); no I/O
 *   client.ts           the vendor API client (endpoint from config, so sandboxes can stand in)
 *   apply.ts, applier.ts  the outcome function's apply step: validation, idempotency, retry inside the deadline
 *   deploy.ts           the vendor's functions and least-privilege roles in the stack
 *   test-connection.ts  the "Test connection" button: a cheap authenticated read
 *
 * Vendors whose outcome is carried over SIP (sip-trunk, twilio) translate to a
 * {@link SipAction} that the media core performs itself.
 */
import type { SipHeader } from '../events/sip-header.ts';

/** A SIP request the media core sends to end the call the vendor's way. */
export type SipAction =
  | {
      kind: 'refer';
      /** Refer-To URI (sip: or tel:), without the URI headers. */
      target: string;
      /** Headers embedded in the Refer-To URI (?name=value). */
      referToHeaders: SipHeader[];
      /** Extra headers on the REFER request. */
      headers: SipHeader[];
      /** Headers embedded in the REFER's Contact URI (contact_header send method). */
      contactHeaders?: SipHeader[];
      /** NOTIFY sipfrag codes treated as success besides 2xx. */
      acceptCodes: number[];
    }
  | {
      kind: 'bye';
      /** Extra headers on the BYE. */
      headers: SipHeader[];
    };

/** Result of a "Test connection" check. `reason` is safe to print (no secrets). */
export interface ConnectionCheck {
  vendor: string;
  valid: boolean;
  reason: string;
}
