/**
 * Twilio referUrl (POST, form-encoded): verifies X-Twilio-Signature, reads the session
 * history key from ReferTransferTarget, reads the assistant's message_to_human_agent stored
 * under that key (the 256-character Refer-To cannot carry it), and answers
 * `<Redirect method="POST">` to the Studio flow with
 * FlowEvent=return&SessionHistoryKey=<key>[&MessageToHumanAgent=<summary>]. Forged or
 * unsigned: 403; no ReferTransferTarget: 400. A failed or slow read (over 1 s) only leaves the
 * summary out: the transfer never waits on it. Seed 001 (refer-handler).
 */
import { dynamoAgentMessageReader, type AgentMessageReader } from '../../adapters/twilio/agent-message.ts';
import { loadReferHandlerConfig, type ReferHandlerConfig } from '../../adapters/twilio/config.ts';
import { parseReferTransferTarget } from '../../adapters/twilio/refer-target.ts';
import { referHandlerTwiml } from '../../adapters/twilio/webhooks.ts';
import { redactKey } from '../../lib/redact.ts';
import { twilioWebhook, type TwilioWebhookDeps } from '../middleware/twilio-webhook.ts';
import { twimlResponse } from '../middleware/twiml-response.ts';

/** Longest wait for the summary, ms. */
const READ_TIMEOUT_MS = 1000;

/** Dependencies a test may replace; defaults read process.env, SSM and the state table. */
export interface ReferHandlerDeps extends TwilioWebhookDeps {
  readAgentMessage?: AgentMessageReader;
}

/** Builds the handler; `handler` below is the deployed instance. */
export function createReferHandler(deps: ReferHandlerDeps = {}) {
  let reader: AgentMessageReader | undefined = deps.readAgentMessage;
  const readerFor = (config: ReferHandlerConfig) =>
    (reader ??= config.sessionTable ? dynamoAgentMessageReader({ ...config.sessionTable, timeoutMs: READ_TIMEOUT_MS }) : async () => undefined);
  return twilioWebhook('twilio.refer-handler', loadReferHandlerConfig, async (params, config, log) => {
    const key = parseReferTransferTarget(params.ReferTransferTarget).sessionHistoryKey;
    let summary: string | undefined;
    if (key) {
      try {
        summary = await readerFor(config)(key);
      } catch (err) {
        log.warn({ key: redactKey(key), err: (err as Error).name }, 'message_to_human_agent not read; redirecting without it');
      }
    }
    const { twiml, target } = referHandlerTwiml(params, config, summary);
    log.info(
      { callSid: params.CallSid, scheme: target.scheme, headers: target.headers.map((h) => h.name), key: redactKey(target.sessionHistoryKey), keySource: target.keySource, agentMessage: summary !== undefined },
      'redirecting to Studio flow',
    );
    return twimlResponse(twiml);
  }, deps);
}

export const handler = createReferHandler();
