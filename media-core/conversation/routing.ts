/**
 * Routing: the called number (Request-URI user, with or without "+", visual separators
 * ignored) selects the integration. Numbers in the config are E.164 (checked at load).
 */
import type { IntegrationConfig } from '../config/schema.ts';

/** "+1 (555) 010-0001", "15550100001", "+15550100001" -> "+15550100001"; undefined when not a number. */
export function toE164(user: string): string | undefined {
  const s = decodeURIComponent(user).trim().replace(/[\s().-]/g, '');
  const m = /^\+?([1-9]\d{1,14})$/.exec(s);
  return m ? `+${m[1]}` : undefined;
}

/** Builds the lookup once; `route(calledUser)` returns the integration or undefined (-> 404). */
export function createRouter(integrations: readonly IntegrationConfig[]): (calledUser: string) => IntegrationConfig | undefined {
  const byNumber = new Map(integrations.map((i) => [i.number, i]));
  return (calledUser) => {
    let n: string | undefined;
    try {
      n = toE164(calledUser);
    } catch {
      return undefined;
    }
    return n ? byNumber.get(n) : undefined;
  };
}
