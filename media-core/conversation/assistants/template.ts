/**
 * `{{name}}` substitution in scripted responses: `{{input}}` is the turn's input text, any
 * other name a context variable. Applied to every string, recursively.
 *
 * Unset variables (undefined or null):
 * - inside running text ("Account {{n}} is verified") they read as "";
 * - a string that is nothing but one unset template ("{{account_number}}") is *unset*: an
 *   object key with that value is left out (so `custom_data: {AccountNumber: "{{n}}"}`
 *   sends no AccountNumber attribute rather than an empty one), and a `{name, value}` pair
 *   whose value is unset is left out of its array (so `transfer_headers` carries no empty
 *   `X-Account-Number:` header). Empty header values are legal SIP (RFC 3261 section 7.3.1)
 *   but tell the agent's system "the caller has an empty account number", which is wrong.
 */
const TEMPLATE = /\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g;
const ONLY_TEMPLATE = /^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$/;

/** Marks a value to leave out; never escapes fillTemplates. */
const UNSET = Symbol('unset');

const isUnset = (v: unknown) => v === undefined || v === null;

function fill(value: unknown, vars: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const only = ONLY_TEMPLATE.exec(value);
    if (only && isUnset(vars[only[1]!])) return UNSET;
    return value.replace(TEMPLATE, (_m, name: string) => {
      const v = vars[name];
      return isUnset(v) ? '' : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, vars)).filter((v) => v !== UNSET);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const f = fill(v, vars);
      // A name/value pair (SIP header) without its value is no header at all.
      if (f === UNSET && k === 'value' && 'name' in value) return UNSET;
      if (f !== UNSET) out[k] = f;
    }
    return out;
  }
  return value;
}

/**
 * Fills `{{name}}` templates in `value` (strings, arrays, objects; other values unchanged).
 * @param vars context variables plus `input`
 * @returns a copy; a top-level string that is only an unset template becomes ""
 */
export function fillTemplates<T>(value: T, vars: Record<string, unknown>): T {
  const f = fill(value, vars);
  return (f === UNSET ? '' : f) as T;
}
