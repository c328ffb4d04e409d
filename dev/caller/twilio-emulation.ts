/**
 * Plays Twilio's part of a Twilio Flex call against the local stack, as Twilio Programmable
 * Voice would (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-flex; twilio.com/docs/voice/twiml/dial#referurl):
 *
 *   1. POST the voice webhook (receive-call) with Called=<number>, signed with
 *      X-Twilio-Signature; the reply is `<Dial answerOnBridge="true" referUrl=...><Sip>URI</Sip></Dial>`.
 *   2. Twilio then sends the INVITE to that SIP URI (the caller does: SIPp).
 *   3. When the media core sends REFER, Twilio POSTs the referUrl with ReferTransferTarget =
 *      the Refer-To value; the reply is `<Redirect method="POST">` to the Studio flow with
 *      FlowEvent=return&SessionHistoryKey=<key>, MessageToHumanAgent and the signed ScreenPopUrl.
 *
 * Signatures use twilio-node's getExpectedTwilioSignature (twilio/lib/webhooks/webhooks),
 * over the public URL as Twilio would call it.
 */
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';

/** What Twilio knows about the account and where the functions are published. */
export interface TwilioEmulation {
  /** PUBLIC_BASE_URL of the functions, e.g. http://127.0.0.1:3000 (the signed URL starts with it). */
  publicBaseUrl: string;
  /** The auth token the functions verify signatures with (TWILIO_AUTH_TOKEN). */
  authToken: string;
  /** AccountSid sent in the webhook parameters. */
  accountSid: string;
}

export interface WebhookReply {
  /** The URL requested (and signed). */
  url: string;
  status: number;
  /** Response body (TwiML or an error text). */
  body: string;
}

/** Twilio's voice webhook parameters for an inbound call to `called` (Twilio's names). */
export function twilioVoiceParams(o: { accountSid: string; callSid: string; called: string; caller: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: o.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: o.callSid,
    CallStatus: 'in-progress',
    Called: o.called,
    Caller: o.caller,
    Direction: 'inbound',
    From: o.caller,
    To: o.called,
    ...extra,
  };
}

/**
 * POSTs form `params` to `url` with X-Twilio-Signature computed from `authToken`, bounded to 15 s
 * (Twilio's webhook read timeout).
 * @throws Error when the request cannot be made (connection refused, timeout).
 */
export async function postSignedWebhook(url: string, params: Record<string, string>, authToken: string): Promise<WebhookReply> {
  const r = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
      'x-twilio-signature': getExpectedTwilioSignature(authToken, url, params),
      'user-agent': 'TwilioProxy/1.1 (npm run call emulation)',
    },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(15_000),
  });
  return { url, status: r.status, body: await r.text() };
}

const unescapeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

function attribute(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? unescapeXml(m[1]!) : undefined;
}

/** The `<Dial>` of a receive-call reply. */
export interface DialSip {
  /** The `<Sip>` URI, e.g. sip:+15550100002@127.0.0.1:5060. */
  sipUri: string;
  /** The URI's user part (the called number the INVITE carries). */
  user: string;
  referUrl?: string;
  answerOnBridge: boolean;
}

/** Reads `<Dial ...><Sip>uri</Sip></Dial>` from TwiML; undefined when there is none. */
export function parseDialSip(twiml: string): DialSip | undefined {
  const dial = /<Dial\b[^>]*>/.exec(twiml)?.[0];
  const sip = /<Sip\b[^>]*>([^<]*)<\/Sip>/.exec(twiml)?.[1];
  if (!dial || !sip) return undefined;
  const sipUri = unescapeXml(sip.trim());
  const user = /^sips?:([^@;?]+)@/.exec(sipUri)?.[1];
  if (!user) return undefined;
  return { sipUri, user: decodeURIComponent(user), referUrl: attribute(dial, 'referUrl'), answerOnBridge: attribute(dial, 'answerOnBridge') === 'true' };
}

/** The `<Redirect>` of a refer-handler reply, with the Studio parameters of its URL. */
export interface StudioRedirect {
  url: string;
  method: string;
  flowEvent?: string;
  sessionHistoryKey?: string;
  /** The signed screen-pop link the flow puts in the Flex task (ScreenPopUrl). */
  screenPopUrl?: string;
}

/** Reads `<Redirect method="POST">url</Redirect>` from TwiML; undefined when there is none. */
export function parseRedirect(twiml: string): StudioRedirect | undefined {
  const m = /<Redirect\b([^>]*)>([^<]*)<\/Redirect>/.exec(twiml);
  if (!m) return undefined;
  const url = unescapeXml(m[2]!.trim());
  let query = new URLSearchParams();
  try {
    query = new URL(url).searchParams;
  } catch {
    // not an absolute URL: no parameters to read
  }
  return {
    url,
    method: attribute(` ${m[1]}`, 'method') ?? 'POST',
    flowEvent: query.get('FlowEvent') ?? undefined,
    sessionHistoryKey: query.get('SessionHistoryKey') ?? undefined,
    ...(query.has('ScreenPopUrl') ? { screenPopUrl: query.get('ScreenPopUrl')! } : {}),
  };
}
