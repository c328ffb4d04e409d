/**
 * IBM Watson Assistant v2 connector: one session per call (POST
 * /v2/assistants/{assistant_id}/sessions), one message per turn (POST
 * .../sessions/{session_id}/message), session deleted at the end; IAM bearer auth.
 * (cloud.ibm.com/apidocs/assistant/assistant-v2)
 *
 * Context mapping: the runtime's flat context is sent where the assistant's skill reads it,
 * and what the skill set comes back into the next context, so table-2 variables set by the
 * assistant reach the runtime:
 * - dialog skill: `context.skills["main skill"].user_defined`;
 * - actions skill: `context.skills["actions skill"].skill_variables`
 *   (cloud.ibm.com/apidocs/assistant/assistant-v2#message, MessageContextSkills;
 *   cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-manage-variables).
 * `skill: "auto"` (the default) sends both on the first turn and then keeps to the one the
 * assistant answered with (a reply carrying `actions skill` is an Actions assistant).
 */
import axios from 'axios';
import type { IamTokenSource } from '../iam.ts';
import type { AssistantConnector, GenericResponse, TurnReply, TurnRequest } from '../types.ts';

/** Which skill's variables carry the context: dialog (`main skill`), actions, or detected per call. */
export type WatsonSkill = 'auto' | 'dialog' | 'actions';

/** Skill names of the v2 message API's context.skills map. */
export const DIALOG_SKILL = 'main skill';
export const ACTIONS_SKILL = 'actions skill';

type SkillsContext = Record<string, { user_defined?: Record<string, unknown>; skill_variables?: Record<string, unknown> }>;

export interface WatsonAssistantOptions {
  /** Default auto. */
  skill?: WatsonSkill;
  url: string;
  assistantId: string;
  version: string;
  timeoutMs: number;
  iam: IamTokenSource;
}

function explain(err: unknown, what: string): Error {
  if (axios.isAxiosError(err)) return new Error(`Watson Assistant ${what} failed: ${err.response ? `HTTP ${err.response.status}` : err.code ?? err.message}`);
  return new Error(`Watson Assistant ${what} failed: ${(err as Error).message}`);
}

export class WatsonAssistant implements AssistantConnector {
  readonly kind = 'watson';
  private readonly sessions = new Map<string, string>();
  /** The skill detected per call (skill "auto"), bounded by the sessions map's life. */
  private readonly detected = new Map<string, 'dialog' | 'actions'>();
  constructor(private readonly o: WatsonAssistantOptions) {}

  private base(): string {
    return `${this.o.url.replace(/\/$/, '')}/v2/assistants/${encodeURIComponent(this.o.assistantId)}/sessions`;
  }

  private async headers(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.o.iam.token()}`, 'content-type': 'application/json' };
  }

  async startSession(callId: string): Promise<void> {
    try {
      const r = await axios.post(`${this.base()}?version=${this.o.version}`, {}, { headers: await this.headers(), timeout: this.o.timeoutMs });
      const id = (r.data as { session_id?: string }).session_id;
      if (!id) throw new Error('no session_id in reply');
      this.sessions.set(callId, id);
    } catch (err) {
      throw explain(err, 'create session');
    }
  }

  async message(callId: string, req: TurnRequest): Promise<TurnReply> {
    if (!this.sessions.has(callId)) await this.startSession(callId);
    const sid = this.sessions.get(callId)!;
    const skill = this.o.skill && this.o.skill !== 'auto' ? this.o.skill : this.detected.get(callId);
    const skills: SkillsContext = {};
    if (skill !== 'actions') skills[DIALOG_SKILL] = { user_defined: req.context };
    if (skill !== 'dialog') skills[ACTIONS_SKILL] = { skill_variables: req.context };
    const body = { input: { message_type: 'text', text: req.input.text }, context: { skills } };
    try {
      const r = await axios.post(`${this.base()}/${encodeURIComponent(sid)}/message?version=${this.o.version}`, body, {
        headers: await this.headers(),
        timeout: this.o.timeoutMs,
      });
      const data = r.data as { output?: { generic?: GenericResponse[] }; context?: { skills?: SkillsContext } };
      if (!Array.isArray(data.output?.generic)) throw new Error('reply has no output.generic');
      const replied = data.context?.skills ?? {};
      const actions = replied[ACTIONS_SKILL]?.skill_variables;
      const dialog = replied[DIALOG_SKILL]?.user_defined;
      if ((!this.o.skill || this.o.skill === 'auto') && !this.detected.has(callId) && (actions || dialog)) {
        this.detected.set(callId, actions && typeof actions === 'object' ? 'actions' : 'dialog');
      }
      const use = (skill ?? this.detected.get(callId)) === 'actions' ? actions : dialog;
      const vars = use && typeof use === 'object' && !Array.isArray(use) ? use : {};
      return { output: { generic: data.output.generic }, context: { ...req.context, ...vars } };
    } catch (err) {
      throw explain(err, 'message');
    }
  }

  async endSession(callId: string): Promise<void> {
    const sid = this.sessions.get(callId);
    this.sessions.delete(callId);
    this.detected.delete(callId);
    if (!sid) return;
    try {
      await axios.delete(`${this.base()}/${encodeURIComponent(sid)}?version=${this.o.version}`, { headers: await this.headers(), timeout: this.o.timeoutMs });
    } catch {
      // Sessions expire by themselves; a failed delete only costs the service a little memory.
    }
  }
}
