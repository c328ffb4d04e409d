/**
 * A generic HTTP webhook assistant: POST {input: {text}, context, call_id} as JSON and
 * expect {output: {generic: [...]}, context}. A timeout, a non-2xx status or a reply of the
 * wrong shape rejects with an Error that says which.
 */
import axios from 'axios';
import { z } from 'zod';
import type { AssistantConnector, GenericResponse, TurnReply, TurnRequest } from '../types.ts';

const Reply = z.object({
  output: z.object({ generic: z.array(z.looseObject({ response_type: z.string().min(1) })) }),
  context: z.record(z.string(), z.unknown()).optional(),
});

export interface WebhookAssistantOptions {
  url: string;
  timeoutMs: number;
  /** Bearer token sent as Authorization, if any. */
  token?: string;
}

export class WebhookAssistant implements AssistantConnector {
  readonly kind = 'webhook';
  constructor(private readonly o: WebhookAssistantOptions) {}

  async message(callId: string, req: TurnRequest): Promise<TurnReply> {
    let data: unknown;
    try {
      const r = await axios.post(
        this.o.url,
        { input: req.input, context: req.context, call_id: callId },
        {
          timeout: this.o.timeoutMs,
          headers: { 'content-type': 'application/json', ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}) },
          maxContentLength: 1_000_000,
        },
      );
      data = r.data;
    } catch (err) {
      if (axios.isAxiosError(err)) {
        if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT') throw new Error(`webhook assistant timed out after ${this.o.timeoutMs} ms`);
        throw new Error(`webhook assistant failed: ${err.response ? `HTTP ${err.response.status}` : err.code ?? err.message}`);
      }
      throw err;
    }
    const parsed = Reply.safeParse(data);
    if (!parsed.success) throw new Error(`webhook assistant reply is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return { output: { generic: parsed.data.output.generic as GenericResponse[] }, context: parsed.data.context ?? req.context };
  }
}
