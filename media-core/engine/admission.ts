/**
 * Call admission by plan (seed 000: Trial 5, Plus 100, Enterprise 1000 concurrent calls).
 * One call too many is refused with 486 Busy Here before the runtime sees it; calls in
 * progress are untouched. While draining, new calls get 503 with Retry-After.
 */

/** Plan names and their concurrent-call limits. */
export const PLAN_LIMITS = { trial: 5, plus: 100, enterprise: 1000 } as const;

export type Plan = keyof typeof PLAN_LIMITS;

/** Resolves a plan name or a number to a concurrent-call limit. @throws RangeError on an unknown plan or a negative/non-integer number. */
export function callLimit(max: number | Plan): number {
  if (typeof max === 'number') {
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`maxCalls must be a non-negative integer, got ${max}`);
    return max;
  }
  const limit = PLAN_LIMITS[max];
  if (limit === undefined) throw new RangeError(`unknown plan ${JSON.stringify(max)} (trial, plus, enterprise)`);
  return limit;
}

/** Admission decision for a new INVITE. */
export type Admission = { admit: true } | { admit: false; status: 486 | 503; reason: string; retryAfterS?: number };

/** Counts admitted calls against the limit. */
export class AdmissionControl {
  private active = 0;
  draining = false;

  constructor(readonly limit: number) {}

  get activeCalls(): number {
    return this.active;
  }

  /** Decides for a new call and, when admitted, counts it (call {@link release} when it ends). */
  tryAdmit(): Admission {
    if (this.draining) return { admit: false, status: 503, reason: 'Service Unavailable', retryAfterS: 30 };
    if (this.active >= this.limit) return { admit: false, status: 486, reason: 'Busy Here' };
    this.active++;
    return { admit: true };
  }

  release(): void {
    if (this.active > 0) this.active--;
  }
}
