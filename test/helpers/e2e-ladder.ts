/**
 * Reading a placed call (dev/caller/place-call.ts PlacedCall) in end-to-end tests: the SIP
 * messages the caller (SIPp) exchanged, the sandbox events of this call's contact, and the
 * agent screen pop of a session history key.
 */
import { screenPopLink } from '../../adapters/agent-view/link.ts';
import type { PlacedCall } from '../../dev/caller/place-call.ts';
import type { TracedMessage } from '../../dev/caller/sip-ladder.ts';
import type { SandboxEvent } from '../../dev/sandboxes/types.ts';

/** The first request `method` the caller received from the media core. */
export const receivedRequest = (call: PlacedCall, method: string): TracedMessage | undefined =>
  call.messages.find((m) => m.direction === 'received' && m.method === method);

/** The first response to `method` (by CSeq) travelling in `direction`, e.g. the caller's 202 to REFER. */
export const response = (call: PlacedCall, method: string, direction: 'sent' | 'received'): TracedMessage | undefined =>
  call.messages.find((m) => m.direction === direction && m.status !== undefined && m.headers.get('cseq')?.[0]?.split(/\s+/)[1] === method);

/** The first value of a header (case-insensitive name). */
export const header = (m: TracedMessage | undefined, name: string): string | undefined => m?.headers.get(name.toLowerCase())?.[0];

/** Ladder as "direction method-or-status" steps, e.g. ["sent INVITE", "received 100", ...]. */
export const steps = (call: PlacedCall): string[] => call.messages.map((m) => `${m.direction} ${m.method ?? m.status}`);

/** The outcome requests of this call's contact (UpdateContactAttributes / signal), in order. */
export function contactEvents(call: PlacedCall): SandboxEvent[] {
  const id = call.ids.contactId;
  if (!id) return [];
  return call.sandboxEvents.filter(
    (e) =>
      (e.vendor === 'amazon_connect' && e.operation === 'UpdateContactAttributes' && e.params.InitialContactId === id) ||
      (e.vendor === 'nice_cxone' && e.operation === 'signal' && String(e.params.contactId) === id),
  );
}

/** A compact account of a call for assertion messages. */
export function describeCall(call: PlacedCall): string {
  return [
    `vendor ${call.vendor}, sip ${JSON.stringify(call.sip)}, sipp ${JSON.stringify(call.sipp)}`,
    ...call.ladder,
    ...call.notes.map((n) => `note: ${n}`),
    `events: ${JSON.stringify(call.sandboxEvents)}`,
  ].join('\n');
}

/** GET the agent screen pop (functions/agent/screen-pop.ts) for `key` by its signed view link (minted with the stack's `secret`), bounded to 10 s. */
export async function screenPop(baseUrl: string, key: string, secret: string): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(screenPopLink(baseUrl, key, secret), { signal: AbortSignal.timeout(10_000) });
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}
