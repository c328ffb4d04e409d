/**
 * The local scripted assistant (the embedded default): matches a turn's input against the
 * intents of a JSON file (./local-schema.ts) and answers in the phone integration's
 * `output.generic[]` format (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions). Context variables persist across turns: the reply's context is the request's
 * plus the matched intent's `context` (templated).
 *
 * Matching order: "" -> welcome; vgw* texts -> `system`; then intents in file order (an
 * intent's `match.context` must hold; DTMF input matches `dtmf` or `regex`; speech matches
 * `regex`, `examples` (normalized equality) or `keywords` (whole words)); else `fallback`.
 */
import { readFileSync } from 'node:fs';
import { ScriptedAssistant, type ScriptedIntent } from './local-schema.ts';
import { fillTemplates } from './template.ts';
import type { AssistantConnector, GenericResponse, TurnReply, TurnRequest } from '../types.ts';

/** Lowercase words without punctuation: "What are your Opening-Hours?" -> ["what","are","your","opening","hours"]. */
export function words(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9' ]+/g, ' ').split(/\s+/).filter(Boolean);
}

function contextHolds(want: Record<string, unknown> | undefined, ctx: Record<string, unknown>): boolean {
  if (!want) return true;
  return Object.entries(want).every(([k, v]) => ctx[k] === v);
}

function intentMatches(intent: ScriptedIntent, text: string, isDtmf: boolean, ctx: Record<string, unknown>): boolean {
  const m = intent.match;
  if (!contextHolds(m.context, ctx)) return false;
  const hasCriteria = m.dtmf.length > 0 || m.keywords.length > 0 || m.examples.length > 0 || m.regex !== undefined;
  if (!hasCriteria) return m.context !== undefined;
  if (m.regex !== undefined && new RegExp(m.regex).test(text)) return true;
  if (isDtmf) return m.dtmf.includes(text);
  const said = words(text);
  const joined = ` ${said.join(' ')} `;
  if (m.examples.some((e) => words(e).join(' ') === said.join(' '))) return true;
  return m.keywords.some((k) => joined.includes(` ${words(k).join(' ')} `));
}

/** The scripted assistant over an already-parsed script. */
export class LocalAssistant implements AssistantConnector {
  readonly kind = 'local';
  constructor(readonly script: ScriptedAssistant) {}

  /** Reads and validates a script file. @throws Error naming the file and the invalid paths. */
  static fromFile(file: string): LocalAssistant {
    const r = ScriptedAssistant.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!r.success) throw new Error(`${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return new LocalAssistant(r.data);
  }

  /** Every example phrase and keyword, for the speech recognizer's grammar. */
  phrases(): string[] {
    return [...new Set(this.script.intents.flatMap((i) => [...i.match.examples, ...i.match.keywords]))];
  }

  async message(_callId: string, req: TurnRequest): Promise<TurnReply> {
    const text = req.input.text.trim();
    const ctx = req.context;
    const answer =
      text === ''
        ? this.script.welcome
        : /^vgw[A-Za-z]+$/.test(text)
          ? (this.script.system[text] ?? { generic: [], context: {} })
          : (this.script.intents.find((i) => intentMatches(i, text, ctx.is_dtmf === true, ctx)) ?? this.script.fallback);
    const vars = { ...ctx, input: text };
    const setVars = fillTemplates(answer.context, vars);
    const after = { ...ctx, ...setVars };
    const generic = fillTemplates(answer.generic, { ...after, input: text }) as GenericResponse[];
    return { output: { generic }, context: after };
  }
}
