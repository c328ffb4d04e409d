/**
 * What the two Twilio webhooks answer, given their already verified form parameters.
 * Pure functions: the Lambda handlers in functions/twilio only parse, verify and reply.
 */
import type { ReceiveCallConfig } from './config.ts';
import { dialSipTwiml, mediaCoreSipUri } from './twiml.ts';

type Params = Record<string, unknown>;

/**
 * receive-call: `<Dial answerOnBridge="true" referUrl><Sip>sip:{Called}@{host};secure=true</Sip></Dial>`.
 * @throws TwilioInputError (400) for a bad Called or an over-long SIP URI.
 */
export function receiveCallTwiml(params: Params, config: Pick<ReceiveCallConfig, 'sipHost' | 'secure' | 'transport' | 'referUrl'>): string {
  const uri = mediaCoreSipUri(params.Called, { host: config.sipHost, secure: config.secure, transport: config.transport });
  return dialSipTwiml(uri, config.referUrl);
}

export { referHandlerTwiml } from './studio-redirect.ts';
