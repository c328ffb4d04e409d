/**
 * The idempotent, deadline-bounded apply shared by the API-side adapters (Amazon Connect,
 * NICE CXone): claim the outcome id in the store (lib/store/idempotency.ts, item family
 * `outcome#`), send the vendor request with retries inside the deadline (lib/retry.ts),
 * record the result, and build the {@link AdapterReply} the media core waits for before BYE.
 *
 * At most once: a retry is made only when the earlier attempt certainly was not applied
 * (throttled, a 5xx answer, a refused connection). After an ambiguous failure (a timeout or
 * connection reset once the request may have been sent, classify.ts isAmbiguousFailure) the
 * vendor's own state is asked (`check`: GetContactAttributes for Connect, the contact's state
 * for CXone): applied -> recorded `applied`; not applied -> sent again; cannot tell -> recorded
 * `unknown` and answered `outcome_unknown`, never re-applied blindly. A later invocation of
 * the same outcome that finds `unknown` (or a dead invocation's lapsed lease) checks first too.
 *
 * Never lost: the lease of an invocation is at least the function's timeout, so a live
 * invocation is never taken over; a store outage does not block the caller (the outcome is
 * applied without deduplication and logged).
 *
 * Timing: the reply comes back within `deadlineMs` of `startedAt`, plus one store write and,
 * after an ambiguous failure at the deadline, one vendor check of at most CHECK_BUDGET_MS.
 */
import type { AdapterReply, OutcomeEvent, RejectReason } from '../../events/outcome.ts';
import { beginOutcome, finishOutcome, readOutcome, reclaimOutcome, type OutcomeRecord } from '../../lib/store/idempotency.ts';
import type { Store } from '../../lib/store/client.ts';
import { DeadlineExceededError, withRetry, type RetryDecision } from '../../lib/retry.ts';
import type { Logger } from '../../lib/log.ts';
import { isAmbiguousFailure } from './classify.ts';
import { rejectedReply } from './reply.ts';

/** One vendor attempt; `signal` aborts when the outcome's deadline arrives. */
export type VendorAttempt = (attempt: number, signal: AbortSignal) => Promise<void>;

/** What the vendor's state shows about the outcome. */
export type CheckVerdict = 'applied' | 'not_applied' | 'unknown';

/** Time a vendor check may take when the deadline has already passed, ms. */
export const CHECK_BUDGET_MS = 1000;

export interface ApplyOnceOptions {
  store: Store;
  outcome: OutcomeEvent;
  /** Total budget in ms from `startedAt` (OUTCOME_DEADLINE_MS, default 3000). */
  deadlineMs: number;
  /** Lease of the in-progress record, ms; at least the function's timeout (default deadlineMs + 2000, raised to leaseMs). */
  leaseMs?: number;
  /** Epoch ms the invocation began (default now). */
  startedAt?: number;
  send: VendorAttempt;
  classify: (err: unknown) => RetryDecision;
  /** Reason and safe message for a non-retryable error. */
  reject: (err: unknown) => { reason: RejectReason; message: string };
  /** Asks the vendor whether the outcome was applied (absent: an ambiguous failure is `unknown`). Must not throw. */
  check?: (signal: AbortSignal) => Promise<CheckVerdict>;
  /** Which failures are ambiguous (default classify.ts isAmbiguousFailure). */
  ambiguous?: (err: unknown) => boolean;
  log?: Logger;
  /** Poll interval in ms while another invocation holds the same outcome (default 50). */
  pollMs?: number;
}

