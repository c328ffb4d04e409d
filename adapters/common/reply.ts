/** Builders for {@link AdapterReply} values, so every adapter words them the same way. */
import type { AdapterReply, OutcomeEvent, RejectReason, Vendor } from '../../events/outcome.ts';

/** A rejection; `message` must be safe to log (no secrets, no caller numbers). */
export function rejectedReply(outcome: Pick<OutcomeEvent, 'outcomeId' | 'vendor'>, reason: RejectReason, message: string, attempts: number): AdapterReply {
  return { status: 'rejected', outcomeId: outcome.outcomeId, vendor: outcome.vendor, reason, message, attempts };
}

/** An outcome applied without any vendor request (kind=error: the BYE alone tells the vendor). */
export function appliedWithoutRequest(outcome: Pick<OutcomeEvent, 'outcomeId' | 'vendor'>): AdapterReply {
  return { status: 'applied', outcomeId: outcome.outcomeId, vendor: outcome.vendor, duplicate: false, attempts: 0 };
}

/**
 * Reply for an event that is not an {@link OutcomeEvent}: ids are echoed when present so
 * the media core can match the reply, else "unknown".
 */
export function invalidOutcomeReply(raw: unknown, vendor: Vendor, message: string): AdapterReply {
  const r = (raw ?? {}) as { outcomeId?: unknown };
  const outcomeId = typeof r.outcomeId === 'string' ? r.outcomeId : 'unknown';
  return { status: 'rejected', outcomeId, vendor, reason: 'invalid_outcome', message: message.slice(0, 500), attempts: 0 };
}
