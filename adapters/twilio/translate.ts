/**
 * Twilio Flex transfer -> the REFER the media core performs (pure, no I/O).
 *
 * transfer: REFER with Refer-To `sip:queue@flex.twilio.com` (configurable) carrying
 *   `X-Watson-Assistant-Session-History-Key=<key>` (plus optional custom headers) as URI
 *   headers, i.e. the phone integration's `transfer_headers_send_method: refer_to_header`
 *   (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-flex). Twilio accepts a Refer-To of at most 256 characters
 *   (twilio.com/docs/voice/api/refer-to-twilio), so a longer one is an error here rather
 *   than a failed transfer later.
 */
import { assertSafeHeaders, assertSafeUri, UnsafeSipHeaderError, withUriHeaders } from '../../events/sip-header.ts';
import type { SipAction } from '../types.ts';
import { SESSION_HISTORY_KEY_HEADER } from './refer-target.ts';
import type { SipHeader } from '../../events/sip-header.ts';

/** Default transfer target of IBM's Twilio Flex setup (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-flex). */
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
 * The REFER of a Flex transfer (hang-up and error are a BYE without headers: the Studio
 * flow's own path takes over).
 * @param sessionHistoryKey sent as a Refer-To URI header.
 * @throws UnsafeSipHeaderError (events/sip-header.ts) for a header name that is not an RFC 3261
 *   token, a control character in a value or the target; TwilioTranslateError for a target
 *   that is not a sip:/tel: URI, or a Refer-To over 256 characters as sent.
 */
export function translateTransfer(sessionHistoryKey: string, opts: FlexTransferOptions = {}): SipAction {
  const target = opts.referTo ?? DEFAULT_FLEX_REFER_TO;
  assertSafeUri(target);
  if (!/^(sip|tel):[^\s?<>]+$/i.test(target)) throw new TwilioTranslateError(`Refer-To target must be a sip: or tel: URI without headers`);
  const referToHeaders: SipHeader[] = assertSafeHeaders([{ name: SESSION_HISTORY_KEY_HEADER, value: sessionHistoryKey }, ...(opts.headers ?? [])], 'external');
  // Measured on the very string the media core sends (media-core/engine/call.ts refer).
  const length = withUriHeaders(target, referToHeaders).length;
  if (length > MAX_REFER_TO_LENGTH) {
    throw new TwilioTranslateError(`Refer-To would be ${length} characters; Twilio accepts at most ${MAX_REFER_TO_LENGTH}`);
  }
  return { kind: 'refer', target, referToHeaders, headers: [], acceptCodes: [] };
}
