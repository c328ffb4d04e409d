/**
 * The fixed texts a local scripted assistant speaks (`text` responses and connect_to_agent
 * messages without `{{templates}}`), so the runtime can synthesize them at start and the
 * first callers do not wait for espeak-ng.
 */
import type { ScriptedAssistant } from '../assistants/local-schema.ts';

const MAX_PROMPTS = 200;

/** Distinct static prompt texts of a script, at most 200, in file order. */
export function staticPrompts(script: ScriptedAssistant): string[] {
  const answers = [script.welcome, ...script.intents, ...Object.values(script.system), script.fallback];
  const out = new Set<string>();
  const add = (t: unknown) => {
    if (typeof t === 'string' && t.trim() && !t.includes('{{') && out.size < MAX_PROMPTS) out.add(t.trim());
  };
  for (const a of answers) {
    for (const r of a.generic as Record<string, unknown>[]) {
      if (r.response_type === 'text') add(r.text);
      if (r.response_type === 'connect_to_agent') {
        add((r.agent_available as { message?: unknown } | undefined)?.message);
        add((r.agent_unavailable as { message?: unknown } | undefined)?.message);
      }
    }
  }
  return [...out];
}
