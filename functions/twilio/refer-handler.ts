/**
 * Twilio referUrl (POST, form-encoded): verifies X-Twilio-Signature, reads the session
 * history key from ReferTransferTarget, reads the assistant's message_to_human_agent stored
 * under that key (the 256-character Refer-To cannot carry it), mints the agent's signed
 * screen-pop link for the key (adapters/agent-view/link.ts, the same minting as the Amazon
 * Connect flow function's screenPopURL), and answers `<Redirect method="POST">` to the Studio
 * flow with FlowEvent=return&SessionHistoryKey=<key>[&MessageToHumanAgent=<summary>][&ScreenPopUrl=<link>]
 * (infra/twilio/studio-flow.json puts both in the Flex task's attributes). Forged or unsigned:
 * 403; no ReferTransferTarget: 400. The read and the link's secret (SSM, through Powertools
 * like the auth token) run side by side, each bounded to 1 s; a failure or a timeout only
 * leaves that parameter out: the transfer never waits on it. Spec:
 * refer-handler in https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-flex.
 */
import { screenPopSecret } from '../../adapters/agent-view/config.ts';
import { screenPopLink } from '../../adapters/agent-view/link.ts';
import { dynamoAgentMessageReader, type AgentMessageReader } from '../../adapters/twilio/agent-message.ts';
import { fetchSsmParameter } from '../../adapters/twilio/auth-token.ts';
import { loadReferHandlerConfig, type ReferHandlerConfig } from '../../adapters/twilio/config.ts';
import { loadReferHandlerWithScreenPop, type ReferScreenPopConfig } from '../../adapters/twilio/screen-pop.ts';
import { parseReferTransferTarget } from '../../adapters/twilio/refer-target.ts';
// Not ./webhooks.ts: that one loads twilio-node's VoiceResponse for receive-call (bundle size).
import { referHandlerTwiml } from '../../adapters/twilio/studio-redirect.ts';
import { redactKey } from '../../lib/redact.ts';
import { twilioWebhook, type TwilioWebhookDeps } from '../middleware/twilio-webhook.ts';
import { twimlResponse } from '../middleware/twiml-response.ts';

/** Longest wait for the summary, and for the link's secret, ms. */
const READ_TIMEOUT_MS = 1000;

/** Dependencies a test may replace; defaults read process.env, SSM and the state table. */
export interface ReferHandlerDeps extends TwilioWebhookDeps {
  readAgentMessage?: AgentMessageReader;
  /** Clock for the screen-pop link's expiry, epoch ms (tests). */
  now?: () => number;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} took over ${ms} ms`), { name: 'TimeoutError' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Builds the handler; `handler` below is the deployed instance. */
export function createReferHandler(deps: ReferHandlerDeps = {}) {
  let reader: AgentMessageReader | undefined = deps.readAgentMessage;
  const readerFor = (config: ReferHandlerConfig) =>
    (reader ??= config.sessionTable ? dynamoAgentMessageReader({ ...config.sessionTable, timeoutMs: READ_TIMEOUT_MS }) : async () => undefined);
  // Kept for the container once read (Powertools caches the SSM value too); a failed read is retried next call.
  let secret: Promise<string> | undefined;
  const linkFor = async (config: { screenPop?: ReferScreenPopConfig }, key: string): Promise<string | undefined> => {
    const sp = config.screenPop;
    if (!sp) return undefined;
    secret ??= screenPopSecret(sp.settings, deps.fetchParameter ?? fetchSsmParameter);
    try {
      const s = await within(secret, READ_TIMEOUT_MS, 'screen pop secret');
      return screenPopLink(sp.pageUrl, key, s, { ttlSeconds: sp.settings.SCREEN_POP_LINK_TTL_SECONDS, nowMs: deps.now?.() });
    } catch (err) {
      if (!(err instanceof RangeError)) secret = undefined; // RangeError: a malformed key, not the secret
      throw err;
    }
  };
  const loadConfig = (env: Record<string, string | undefined> = process.env) => loadReferHandlerWithScreenPop(loadReferHandlerConfig, env);
  return twilioWebhook('twilio.refer-handler', loadConfig, async (params, config, log) => {
    const key = parseReferTransferTarget(params.ReferTransferTarget).sessionHistoryKey;
    let summary: string | undefined;
    let screenPopUrl: string | undefined;
    if (key) {
      const [read, link] = await Promise.allSettled([readerFor(config)(key), linkFor(config, key)]);
      if (read.status === 'fulfilled') summary = read.value;
      else log.warn({ key: redactKey(key), err: (read.reason as Error).name }, 'message_to_human_agent not read; redirecting without it');
      if (link.status === 'fulfilled') screenPopUrl = link.value;
      else log.warn({ key: redactKey(key), err: (link.reason as Error).name, reason: (link.reason as Error).message }, 'screen pop link not minted; redirecting without it');
    }
    const { twiml, target } = referHandlerTwiml(params, config, { messageToHumanAgent: summary, screenPopUrl });
    log.info(
      {
        callSid: params.CallSid,
        scheme: target.scheme,
        headers: target.headers.map((h) => h.name),
        key: redactKey(target.sessionHistoryKey),
        keySource: target.keySource,
        agentMessage: summary !== undefined,
        screenPopLink: screenPopUrl !== undefined,
      },
      'redirecting to Studio flow',
    );
    return twimlResponse(twiml);
  }, deps);
}

export const handler = createReferHandler();
