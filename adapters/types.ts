import type { SipHeader } from '../events/sip-header.ts';
/**
 * What every vendor folder in adapters/ provides. Each folder has the same files:
 *
 *   config.ts           zod schema of the vendor's settings, loaded once (lib/env.ts)
 *   translate.ts        pure: OutcomeEvent -> the vendor's request (API call or SIP action); no I/O
 *   client.ts           the vendor API client (endpoint from config, so sandboxes can stand in)
 *   apply.ts            applyOutcome(): validation, idempotency, retry inside the deadline -> AdapterReply
 *   test-connection.ts  the "Test connection" button: a cheap authenticated read
 *   index.ts            the folder's public exports
 *
 * Vendors whose outcome is carried over SIP (sip-trunk, twilio-flex) translate to a
 * {@link SipAction} that the media core performs itself; their client.ts talks to the
 * vendor's other APIs (Twilio Messages) or is absent.
 */

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
