/**
 * The apply step every API-side adapter runs (adapters/<vendor>/apply.ts): parse the raw
 * invocation payload against the outcome contract, translate it (pure), then send the vendor
 * request once, idempotently, inside the deadline (apply-once.ts). Never throws: every
 * failure is an {@link AdapterReply}.
 */
import type { AdapterReply, OutcomeEvent, Vendor } from '../../events/outcome.ts';
import type { Store } from '../../lib/store/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { RetryDecision } from '../../lib/retry.ts';
import { applyOnce, type CheckVerdict } from './apply-once.ts';
import { rejectionFor } from './classify.ts';
import { parseOutcome } from './parse-outcome.ts';
import { appliedWithoutRequest, rejectedReply } from './reply.ts';

/** What a vendor's translate.ts returns: a request to send, nothing to do, or invalid custom_data. */
export type Translation<R> = { action: 'none' } | { action: 'invalid'; message: string } | ({ action: string } & R);

/** Settings of one apply; the functions fill them from the environment. */
export interface ApplyDeps {
  store: Store;
  /** Budget in ms (OUTCOME_DEADLINE_MS). */
  deadlineMs: number;
  log?: Logger;
  /** Epoch ms the invocation began (default now). */
  startedAt?: number;
  /** Idempotency lease, ms: at least the function's timeout (FUNCTION_TIMEOUT_MS). */
  leaseMs?: number;
}

/** The vendor-specific parts of an apply. */
export interface VendorApply<R> {
  vendor: Vendor;
  translate: (outcome: OutcomeEvent) => Translation<R>;
  /** Sends the translated request; `signal` aborts at the deadline. */
  send: (request: R, signal: AbortSignal) => Promise<unknown>;
  /** Which vendor errors are retried (throttling, 5xx, network). */
  classify: (err: unknown) => RetryDecision;
  /** Checks the outcome's contact ids (format); @returns a problem, or undefined when valid. */
  validate?: (outcome: OutcomeEvent) => string | undefined;
  /** Asks the vendor whether `request` took effect, after an ambiguous failure. Must not throw. */
  check?: (outcome: OutcomeEvent, request: R, signal: AbortSignal) => Promise<CheckVerdict>;
}

/** Applies the raw invocation payload for `vendor`. */
export async function applyApiOutcome<R>(raw: unknown, vendor: VendorApply<R>, deps: ApplyDeps): Promise<AdapterReply> {
  const startedAt = deps.startedAt ?? Date.now();
  const parsed = parseOutcome(raw, vendor.vendor);
  if ('reply' in parsed) return parsed.reply;
  const { outcome } = parsed;
  const problem = vendor.validate?.(outcome);
  if (problem) return rejectedReply(outcome, 'invalid_outcome', problem, 0);
  const t = vendor.translate(outcome);
  if (t.action === 'invalid') return rejectedReply(outcome, 'invalid_custom_data', (t as { message: string }).message, 0);
  if (t.action === 'none') return appliedWithoutRequest(outcome);
  const request = t as R;
  return applyOnce({
    store: deps.store,
    outcome,
    deadlineMs: deps.deadlineMs,
    leaseMs: deps.leaseMs,
    startedAt,
    log: deps.log,
    classify: vendor.classify,
    reject: rejectionFor,
    send: async (_attempt, signal) => { await vendor.send(request, signal); },
    check: vendor.check ? (signal) => vendor.check!(outcome, request, signal) : undefined,
  });
}