/** Applies `outcome` once; never throws for vendor or store failures (they become replies). */
export async function applyOnce(o: ApplyOnceOptions): Promise<AdapterReply> {
  const { outcome, store, log } = o;
  const startedAt = o.startedAt ?? Date.now();
  const left = () => o.deadlineMs - (Date.now() - startedAt);
  const base = { outcomeId: outcome.outcomeId, vendor: outcome.vendor };
  const leaseMs = Math.max(o.deadlineMs + 2000, o.leaseMs ?? 0);
  const ambiguous = o.ambiguous ?? isAmbiguousFailure;
  const applied = (duplicate: boolean, attempts: number): AdapterReply => ({ status: 'applied', ...base, duplicate, attempts });
  const unknownReply = (why: string, attempts: number) => rejectedReply(outcome, 'outcome_unknown', `${why}; the vendor may have applied it, so it is not sent again`.slice(0, 300), attempts);

  let claimed = false;
  try {
    for (let round = 0; round < 20 && !claimed; round++) {
      const begin = await beginOutcome(store, outcome.outcomeId, outcome.vendor, leaseMs);
      if (begin.status === 'started') claimed = true;
      else if (begin.status === 'applied') return applied(true, 0);
      else if (begin.status === 'unknown') {
        const verdict = await check(o, left);
        log?.warn({ outcomeId: outcome.outcomeId, verdict, seen: begin.record.state }, 'outcome state unknown from an earlier attempt; asked the vendor');
        if (verdict === 'applied') {
          await finish(o, 'applied', begin.record.attempts ?? 0, true);
          return applied(true, 0);
        }
        if (verdict === 'unknown') return unknownReply('an earlier attempt ended without an answer', 0);
        claimed = await reclaimOutcome(store, begin.record as OutcomeRecord);
      } else {
        // Another invocation is applying it right now: wait for its result inside our deadline.
        const settled = await waitForOther(o, left);
        if (settled === 'applied') return applied(true, 0);
        if (settled === 'unknown') continue;
        if (settled === 'timeout') return rejectedReply(outcome, 'deadline_exceeded', 'another invocation is still applying this outcome', 0);
      }
    }
    if (!claimed) return rejectedReply(outcome, 'deadline_exceeded', 'could not claim the outcome', 0);
  } catch (err) {
    // Without the store we cannot deduplicate; applying beats leaving the caller stranded.
    log?.warn({ err: (err as Error).message }, 'idempotency store unavailable; applying without deduplication');
  }

  let attempts = 0;
  for (let round = 0; round < 3; round++) {
    try {
      const r = await withRetry(
        (attempt, remainingMs) => {
          attempts++;
          return o.send(attempts, AbortSignal.timeout(Math.max(1, Math.min(remainingMs, left()))));
        },
        {
          deadlineMs: Math.max(0, left()),
          // An ambiguous failure is never retried blindly: it goes to the check below.
          classify: (err) => (ambiguous(err) ? { retry: false } : o.classify(err)),
          onRetry: (err, attempt, waitMs) => log?.info({ attempt, waitMs, err: (err as Error)?.name }, 'vendor call failed; retrying'),
        },
      );
      void r;
      await finish(o, 'applied', attempts, claimed);
      return applied(false, attempts);
    } catch (err) {
      const last = err instanceof DeadlineExceededError ? err.lastError : err;
      if (ambiguous(last)) {
        const verdict = await check(o, left);
        log?.warn({ outcomeId: outcome.outcomeId, verdict, err: (last as Error)?.name ?? String(last) }, 'ambiguous vendor failure; asked the vendor');
        if (verdict === 'applied') {
          await finish(o, 'applied', attempts, claimed);
          return applied(false, attempts);
        }
        if (verdict === 'not_applied' && left() > 50) continue;
        // Even "not applied" stays `unknown` here: the lost request may still be in flight, so
        // a later invocation checks again before sending rather than sending blindly.
        await finish(o, 'unknown', attempts, claimed);
        if (verdict === 'not_applied') return rejectedReply(outcome, 'deadline_exceeded', 'not applied before the deadline', attempts);
        return unknownReply(`no answer from the vendor (${(last as Error)?.name ?? 'error'})`, attempts);
      }
      await finish(o, 'rejected', attempts, claimed);
      if (err instanceof DeadlineExceededError) return rejectedReply(outcome, 'deadline_exceeded', err.message.slice(0, 300), attempts);
      const { reason, message } = o.reject(err);
      return rejectedReply(outcome, reason, message, attempts);
    }
  }
  await finish(o, 'unknown', attempts, claimed);
  return unknownReply('repeated ambiguous failures', attempts);
}

/** The vendor's verdict, bounded in time; any failure of the check itself is `unknown`. */
async function check(o: ApplyOnceOptions, left: () => number): Promise<CheckVerdict> {
  if (!o.check) return 'unknown';
  try {
    return await o.check(AbortSignal.timeout(Math.max(CHECK_BUDGET_MS, left())));
  } catch (err) {
    o.log?.warn({ err: (err as Error)?.message }, 'vendor check failed');
    return 'unknown';
  }
}

async function finish(o: ApplyOnceOptions, state: 'applied' | 'rejected' | 'unknown', attempts: number, claimed: boolean): Promise<void> {
  if (!claimed) return;
  try {
    await finishOutcome(o.store, o.outcome.outcomeId, state, attempts);
  } catch (err) {
    o.log?.error({ err: (err as Error).message, state }, 'could not record the outcome state');
  }
}

async function waitForOther(o: ApplyOnceOptions, left: () => number): Promise<'applied' | 'retry' | 'unknown' | 'timeout'> {
  const pollMs = o.pollMs ?? 50;
  for (let i = 0; i < 10_000 && left() > pollMs; i++) {
    await new Promise((r) => setTimeout(r, pollMs));
    const rec = await readOutcome(o.store, o.outcome.outcomeId);
    if (rec?.state === 'applied') return 'applied';
    if (rec?.state === 'unknown') return 'unknown';
    if (!rec || rec.state === 'rejected') return 'retry';
  }
  return 'timeout';
}
