/**
 * Twilio voice webhook (POST, form-encoded): verifies X-Twilio-Signature, then answers
 * `<Dial answerOnBridge="true" referUrl><Sip>sip:{Called}@{media core};secure=true</Sip></Dial>`.
 * Forged or unsigned: 403. Bad Called or over-long SIP URI: 400. Spec: receive-call in
 * https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-flex.
 */
import { loadReceiveCallConfig } from '../../adapters/twilio/config.ts';
import { receiveCallTwiml } from '../../adapters/twilio/webhooks.ts';
import { redactNumber } from '../../lib/redact.ts';
import { twilioWebhook, type TwilioWebhookDeps } from '../middleware/twilio-webhook.ts';
import { twimlResponse } from '../middleware/twiml-response.ts';

/** Dependencies a test may replace; defaults read process.env and SSM. */
export type ReceiveCallDeps = TwilioWebhookDeps;

/** Builds the handler; `handler` below is the deployed instance. */
export function createReceiveCallHandler(deps: ReceiveCallDeps = {}) {
  return twilioWebhook('twilio.receive-call', loadReceiveCallConfig, (params, config, log) => {
    const twiml = receiveCallTwiml(params, config);
    log.info({ callSid: params.CallSid, called: redactNumber(String(params.Called)) }, 'dialing media core');
    return twimlResponse(twiml);
  }, deps);
}

export const handler = createReceiveCallHandler();
