/**
 * Twilio Flex outcome -> the SIP request the media core performs (pure, no I/O).
 *
 * transfer: REFER with Refer-To `sip:queue@flex.twilio.com` (configurable) carrying
 *   `X-Watson-Assistant-Session-History-Key=<key>` (plus optional custom headers) as URI
 *   headers, i.e. the phone integration's `transfer_headers_send_method: refer_to_header`
 *   (seed 001). Twilio accepts a Refer-To of at most 256 characters
 *   (twilio.com/docs/voice/api/refer-to-twilio), so a longer one is an error here rather
 *   than a failed transfer later.
 * hangup / error: BYE with no headers (the Studio flow's own path takes over).
 */
import { OutcomeEvent, type OutcomeEventInput } from '../../events/outcome.ts';
import { assertSafeHeaders, assertSafeUri, UnsafeSipHeaderError, withUriHeaders } from '../../events/sip-header.ts';
import type { SipAction } from '../types.ts';
import { SESSION_HISTORY_KEY_HEADER } from './refer-target.ts';
import type { SipHeader } from '../../events/sip-header.ts';

/** Default transfer target of the seed. */
export const DEFAULT_FLEX_REFER_TO = 'sip:queue@flex.twilio.com';
/** Twilio's limit on the Refer-To value, in characters. */
export const MAX_REFER_TO_LENGTH = 256;

/** Options of the Flex transfer. */
export interface FlexTransferOptions {
  /** Refer-To URI without headers (sip: or tel:); default {@link DEFAULT_FLEX_REFER_TO}. */
  referTo?: string;
  /** Extra URI headers after the key (e.g. X-Customer-Tier). */
  headers?: SipHeader[];
}

/** Thrown when the outcome cannot be expressed as a Twilio-acceptable REFER. */
export class TwilioTranslateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TwilioTranslateError';
  }
}

export { UnsafeSipHeaderError };

/**
 * Translates a Twilio Flex outcome into the SIP action the media core performs.
 * @param outcome an outcome event (validated here against events/outcome.ts).
 * @returns a `refer` action for transfer, a `bye` action for hangup and error.
 * @throws UnsafeSipHeaderError (events/sip-header.ts) for a header name that is not an RFC 3261
 *   token, a control character in a value or the target; TwilioTranslateError for another
 *   vendor, a target that is not a sip:/tel: URI, or a Refer-To over 256 characters; ZodError
 *   for an outcome that breaks the contract.
 */
export function translateOutcome(outcome: OutcomeEventInput, opts: FlexTransferOptions = {}): SipAction {
  const o = OutcomeEvent.parse(outcome);
  if (o.vendor !== 'twilio_flex') throw new TwilioTranslateError(`outcome is for ${o.vendor}, not twilio_flex`);
  if (o.kind !== 'transfer') return { kind: 'bye', headers: [] };
  const target = opts.referTo ?? DEFAULT_FLEX_REFER_TO;
  assertSafeUri(target);
  if (!/^(sip|tel):[^\s?<>]+$/i.test(target)) throw new TwilioTranslateError(`Refer-To target must be a sip: or tel: URI without headers`);
  const referToHeaders: SipHeader[] = assertSafeHeaders([{ name: SESSION_HISTORY_KEY_HEADER, value: o.sessionHistoryKey! }, ...(opts.headers ?? [])], 'external');
  // Measured on the very string the media core sends (media-core/engine/call.ts refer).
  const length = withUriHeaders(target, referToHeaders).length;
  if (length > MAX_REFER_TO_LENGTH) {
    throw new TwilioTranslateError(`Refer-To would be ${length} characters; Twilio accepts at most ${MAX_REFER_TO_LENGTH}`);
  }
  return { kind: 'refer', target, referToHeaders, headers: [], acceptCodes: [] };
}
