/**
 * The Amazon Connect flow of the phone integration (contact-flow.json, Amazon Connect Flow
 * language "2019-10-30": docs.aws.amazon.com/connect/latest/APIReference/flow-language.html):
 * placeholder filling and structural validation before CreateContactFlow.
 *
 * Placeholders: {{ContactFlowLambdaArn}} (functions/amazon-connect/contact-flow.ts),
 * {{VoiceConnectorArn}} (provision-voice-connector.ts), {{QueueArn}} (the agents' queue).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface FlowAction {
  Identifier: string;
  Type: string;
  Parameters: Record<string, unknown>;
  Transitions: {
    NextAction?: string;
    Errors?: { ErrorType: string; NextAction: string }[];
    Conditions?: { NextAction: string; Condition: { Operator: string; Operands: unknown[] } }[];
  };
}
export interface Flow {
  Version: string;
  StartAction: string;
  Metadata?: Record<string, unknown>;
  Actions: FlowAction[];
}

export const FLOW_FILE = fileURLToPath(new URL('./contact-flow.json', import.meta.url));
export const PLACEHOLDERS = ['ContactFlowLambdaArn', 'VoiceConnectorArn', 'QueueArn'] as const;
export type FlowValues = Record<(typeof PLACEHOLDERS)[number], string>;

/** The flow's User-to-User for the Voice Connector: the contactToken the contact-flow function returned. */
export const CONTACT_TOKEN_UUI = '$.External.contactToken';

const IDENTIFIER_BAD = /[%:()\\/=$,;[\]{}]/;

/** Reads the flow file as text. */
export function readFlowTemplate(path = FLOW_FILE): string {
  return readFileSync(path, 'utf8');
}

/**
 * Fills the placeholders (values JSON-escaped).
 * @throws Error naming a missing value or a placeholder left unfilled.
 */
export function fillFlow(template: string, values: FlowValues): Flow {
  let text = template;
  for (const name of PLACEHOLDERS) {
    const v = values[name];
    if (!v) throw new Error(`missing value for {{${name}}}`);
    text = text.split(`{{${name}}}`).join(JSON.stringify(v).slice(1, -1));
  }
  const left = /\{\{(\w+)\}\}/.exec(text);
  if (left) throw new Error(`unknown placeholder {{${left[1]}}} in the flow`);
  return JSON.parse(text) as Flow;
}

/** Structural problems of a flow (empty when valid): version, identifiers, transition targets. */
export function validateFlow(flow: Flow): string[] {
  const problems: string[] = [];
  if (flow.Version !== '2019-10-30') problems.push(`Version must be "2019-10-30", got ${String(flow.Version)}`);
  if (!Array.isArray(flow.Actions) || flow.Actions.length === 0) return [...problems, 'Actions is empty'];
  if (flow.Actions.length > 250) problems.push(`at most 250 Actions, got ${flow.Actions.length}`);
  const ids = new Set<string>();
  for (const a of flow.Actions) {
    if (!a.Identifier || a.Identifier.length > 50 || IDENTIFIER_BAD.test(a.Identifier)) problems.push(`bad Identifier "${a.Identifier}"`);
    if (ids.has(a.Identifier)) problems.push(`duplicate Identifier "${a.Identifier}"`);
    ids.add(a.Identifier);
    if (!a.Type) problems.push(`action ${a.Identifier} has no Type`);
  }
  if (!ids.has(flow.StartAction)) problems.push(`StartAction "${flow.StartAction}" is not an action`);
  for (const a of flow.Actions) {
    // The Voice Connector transfer must carry the contact token the register block minted:
    // the media core refuses a call without it (lib/contact-token.ts).
    const vc = a.Type === 'TransferParticipantToThirdParty' ? (a.Parameters?.VoiceConnector as Record<string, unknown> | undefined) : undefined;
    if (vc && vc.UserToUserInformation !== CONTACT_TOKEN_UUI) problems.push(`action ${a.Identifier}: VoiceConnector.UserToUserInformation must be ${CONTACT_TOKEN_UUI} (the contact token)`);
    const t = a.Transitions ?? {};
    const targets = [t.NextAction, ...(t.Errors ?? []).map((e) => e.NextAction), ...(t.Conditions ?? []).map((c) => c.NextAction)];
    for (const target of targets) if (target !== undefined && !ids.has(target)) problems.push(`action ${a.Identifier} transitions to unknown "${target}"`);
  }
  return problems;
}
