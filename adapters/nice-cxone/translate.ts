/**
 * Pure translation of an outcome into NICE CXone's "Signal a contact" parameters
 * (Admin API POST /interactions/{contactId}/signal, p1..p9), per
 * https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-nicecxone:
 *
 * - transfer: p1 = the session history key, p2..p9 from custom_data (the script's OnSignal
 *             saves {p1} and runs Reqagent)
 * - hangup:   p1 = "hangup", p2..p9 from custom_data (the script hangs up)
 * - error:    no signal; the media core's BYE triggers the script's OnRelease.
 *
 * custom_data may only name p2..p9 (p1 is reserved; anything else is refused, nothing is
 * sent); when the deployment gives message_to_human_agent a slot of its own
 * (CXONE_AGENT_MESSAGE_PARAM, config.ts), custom_data may only name the slots left to it
 * (CXONE_CUSTOM_DATA_PARAMS). The summary is shown to the agent in the screen pop (PopURL)
 * in any case; the signal parameter is for scripts that want it in a variable. Values: strings as they are; finite numbers and booleans converted with String()
 * (a script variable is text anyway, and assistants often send counts as numbers); null,
 * objects and arrays are refused because there is no faithful text form for them.
 */
import type { OutcomeEvent } from '../../events/outcome.ts';
import { truncateMarked, withoutControls } from '../common/agent-message.ts';

export const HANGUP_VALUE = 'hangup';
const CUSTOM_PARAM_RE = /^p[2-9]$/;

/** p1..p9 as sent to the signal API. */
export type SignalParams = Partial<Record<'p1' | 'p2' | 'p3' | 'p4' | 'p5' | 'p6' | 'p7' | 'p8' | 'p9', string>>;

/** The signal parameters a deployment uses for what (config.ts). */
export interface CxoneParamOptions {
  /** Slot of message_to_human_agent (p2..p9), or none. */
  agentMessageParam?: SignalParam;
  /** Slots custom_data may name (default p2..p9). */
  customDataParams?: readonly SignalParam[];
  /** Longest value of the agent message slot, characters (cut and marked beyond). */
  agentMessageMaxChars?: number;
}

export type SignalParam = keyof SignalParams;

/**
 * Default bound of the message slot, characters. The classic signal API carries p1..p9 in the
 * query string; CXone documents no per-parameter limit that we could find (unconfirmed), and
 * URLs past about 2,000 characters are refused by some proxies, so the slot stays well below.
 */
export const DEFAULT_AGENT_MESSAGE_MAX_CHARS = 500;

export type CxoneTranslation =
  | { action: 'signal'; contactId: string; params: SignalParams }
  | { action: 'none' }
  | { action: 'invalid'; message: string };

/** Converts custom_data to p2..p9; @returns the params or an error message. */
export function customDataToParams(customData: Record<string, unknown>, allowed?: readonly SignalParam[]): { params: SignalParams } | { error: string } {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(customData)) {
    if (k === 'p1') return { error: 'custom_data may not set p1 (reserved for the session history key)' };
    if (!CUSTOM_PARAM_RE.test(k)) return { error: `custom_data key "${k.slice(0, 40)}" is not one of p2..p9` };
    if (allowed && !allowed.includes(k as SignalParam)) return { error: `custom_data key ${k} is not one of the slots left to custom_data (${allowed.join(', ')})` };
    if (typeof v === 'string') params[k] = v;
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') params[k] = String(v);
    else return { error: `custom_data value of ${k} must be a string, number or boolean, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}` };
  }
  return { params };
}

/** Translates a validated nice_cxone outcome. */
export function translateOutcome(outcome: OutcomeEvent, o: CxoneParamOptions = {}): CxoneTranslation {
  if (outcome.kind === 'error') return { action: 'none' };
  if (!outcome.niceCxone) return { action: 'invalid', message: 'niceCxone context missing' };
  const custom = customDataToParams(outcome.customData, o.customDataParams);
  if ('error' in custom) return { action: 'invalid', message: custom.error };
  const p1 = outcome.kind === 'transfer' ? outcome.sessionHistoryKey! : HANGUP_VALUE;
  const params: SignalParams = { p1, ...custom.params };
  const summary = outcome.kind === 'transfer' && outcome.messageToHumanAgent ? withoutControls(outcome.messageToHumanAgent) : '';
  if (summary && o.agentMessageParam) params[o.agentMessageParam] = truncateMarked(summary, o.agentMessageMaxChars ?? DEFAULT_AGENT_MESSAGE_MAX_CHARS);
  return { action: 'signal', contactId: outcome.niceCxone.ContactId, params };
}
