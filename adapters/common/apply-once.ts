/**
 * The idempotent, deadline-bounded apply shared by the API-side adapters (Amazon Connect,
 * NICE CXone): claim the outcome id in the store (lib/store/idempotency.ts, item family
 * `outcome#`), send the vendor request with retries inside the deadline (lib/retry.ts),
 * record the result, and build the {@link AdapterReply} the media core waits for before BYE.
 *
 * Guarantees: a duplicate of an applied outcome is answered `applied, duplicate: true`
 * without a vendor request; the reply comes back within `deadlineMs` of `startedAt` plus the
 * time of one store write (each vendor attempt is aborted when the deadline arrives).
 */
import type { AdapterReply, OutcomeEvent, RejectReason } from '../../events/outcome.ts';
import { beginOutcome, finishOutcome, readOutcome } from '../../lib/store/idempotency.ts';
import type { Store } from '../../lib/store/client.ts';
import { DeadlineExceededError, withRetry, type RetryDecision } from '../../lib/retry.ts';
import type { Logger } from '../../lib/log.ts';
import { rejectedReply } from './reply.ts';

/** One vendor attempt; `signal` aborts when the outcome's deadline arrives. */
export type VendorAttempt = (attempt: number, signal: AbortSignal) => Promise<void>;

export interface ApplyOnceOptions {
  store: Store;
  outcome: OutcomeEvent;
  /** Total budget in ms from `startedAt` (OUTCOME_DEADLINE_MS, default 3000). */
  deadlineMs: number;
  /** Epoch ms the invocation began (default now). */
  startedAt?: number;
  send: VendorAttempt;
  classify: (err: unknown) => RetryDecision;
  /** Reason and safe message for a non-retryable error. */
  reject: (err: unknown) => { reason: RejectReason; message: string };
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

  let claimed = false;
  try {
    for (let round = 0; round < 1000 && !claimed; round++) {
      const begin = await beginOutcome(store, outcome.outcomeId, outcome.vendor, o.deadlineMs + 2000);
      if (begin.status === 'started') claimed = true;
      else if (begin.status === 'applied') return { status: 'applied', ...base, duplicate: true, attempts: 0 };
      else {
        // Another invocation is applying it right now: wait for its result inside our deadline.
        const settled = await waitForOther(o, left);
        if (settled === 'applied') return { status: 'applied', ...base, duplicate: true, attempts: 0 };
        if (settled === 'timeout') return rejectedReply(outcome, 'deadline_exceeded', 'another invocation is still applying this outcome', 0);
      }
    }
  } catch (err) {
    // Without the store we cannot deduplicate; applying beats leaving the caller stranded.
    log?.warn({ err: (err as Error).message }, 'idempotency store unavailable; applying without deduplication');
  }

  let attempts = 0;
  try {
    const r = await withRetry(
      (attempt, remainingMs) => {
        attempts = attempt;
        return o.send(attempt, AbortSignal.timeout(Math.max(1, Math.min(remainingMs, left()))));
      },
      {
        deadlineMs: Math.max(0, left()),
        classify: o.classify,
        onRetry: (err, attempt, waitMs) => log?.info({ attempt, waitMs, err: (err as Error)?.name }, 'vendor call failed; retrying'),
      },
    );
    await finish(o, 'applied', r.attempts, claimed);
    return { status: 'applied', ...base, duplicate: false, attempts: r.attempts };
  } catch (err) {
    await finish(o, 'rejected', attempts, claimed);
    if (err instanceof DeadlineExceededError) {
      return rejectedReply(outcome, 'deadline_exceeded', err.message.slice(0, 300), err.attempts);
    }
    const { reason, message } = o.reject(err);
    return rejectedReply(outcome, reason, message, attempts);
  }
}

async function finish(o: ApplyOnceOptions, state: 'applied' | 'rejected', attempts: number, claimed: boolean): Promise<void> {
  if (!claimed) return;
  try {
    await finishOutcome(o.store, o.outcome.outcomeId, state, attempts);
  } catch (err) {
    o.log?.error({ err: (err as Error).message, state }, 'could not record the outcome state');
  }
}

async function waitForOther(o: ApplyOnceOptions, left: () => number): Promise<'applied' | 'retry' | 'timeout'> {
  const pollMs = o.pollMs ?? 50;
  for (let i = 0; i < 10_000 && left() > pollMs; i++) {
    await new Promise((r) => setTimeout(r, pollMs));
    const rec = await readOutcome(o.store, o.outcome.outcomeId);
    if (rec?.state === 'applied') return 'applied';
    if (!rec || rec.state === 'rejected') return 'retry';
  }
  return 'timeout';
}
