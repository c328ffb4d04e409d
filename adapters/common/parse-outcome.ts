/**
 * Parses an invocation payload into an {@link OutcomeEvent} for one vendor's adapter.
 * The media core invokes with the event as JSON; a string payload is accepted too.
 */
import { OutcomeEvent, type AdapterReply, type Vendor } from '../../events/outcome.ts';
import { invalidOutcomeReply } from './reply.ts';

/** @returns the event, or the `invalid_outcome` reply to send back. */
export function parseOutcome(raw: unknown, vendor: Vendor): { outcome: OutcomeEvent } | { reply: AdapterReply } {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { reply: invalidOutcomeReply(undefined, vendor, 'payload is not JSON') };
    }
  }
  const parsed = OutcomeEvent.safeParse(value);
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { reply: invalidOutcomeReply(value, vendor, message) };
  }
  if (parsed.data.vendor !== vendor) {
    return { reply: invalidOutcomeReply(value, vendor, `vendor ${parsed.data.vendor} sent to the ${vendor} adapter`) };
  }
  return { outcome: parsed.data };
}
