/**
 * refer-handler's answer: `<Redirect method="POST">` back to the Studio flow
 * (twilio.com/docs/voice/twiml/redirect; twilio.com/docs/studio/widget-library/twiml-redirect:
 * a redirect to the flow's webhook URL with `FlowEvent=return` resumes the TwiML Redirect
 * widget, whose `return` transition the flow follows, and the URL's other query parameters
 * become `{{widgets.<widget>.<Name>}}`).
 *
 * Built by hand, not with twilio-node's VoiceResponse: that pulls xmlbuilder (about 80 KB
 * minified) into the refer-handler's bundle for one element, and the bundle must stay under
 * 150 KB for cold start. The output is the same document VoiceResponse writes
 * (test/unit/twilio-refer-target.test.ts compares them).
 */
import { studioSafeAgentMessage } from './agent-message.ts';
import type { ReferHandlerConfig } from './config.ts';
import { parseReferTransferTarget, type ReferTransferTarget } from './refer-target.ts';

/** What the redirect hands the Studio flow besides the key. */
export interface StudioReturnParams {
  /** `MessageToHumanAgent`: the assistant's summary, already Studio-safe. */
  messageToHumanAgent?: string;
  /** `ScreenPopUrl`: the agent's signed screen-pop link (adapters/agent-view/link.ts). */
  screenPopUrl?: string;
}

/**
 * The Studio flow URL with `FlowEvent=return` and, when known, `SessionHistoryKey=<key>`,
 * `MessageToHumanAgent=<summary>` and `ScreenPopUrl=<signed link>` (query values
 * percent-encoded; an existing query is kept).
 */
export function studioReturnUrl(studioFlowWebhookUrl: string, sessionHistoryKey?: string, extra: StudioReturnParams = {}): string {
  const url = new URL(studioFlowWebhookUrl);
  url.searchParams.set('FlowEvent', 'return');
  if (sessionHistoryKey) url.searchParams.set('SessionHistoryKey', sessionHistoryKey);
  if (extra.messageToHumanAgent) url.searchParams.set('MessageToHumanAgent', extra.messageToHumanAgent);
  if (extra.screenPopUrl) url.searchParams.set('ScreenPopUrl', extra.screenPopUrl);
  return url.toString();
}

// xmlbuilder's text escaping (what VoiceResponse applies to element text): &, <, > and CR.
const XML_TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const escapeXmlText = (s: string) => s.replace(/[&<>\r]/g, (c) => XML_TEXT[c]!);

/** refer-handler's TwiML: `<Redirect method="POST">` to {@link studioReturnUrl}. */
export function studioRedirectTwiml(studioFlowWebhookUrl: string, sessionHistoryKey?: string, extra: StudioReturnParams = {}): string {
  const url = studioReturnUrl(studioFlowWebhookUrl, sessionHistoryKey, extra);
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Redirect method="POST">${escapeXmlText(url)}</Redirect></Response>`;
}

/**
 * refer-handler: redirect to the Studio flow with FlowEvent=return, the key found in
 * ReferTransferTarget and, when given and a key was found, the summary read by that key (made
 * Studio-safe by ./agent-message.ts) and the signed screen-pop link minted for it.
 * A link holding `"` or `\` is left out: Studio pastes it into the task attributes JSON as it is.
 * @returns the TwiML and the parsed target (for logging).
 * @throws TwilioInputError (400) when ReferTransferTarget is missing.
 */
export function referHandlerTwiml(
  params: Record<string, unknown>,
  config: Pick<ReferHandlerConfig, 'studioFlowWebhookUrl'>,
  found: { messageToHumanAgent?: string; screenPopUrl?: string } = {},
): { twiml: string; target: ReferTransferTarget } {
  const target = parseReferTransferTarget(params.ReferTransferTarget);
  const key = target.sessionHistoryKey;
  const messageToHumanAgent = found.messageToHumanAgent && key ? studioSafeAgentMessage(found.messageToHumanAgent) : undefined;
  const screenPopUrl = found.screenPopUrl && key && !/["\\]/.test(found.screenPopUrl) ? found.screenPopUrl : undefined;
  return { twiml: studioRedirectTwiml(config.studioFlowWebhookUrl, key, { messageToHumanAgent, screenPopUrl }), target };
}
