/**
 * `{{name}}` substitution in scripted responses: `{{input}}` is the turn's input text, any
 * other name a context variable (missing -> ""). Applied to every string, recursively.
 */
export function fillTemplates<T>(value: T, vars: Record<string, unknown>): T {
  if (typeof value === 'string') {
    return value.replace(/\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g, (_m, name: string) => {
      const v = vars[name];
      return v === undefined || v === null ? '' : String(v);
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v) => fillTemplates(v, vars)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fillTemplates(v, vars);
    return out as T;
  }
  return value;
}
