/**
 * IBM Watson Assistant v2 connector: one session per call (POST
 * /v2/assistants/{assistant_id}/sessions), one message per turn (POST
 * .../sessions/{session_id}/message), session deleted at the end; IAM bearer auth.
 * (cloud.ibm.com/apidocs/assistant/assistant-v2)
 *
 * Context mapping: the runtime's flat context is sent as
 * `context.skills["main skill"].user_defined`, and the reply's user_defined becomes the
 * next context, so table-2 variables set by the dialog come back to the runtime.
 */
import axios from 'axios';
import type { IamTokenSource } from '../iam.ts';
import type { AssistantConnector, GenericResponse, TurnReply, TurnRequest } from '../types.ts';

export interface WatsonAssistantOptions {
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
    const body = {
      input: { message_type: 'text', text: req.input.text },
      context: { skills: { 'main skill': { user_defined: req.context } } },
    };
    try {
      const r = await axios.post(`${this.base()}/${encodeURIComponent(sid)}/message?version=${this.o.version}`, body, {
        headers: await this.headers(),
        timeout: this.o.timeoutMs,
      });
      const data = r.data as { output?: { generic?: GenericResponse[] }; context?: { skills?: Record<string, { user_defined?: Record<string, unknown> }> } };
      if (!Array.isArray(data.output?.generic)) throw new Error('reply has no output.generic');
      const ud = data.context?.skills?.['main skill']?.user_defined ?? {};
      return { output: { generic: data.output.generic }, context: { ...req.context, ...ud } };
    } catch (err) {
      throw explain(err, 'message');
    }
  }

  async endSession(callId: string): Promise<void> {
    const sid = this.sessions.get(callId);
    this.sessions.delete(callId);
    if (!sid) return;
    try {
      await axios.delete(`${this.base()}/${encodeURIComponent(sid)}?version=${this.o.version}`, { headers: await this.headers(), timeout: this.o.timeoutMs });
    } catch {
      // Sessions expire by themselves; a failed delete only costs the service a little memory.
    }
  }
}
