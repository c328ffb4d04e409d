/**
 * Pure translation of an outcome into Amazon Connect's UpdateContactAttributes request
 * (docs.aws.amazon.com/connect/latest/APIReference/API_UpdateContactAttributes.html), per the
 * phone integration's contract with the flow (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-amazon-connect): the flow's Check contact attributes
 * block tests `$.Attributes.SessionHistoryKey` Contains "hangup".
 *
 * - transfer: Attributes = { ...custom_data, SessionHistoryKey: <key> }, plus the assistant's
 *             message_to_human_agent in a contact attribute whose name is configured
 *             (AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE, default MessageToHumanAgent), so the
 *             flow or the agent's Contact Control Panel can show it
 * - hangup:   Attributes = { ...custom_data, SessionHistoryKey: "hangup" }
 * - error:    no request. The seed: "the SessionHistoryKey contact attribute is not passed
 *             to the contact flow" on an error; the media core's BYE alone resumes the flow.
 *
 * custom_data is checked against the API's rules before anything is sent: keys only
 * letters, digits, `-` and `_`; values strings (numbers and booleans are refused rather
 * than silently converted, so the flow never compares "1" with 1); SessionHistoryKey is
 * reserved; all attributes together at most 32,768 UTF-8 bytes (keys plus values). The
 * contact's earlier attributes also count toward Connect's limit, which only the service
 * can check; it answers InvalidParameterException then (vendor_rejected).
 */
import type { OutcomeEvent } from '../../events/outcome.ts';
import { truncateMarked, utf8Bytes, withoutControls } from '../common/agent-message.ts';

/** Largest total size of a contact's attributes, in UTF-8 bytes (keys plus values). */
export const MAX_ATTRIBUTES_BYTES = 32_768;
/** Attribute key rule of UpdateContactAttributes. */
export const ATTRIBUTE_KEY_RE = /^[A-Za-z0-9_-]+$/;
/** The attribute the flow branches on. */
export const SESSION_HISTORY_KEY_ATTRIBUTE = 'SessionHistoryKey';
/** Value of SessionHistoryKey that tells the flow to disconnect. */
export const HANGUP_VALUE = 'hangup';

/** Default name of the attribute carrying message_to_human_agent. */
export const DEFAULT_AGENT_MESSAGE_ATTRIBUTE = 'MessageToHumanAgent';
/**
 * Default bound of that attribute's value, UTF-8 bytes. The API takes values up to 32,767
 * characters, but all attributes of a contact share 32,768 bytes, and attributes the flow or
 * other Lambdas set later must still fit; the whole text stays in the screen pop.
 */
export const DEFAULT_AGENT_MESSAGE_MAX_BYTES = 1024;

/** Where message_to_human_agent goes (adapters/amazon-connect/config.ts). */
export interface ConnectAgentMessageOptions {
  /** Attribute name; key rule {@link ATTRIBUTE_KEY_RE}. */
  attribute?: string;
  /** Largest value, UTF-8 bytes. */
  maxBytes?: number;
}

/** The body of UpdateContactAttributes. */
export interface UpdateContactAttributesRequest {
  InstanceId: string;
  InitialContactId: string;
  Attributes: Record<string, string>;
}

export type ConnectTranslation =
  | { action: 'update'; request: UpdateContactAttributesRequest }
  | { action: 'none' }
  | { action: 'invalid'; message: string };

/** Checks custom_data; @returns an error message, or undefined when valid. */
export function validateAttributes(customData: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(customData)) {
    if (!ATTRIBUTE_KEY_RE.test(k)) return `custom_data key "${k.slice(0, 40)}" may only contain letters, digits, - and _`;
    if (k === SESSION_HISTORY_KEY_ATTRIBUTE) return `custom_data may not set ${SESSION_HISTORY_KEY_ATTRIBUTE} (reserved for the integration)`;
    if (typeof v !== 'string') return `custom_data value of "${k}" must be a string, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`;
  }
  return undefined;
}

/** UTF-8 bytes of all keys and values. */
export function attributesBytes(attributes: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(attributes)) n += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8');
  return n;
}

/** Translates a validated amazon_connect outcome. */
export function translateOutcome(outcome: OutcomeEvent, agentMessage: ConnectAgentMessageOptions = {}): ConnectTranslation {
  if (outcome.kind === 'error') return { action: 'none' };
  const ctx = outcome.amazonConnect;
  if (!ctx) return { action: 'invalid', message: 'amazonConnect context missing' };
  const problem = validateAttributes(outcome.customData);
  if (problem) return { action: 'invalid', message: problem };
  const key = outcome.kind === 'transfer' ? outcome.sessionHistoryKey! : HANGUP_VALUE;
  const Attributes: Record<string, string> = { ...(outcome.customData as Record<string, string>), [SESSION_HISTORY_KEY_ATTRIBUTE]: key };
  const summary = outcome.kind === 'transfer' && outcome.messageToHumanAgent ? withoutControls(outcome.messageToHumanAgent) : '';
  if (summary) {
    const name = agentMessage.attribute ?? DEFAULT_AGENT_MESSAGE_ATTRIBUTE;
    if (name in Attributes) return { action: 'invalid', message: `custom_data may not set ${name} (reserved for message_to_human_agent)` };
    // What is left of the contact's 32,768 bytes after the other attributes, and the configured bound.
    const room = Math.min(agentMessage.maxBytes ?? DEFAULT_AGENT_MESSAGE_MAX_BYTES, MAX_ATTRIBUTES_BYTES - attributesBytes(Attributes) - utf8Bytes(name));
    if (room > 0) Attributes[name] = truncateMarked(summary, room, utf8Bytes);
  }
  const bytes = attributesBytes(Attributes);
  if (bytes > MAX_ATTRIBUTES_BYTES) return { action: 'invalid', message: `attributes total ${bytes} bytes, over Amazon Connect's ${MAX_ATTRIBUTES_BYTES}` };
  return { action: 'update', request: { InstanceId: ctx.InstanceId, InitialContactId: ctx.InitialContactId, Attributes } };
}

/**
 * Instance id from an instance ARN (arn:<partition>:connect:<region>:<account>:instance/<id>,
 * docs.aws.amazon.com/connect/latest/adminguide/find-instance-arn.html), or undefined for
 * anything else. The id is 1-100 of [A-Za-z0-9_-] (UpdateContactAttributes InstanceId).
 */
export function instanceIdFromArn(arn: string | undefined): string | undefined {
  const m = /^arn:aws[\w-]*:connect:[\w-]+:\d{12}:instance\/([\w-]{1,100})$/.exec(arn ?? '');
  return m?.[1];
}
