/**
 * The integration's context variables and the dialog's timeouts
 * (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-context).
 */
import { type CallInfo } from '../call/types.ts';
import type { ConversationContext } from './types.ts';
import { findHeader } from '../../events/sip-header.ts';

/** Variables fixed for the call: user_phone_number, sip_call_id, sip_custom_invite_headers, sip_from_uri, sip_request_uri, sip_to_uri. */
export function callVariables(info: CallInfo, customInviteHeaders: readonly string[]): ConversationContext {
  const custom: Record<string, string> = {};
  for (const name of customInviteHeaders) {
    const v = findHeader(info.inviteHeaders, name);
    if (v !== undefined) custom[name] = v;
  }
  return {
    user_phone_number: info.callerUser,
    sip_call_id: info.callId,
    sip_custom_invite_headers: custom,
    sip_from_uri: info.fromUri,
    sip_request_uri: info.requestUri,
    sip_to_uri: info.toUri,
  };
}

/** Per-turn variables; set on every turn (false when not applicable), except the optional two. */
export interface TurnVariables {
  is_dtmf: boolean;
  barge_in_occurred: boolean;
  post_response_timeout_occurred: boolean;
  final_utterance_timeout_occurred: boolean;
  /** Only on a turn that ends a DTMF collection. */
  dtmf_collection_succeeded?: boolean;
  /** Only on a turn whose input was recognized speech. */
  speech_to_text_result?: unknown;
}

/** The context sent to the assistant: previous context, call variables, this turn's variables (absent optional ones removed). */
export function turnContext(prev: ConversationContext, call: ConversationContext, turn: TurnVariables): ConversationContext {
  const { dtmf_collection_succeeded: _d, speech_to_text_result: _s, ...rest } = prev;
  return { ...rest, ...call, ...turn };
}

/** A timeout variable in ms (number or numeric string), else `dflt`. */
export function timeoutMs(ctx: ConversationContext, name: 'post_response_timeout_count' | 'final_utterance_timeout_count', dflt: number): number {
  const v = ctx[name];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.min(n, 600_000) : dflt;
}
