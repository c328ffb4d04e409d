/**
 * Retry with exponential backoff, full jitter and an overall deadline, for vendor calls
 * (Amazon Connect, NICE CXone, Twilio). The deadline bounds the whole operation, waits
 * included, so a caller on hold is never left waiting longer than configured.
 *
 * Backoff: AWS Architecture Blog, "Exponential Backoff And Jitter" (full jitter).
 */

/** What the operation's error means for retrying. */
export interface RetryDecision {
  retry: boolean;
  /** Server-requested wait (Retry-After), in ms; overrides the computed backoff. */
  afterMs?: number;
}

export interface RetryOptions {
  /** Total time budget in ms, from the first attempt (default 3000). */
  deadlineMs?: number;
  /** First backoff cap in ms (default 50). */
  baseMs?: number;
  /** Largest backoff cap in ms (default 1000). */
  maxMs?: number;
  /** Largest number of attempts (default 10). */
  maxAttempts?: number;
  /** Classifies an error; default: do not retry. */
  classify?: (err: unknown) => RetryDecision;
  /** Random source in [0,1), for tests. */
  random?: () => number;
  /** Called before each wait, for logging. */
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
}

/** Thrown when retryable failures continue until the deadline. `cause` is the last error. */
export class DeadlineExceededError extends Error {
  constructor(readonly attempts: number, readonly lastError: unknown) {
    super(`deadline exceeded after ${attempts} attempt(s): ${lastError instanceof Error ? lastError.message : String(lastError)}`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Runs `op(attempt, remainingMs)` until it resolves, a non-retryable error is thrown
 * (rethrown as is), or the deadline passes (DeadlineExceededError).
 * @returns the operation's value and the number of attempts made.
 */
export async function withRetry<T>(
  op: (attempt: number, remainingMs: number) => Promise<T>,
  opts: RetryOptions = {},
): Promise<{ value: T; attempts: number }> {
  const deadlineMs = opts.deadlineMs ?? 3000;
  const base = opts.baseMs ?? 50;
  const max = opts.maxMs ?? 1000;
  const maxAttempts = opts.maxAttempts ?? 10;
  const classify = opts.classify ?? (() => ({ retry: false }));
  const random = opts.random ?? Math.random;
  const start = Date.now();
  for (let attempt = 1; ; attempt++) {
    const remaining = deadlineMs - (Date.now() - start);
    if (remaining <= 0) throw new DeadlineExceededError(attempt - 1, new Error('no time left'));
    try {
      return { value: await op(attempt, remaining), attempts: attempt };
    } catch (err) {
      const decision = classify(err);
      if (!decision.retry) throw err;
      if (attempt >= maxAttempts) throw new DeadlineExceededError(attempt, err);
      const wait = decision.afterMs ?? Math.floor(random() * Math.min(max, base * 2 ** (attempt - 1)));
      const left = deadlineMs - (Date.now() - start);
      if (wait >= left) throw new DeadlineExceededError(attempt, err);
      opts.onRetry?.(err, attempt, wait);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
