/**
 * The local scripted assistant's file format (media-core/config/demo-assistant.json):
 * a welcome (first turn), intents matched in file order, texts the integration sends as
 * input (vgw*), and a fallback. Responses are in the `output.generic[]` format of IBM's
 * phone integration (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions); any
 * string in them may use `{{input}}` or `{{<context variable>}}`.
 */
import { z } from 'zod';

const Generic = z.array(z.looseObject({ response_type: z.string().min(1) }));

/** A turn's answer: responses plus context variables to set (values may be templates). */
export const ScriptedAnswer = z.object({
  generic: Generic,
  context: z.record(z.string(), z.unknown()).default({}),
});

export const ScriptedIntent = ScriptedAnswer.extend({
  name: z.string().min(1),
  match: z.object({
    /** Exact DTMF inputs (is_dtmf true). */
    dtmf: z.array(z.string().regex(/^[0-9*#A-D]+$/)).default([]),
    /** Words that select the intent when present in a spoken input. */
    keywords: z.array(z.string().min(1)).default([]),
    /** Example phrases; also the pocketsphinx grammar. */
    examples: z.array(z.string().min(1)).default([]),
    /** Regular expression over the whole input. */
    regex: z.string().optional(),
    /** Context variables that must equal these values for the intent to match. */
    context: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ScriptedIntent = z.infer<typeof ScriptedIntent>;

export const ScriptedAssistant = z.object({
  name: z.string().default('local'),
  welcome: ScriptedAnswer,
  intents: z.array(ScriptedIntent),
  /** Answers to vgwPostResponseTimeout, vgwCallTransferFailed, ... keyed by text. */
  system: z.record(z.string().regex(/^vgw[A-Za-z]+$/), ScriptedAnswer).default({}),
  fallback: ScriptedAnswer,
});
export type ScriptedAssistant = z.infer<typeof ScriptedAssistant>;
