/**
 * TwiML the two webhooks answer, built with twilio-node's VoiceResponse (deep import).
 *
 * receive-call: `<Dial answerOnBridge="true" referUrl="..."><Sip>sip:{Called}@{host};secure=true</Sip></Dial>`
 * (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-flex; twilio.com/docs/voice/twiml/sip: the URI must stay within 255 characters, Twilio
 * takes no `sips:` but `;secure=true` for TLS + SRTP).
 * refer-handler: `<Redirect method="POST">` to the Studio flow, in ./studio-redirect.ts.
 */
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import { TwilioInputError } from './errors.ts';

/** Twilio's limit on a `<Sip>` URI, in characters. */
export const MAX_SIP_URI_LENGTH = 255;

const E164 = /^\+[1-9]\d{1,14}$/;
/** RFC 3261 §25.1 `user`: 1*( unreserved / escaped / user-unreserved ). */
const SIP_USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;

/**
 * Checks Twilio's `Called` parameter and says what it is.
 * @throws TwilioInputError (400) when it is neither E.164 nor an RFC 3261 SIP user part.
 */
export function classifyCalled(called: unknown): 'e164' | 'sip-user' {
  if (typeof called !== 'string' || called === '') throw new TwilioInputError('Called is required');
  if (E164.test(called)) return 'e164';
  if (SIP_USER.test(called)) return 'sip-user';
  throw new TwilioInputError('Called is neither an E.164 number nor a valid SIP user part (RFC 3261)');
}

/** How to reach the media core. */
export interface SipTargetOptions {
  /** host[:port] of the media core. */
  host: string;
  /** true: `;secure=true`; false: `;transport=<transport>`. */
  secure: boolean;
  transport: 'tcp' | 'udp';
}

/**
 * `sip:{called}@{host};secure=true` (or `;transport=tcp|udp` when not secure).
 * @throws TwilioInputError for a bad Called or a URI over {@link MAX_SIP_URI_LENGTH} characters.
 */
export function mediaCoreSipUri(called: unknown, opts: SipTargetOptions): string {
  classifyCalled(called);
  const uri = `sip:${called as string}@${opts.host};${opts.secure ? 'secure=true' : `transport=${opts.transport}`}`;
  if (uri.length > MAX_SIP_URI_LENGTH) {
    throw new TwilioInputError(`SIP URI would be ${uri.length} characters; Twilio allows at most ${MAX_SIP_URI_LENGTH}`);
  }
  return uri;
}

/** receive-call's TwiML for an already checked SIP URI. */
export function dialSipTwiml(sipUri: string, referUrl: string): string {
  const response = new VoiceResponse();
  response.dial({ answerOnBridge: true, referUrl }).sip(sipUri);
  return response.toString();
}

// The refer-handler's redirect lives apart so that its bundle does not carry VoiceResponse.
export { studioReturnUrl, studioRedirectTwiml, type StudioReturnParams } from './studio-redirect.ts';
