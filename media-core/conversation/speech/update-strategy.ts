/**
 * The `update_strategy` of `speech_to_text` / `text_to_speech` configure responses
 * (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions):
 *
 * - replace: the parameters replace the settings for the rest of the call;
 * - replace_once: they replace the settings for the next turn only;
 * - merge: they are deep-merged into the settings for the rest of the call;
 * - merge_once: they are deep-merged for the next turn only.
 *
 * Pure functions over a {@link LayeredSettings} value; the runtime calls {@link endTurn}
 * when the next caller input has been taken, which drops a `_once` layer.
 */

export type UpdateStrategy = 'replace' | 'replace_once' | 'merge' | 'merge_once';

export type Settings = Record<string, unknown>;

/** Settings for the call plus an optional one-turn override. */
export interface LayeredSettings {
  call: Settings;
  once?: Settings;
}

const isObj = (v: unknown): v is Settings => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge: objects merge key by key, anything else (arrays included) is replaced. */
export function deepMerge(base: Settings, patch: Settings): Settings {
  const out: Settings = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Settings, v) : v;
  return out;
}

/**
 * Applies a configure response's `parameters` with `strategy` (default replace). An unknown
 * strategy throws, so the task can log a clear error and leave the settings unchanged.
 * @throws Error `unknown update_strategy "<s>"`.
 */
export function applyUpdate(s: LayeredSettings, params: Settings, strategy: string = 'replace'): LayeredSettings {
  switch (strategy) {
    case 'replace':
      return { call: { ...params } };
    case 'merge':
      return { call: deepMerge(s.call, params), ...(s.once ? { once: deepMerge(s.once, params) } : {}) };
    case 'replace_once':
      return { call: s.call, once: { ...params } };
    case 'merge_once':
      return { call: s.call, once: deepMerge(s.once ?? s.call, params) };
    default:
      throw new Error(`unknown update_strategy "${strategy}"`);
  }
}

/** The settings in force now. */
export function effective(s: LayeredSettings): Settings {
  return s.once ?? s.call;
}

/** Drops the one-turn layer. */
export function endTurn(s: LayeredSettings): LayeredSettings {
  return { call: s.call };
}
