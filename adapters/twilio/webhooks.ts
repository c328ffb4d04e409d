/**
 * What the two Twilio webhooks answer, given their already verified form parameters.
 * Pure functions: the Lambda handlers in functions/twilio only parse, verify and reply.
 */
import type { ReceiveCallConfig, ReferHandlerConfig } from './config.ts';
import { studioSafeAgentMessage } from './agent-message.ts';
import { parseReferTransferTarget, type ReferTransferTarget } from './refer-target.ts';
import { dialSipTwiml, mediaCoreSipUri, studioRedirectTwiml } from './twiml.ts';

type Params = Record<string, unknown>;

/**
 * receive-call: `<Dial answerOnBridge="true" referUrl><Sip>sip:{Called}@{host};secure=true</Sip></Dial>`.
 * @throws TwilioInputError (400) for a bad Called or an over-long SIP URI.
 */
export function receiveCallTwiml(params: Params, config: Pick<ReceiveCallConfig, 'sipHost' | 'secure' | 'transport' | 'referUrl'>): string {
  const uri = mediaCoreSipUri(params.Called, { host: config.sipHost, secure: config.secure, transport: config.transport });
  return dialSipTwiml(uri, config.referUrl);
}

/**
 * refer-handler: redirect to the Studio flow with FlowEvent=return, the key found in
 * ReferTransferTarget and, when given, the summary read by that key (made Studio-safe by
 * ./agent-message.ts). @returns the TwiML and the parsed target (for logging).
 * @throws TwilioInputError (400) when ReferTransferTarget is missing.
 */
export function referHandlerTwiml(params: Params, config: Pick<ReferHandlerConfig, 'studioFlowWebhookUrl'>, messageToHumanAgent?: string): { twiml: string; target: ReferTransferTarget } {
  const target = parseReferTransferTarget(params.ReferTransferTarget);
  const summary = messageToHumanAgent && target.sessionHistoryKey ? studioSafeAgentMessage(messageToHumanAgent) : undefined;
  return { twiml: studioRedirectTwiml(config.studioFlowWebhookUrl, target.sessionHistoryKey, summary), target };
}
