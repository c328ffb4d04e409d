/**
 * Twilio referUrl (POST, form-encoded): verifies X-Twilio-Signature, reads the session
 * history key from ReferTransferTarget and answers `<Redirect method="POST">` to the Studio
 * flow with FlowEvent=return&SessionHistoryKey=<key>. Forged or unsigned: 403; no
 * ReferTransferTarget: 400. Seed 001 (refer-handler).
 */
import { loadReferHandlerConfig } from '../../adapters/twilio/config.ts';
import { referHandlerTwiml } from '../../adapters/twilio/webhooks.ts';
import { redactKey } from '../../lib/redact.ts';
import { twilioWebhook, type TwilioWebhookDeps } from '../middleware/twilio-webhook.ts';
import { twimlResponse } from '../middleware/twiml-response.ts';

/** Dependencies a test may replace; defaults read process.env and SSM. */
export type ReferHandlerDeps = TwilioWebhookDeps;

/** Builds the handler; `handler` below is the deployed instance. */
export function createReferHandler(deps: ReferHandlerDeps = {}) {
  return twilioWebhook('twilio.refer-handler', loadReferHandlerConfig, (params, config, log) => {
    const { twiml, target } = referHandlerTwiml(params, config);
    log.info(
      { callSid: params.CallSid, scheme: target.scheme, headers: target.headers.map((h) => h.name), key: redactKey(target.sessionHistoryKey), keySource: target.keySource },
      'redirecting to Studio flow',
    );
    return twimlResponse(twiml);
  }, deps);
}

export const handler = createReferHandler();
