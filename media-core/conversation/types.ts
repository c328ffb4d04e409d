/**
 * Shapes shared by the conversation runtime: the assistant's responses (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions,
 * Watson Assistant v2 `output.generic[]`), a turn's
 * input and context, and the connector interface every assistant implements.
 */

/** A SIP header as the assistant writes it in transfer_headers / sip.headers. */
export interface NameValue {
  name: string;
  value: string;
}

/**
 * One item of `output.generic[]`. Only `response_type` is required; each task reads the
 * fields its response type defines (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions) and ignores the rest.
 */
export interface GenericResponse {
  response_type: string;
  text?: string;
  source?: string;
  command_info?: { type?: string; parameters?: Record<string, unknown> };
  activities?: { type: string }[];
  channel_options?: { voice_telephony?: { loop?: boolean | string; sip?: { headers?: NameValue[] } } };
  transfer_info?: { target?: Record<string, unknown> };
  agent_available?: { message?: string };
  agent_unavailable?: { message?: string };
  message_to_human_agent?: string;
  user_defined?: { vgwAction?: { command?: string; parameters?: Record<string, unknown> } };
  [key: string]: unknown;
}

/** Context variables: the assistant's (table 2) and the integration's (table 3), flat. */
export type ConversationContext = Record<string, unknown>;

/** What the caller (or the integration, for vgw* texts) said in a turn. */
export interface TurnInput {
  /** The utterance, the DTMF digits, or one of the vgw* texts; "" on the first (welcome) turn. */
  text: string;
}

/** One request to an assistant. */
export interface TurnRequest {
  input: TurnInput;
  /** Full context: the assistant's variables from the previous turn plus the integration's. */
  context: ConversationContext;
}

/** An assistant's answer. */
export interface TurnReply {
  output: { generic: GenericResponse[] };
  /** Context to carry into the next turn (replaces the previous assistant variables). */
  context: ConversationContext;
}

/**
 * An assistant connector (local scripted, IBM Watson Assistant v2, HTTP webhook).
 * `message` must resolve within the connector's own timeout or reject with an Error whose
 * message says what failed (no secrets).
 */
export interface AssistantConnector {
  readonly kind: string;
  /** Starts a conversation for one call (Watson: creates a session). */
  startSession?(callId: string): Promise<void>;
  message(callId: string, req: TurnRequest): Promise<TurnReply>;
  /** Ends the call's session; never throws. */
  endSession?(callId: string): Promise<void>;
}

/** The texts the integration sends as turn input (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-context). */
export const VGW_TEXT = {
  postResponseTimeout: 'vgwPostResponseTimeout',
  finalUtteranceTimeout: 'vgwFinalUtteranceTimeout',
  callTransferFailed: 'vgwCallTransferFailed',
  hangUp: 'vgwHangUp',
  callTransferred: 'vgwCallTransferred',
  smsFailed: 'vgwSMSFailed',
  noInputTurn: 'vgwNoInputTurn',
} as const;

/** Watson Speech to Text recognition result, as the `speech_to_text_result` variable carries it. */
export interface SttResult {
  result_index: number;
  results: { final: boolean; alternatives: { transcript: string; confidence?: number }[] }[];
  warnings?: string[];
}
