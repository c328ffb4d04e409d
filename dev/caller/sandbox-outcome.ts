/**
 * Where a call ended according to the contact-center sandboxes (GET /_sandbox/events,
 * dev/sandboxes/types.ts SandboxEvent[]): the outcome request the adapter made for this call's
 * contact id, read the way the vendor's flow reads it.
 *
 * - Amazon Connect: UpdateContactAttributes {InitialContactId, Attributes.SessionHistoryKey}:
 *   "hangup" means the flow disconnects; any other value queues the contact
 *   (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-amazon-connect).
 * - NICE CXone: signal p1: "hangup" or the session history key (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-nicecxone).
 */
import type { SandboxEvent } from '../sandboxes/types.ts';
import type { CallVendor } from './vendor-route.ts';
import { vendorOf } from '../../adapters/registry.ts';

export type SandboxEnding =
  | { kind: 'queued'; sessionHistoryKey: string; operation: string; customData: Record<string, unknown> }
  | { kind: 'hung-up'; operation: string }
  | { kind: 'failed'; operation: string; status: number }
  | { kind: 'none' };

/** GETs the events (bounded to 3 s). Accepts a bare array or {events: [...]}. */
export async function fetchSandboxEvents(sandboxUrl: string): Promise<SandboxEvent[]> {
  const r = await fetch(`${sandboxUrl}/_sandbox/events`, { signal: AbortSignal.timeout(3000) });
  if (!r.ok) throw new Error(`GET ${sandboxUrl}/_sandbox/events answered ${r.status}`);
  const body = (await r.json()) as unknown;
  const list = Array.isArray(body) ? body : (body as { events?: unknown }).events;
  return Array.isArray(list) ? (list as SandboxEvent[]) : [];
}

/** Highest event seq (0 when none): events after it belong to the call about to be placed. */
export const lastSeq = (events: SandboxEvent[]) => events.reduce((m, e) => Math.max(m, e.seq), 0);

/**
 * The call's ending from the events after `sinceSeq` that carry `contactId`.
 * The last successful outcome request wins; a failed one is reported when nothing succeeded.
 */
export function sandboxEnding(events: SandboxEvent[], vendor: CallVendor, contactId: string, sinceSeq = 0): SandboxEnding {
  const isOutcome = vendorOf(vendor).dev.isOutcomeRequest;
  const mine = events.filter((e) => e.seq > sinceSeq).filter((e) => isOutcome?.(e, contactId) ?? false);
  const ok = mine.filter((e) => e.status >= 200 && e.status < 300);
  const last = ok[ok.length - 1];
  if (!last) {
    const failed = mine[mine.length - 1];
    return failed ? { kind: 'failed', operation: failed.operation, status: failed.status } : { kind: 'none' };
  }
  if (vendor === 'amazon_connect') {
    const attributes = (last.params.Attributes ?? {}) as Record<string, unknown>;
    const key = String(attributes.SessionHistoryKey ?? '');
    const { SessionHistoryKey: _k, ...customData } = attributes;
    return key.toLowerCase().includes('hangup') ? { kind: 'hung-up', operation: last.operation } : { kind: 'queued', sessionHistoryKey: key, operation: last.operation, customData };
  }
  const p1 = String(last.params.p1 ?? '');
  const customData = Object.fromEntries(Object.entries(last.params).filter(([k]) => /^p[2-9]$/.test(k)));
  return p1 === 'hangup' ? { kind: 'hung-up', operation: last.operation } : { kind: 'queued', sessionHistoryKey: p1, operation: last.operation, customData };
}

/**
 * The contact's outcome requests (UpdateContactAttributes / signal after `sinceSeq`) as timed
 * ladder lines, e.g. "adapter -> Amazon Connect  UpdateContactAttributes {SessionHistoryKey: bRU1Sq…} 200".
 * Session history keys are shortened with `shorten` (redactKey).
 */
export function outcomeLines(events: SandboxEvent[], vendor: CallVendor, contactId: string, shorten: (key: string) => string): { at: number; text: string }[] {
  const { label, dev } = vendorOf(vendor);
  return events
    .filter((e) => dev.isOutcomeRequest?.(e, contactId) ?? false)
    .map((e) => {
      const show = (k: string, v: unknown) => `${k}: ${k === 'SessionHistoryKey' || (k === 'p1' && v !== 'hangup') ? shorten(String(v)) : JSON.stringify(v)}`;
      const fields =
        vendor === 'amazon_connect'
          ? Object.entries((e.params.Attributes ?? {}) as Record<string, unknown>).map(([k, v]) => show(k, v))
          : Object.entries(e.params).filter(([k]) => /^p[1-9]$/.test(k)).map(([k, v]) => show(k, v));
      return { at: Date.parse(e.at), text: `adapter -> ${label}  ${e.operation} {${fields.join(', ')}} ${e.status}` };
    });
}
