/**
 * Call admission: the plan's concurrent-call count (Trial 5, Plus 100, Enterprise 1000:
 * https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone) and then a list of {@link AdmissionCheck}s (headroom: event-loop delay, speech queues,
 * pacer lateness; the fleet-wide limit), decided before the runtime sees the call.
 *
 * Status codes (RFC 3261 sections 21.4.24 and 21.5.4):
 * - 486 Busy Here: the plan's limit is reached, the whole service is full.
 * - 503 Service Unavailable with Retry-After: this instance is draining or has no headroom; a
 *   proxy (Kamailio's dispatcher, a Voice Connector origination route) tries another instance.
 *
 * An admitted call is never failed by load: the checks only gate new INVITEs (and OPTIONS, so
 * a dispatcher stops sending), and nothing here touches a call once admitted.
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

/** Why a call was refused: the label of the refusal counter. */
export type RefusalCause = 'draining' | 'plan_limit' | 'event_loop_delay' | 'speech_queue' | 'speech_demand' | 'pacer_late' | 'check_timeout' | (string & {});

/** A refusal: the SIP status, its reason phrase, Retry-After (s) for 503, and the cause. */
export interface AdmissionRefusal {
  status: 486 | 503;
  reason: string;
  retryAfterS?: number;
  cause: RefusalCause;
  /** Facts for the log line (measured value, threshold). */
  detail?: Record<string, unknown>;
}

/** Admission decision for a new INVITE; `release` must be called once when an admitted call ends. */
export type Admission = { admit: true; release: () => void } | ({ admit: false } & AdmissionRefusal);

/** What a check is told about the call being decided. */
export interface AdmissionContext {
  /** The INVITE's Call-ID ('' for the OPTIONS headroom probe): what a reservation is held under. */
  callId: string;
  /** Calls admitted on this instance, this one included, count. */
  activeCalls: number;
  /** The plan's limit on this instance, count. */
  limit: number;
  /** Aborted when the check's deadline passes: stop waiting (e.g. cancel a DynamoDB update). */
  signal: AbortSignal;
  /** Time this check has, ms. */
  deadlineMs: number;
}

/**
 * One admission check, run in order after the plan's count. The seam for more checks: the
 * fleet-wide limit (./fleet-limit.ts, DynamoDB leases) is one more entry that reserves a slot
 * for the Call-ID in `check` and gives it back in `release`.
 */
export interface AdmissionCheck {
  /** Short name, for logs. */
  readonly name: string;
  /**
   * true: cheap, synchronous and about this instance's headroom, so OPTIONS asks it too (a
   * dispatcher then stops sending new calls). Headroom checks must not reserve anything.
   */
  readonly headroom?: boolean;
  /**
   * Decides: undefined admits, a refusal refuses. May be async; it gets `deadlineMs` (default
   * 200 ms) and an AbortSignal.
   */
  check(ctx: AdmissionContext): AdmissionRefusal | undefined | Promise<AdmissionRefusal | undefined>;
  /** Deadline of an async check, ms (default 200). */
  readonly deadlineMs?: number;
  /**
   * What a check that misses its deadline (or throws) means: 'admit' (fail open, the default:
   * a slow dependency must not block calls) or a refusal.
   */
  readonly onFailure?: 'admit' | AdmissionRefusal;
  /** Gives back what a passed `check` reserved for `callId`: called once when the call ends or a later check refuses it. */
  release?(callId: string): void;
}

/** Options of {@link AdmissionControl}. */
export interface AdmissionOptions {
  checks?: AdmissionCheck[];
  /** Retry-After of the 503 while draining, s (default 30). */
  drainRetryAfterS?: number;
  /** Told about every decision (metrics, logs). */
  onDecision?: (d: { admitted: boolean; cause?: RefusalCause; refusal?: AdmissionRefusal }) => void;
}

const TIMEOUT = Symbol('timeout');

/** Counts admitted calls against the limit, then runs the checks. */
export class AdmissionControl {
  private active = 0;
  draining = false;
  private readonly checks: AdmissionCheck[];

  constructor(
    readonly limit: number,
    private readonly opts: AdmissionOptions = {},
  ) {
    this.checks = opts.checks ?? [];
  }

  get activeCalls(): number {
    return this.active;
  }

  /**
   * This instance's headroom without reserving anything (OPTIONS): draining, then the
   * synchronous headroom checks. @returns the refusal, or undefined when a call would be taken.
   */
  headroom(): AdmissionRefusal | undefined {
    if (this.draining) return this.drainRefusal();
    for (const c of this.checks) {
      if (!c.headroom) continue;
      const r = safeSync(c, { callId: '', activeCalls: this.active, limit: this.limit, signal: new AbortController().signal, deadlineMs: 0 });
      if (r) return r;
    }
    return undefined;
  }

  /**
   * Decides for a new call (`callId`: the INVITE's Call-ID) and, when admitted, counts it; the
   * caller calls `release` when the call ends. Never throws; takes at most the sum of the async
   * checks' deadlines.
   */
  async admit(callId: string): Promise<Admission> {
    if (this.draining) return this.refuse(this.drainRefusal());
    if (this.active >= this.limit) return this.refuse({ status: 486, reason: 'Busy Here', cause: 'plan_limit' });
    // Reserved before the checks run, so concurrent INVITEs cannot overshoot the limit while one awaits.
    this.active++;
    const passed: AdmissionCheck[] = [];
    const giveBack = () => {
      for (const c of passed.reverse()) safeRelease(c, callId);
      this.active--;
    };
    for (const c of this.checks) {
      const { refusal, reserved } = await this.run(c, callId);
      if (refusal) {
        giveBack();
        return this.refuse(refusal);
      }
      if (reserved) passed.push(c);
    }
    this.opts.onDecision?.({ admitted: true });
    let released = false;
    return {
      admit: true,
      release: () => {
        if (released) return;
        released = true;
        giveBack();
      },
    };
  }

  /** Runs one check within its deadline. `reserved`: it passed in time, so it is released when the call ends. */
  private async run(c: AdmissionCheck, callId: string): Promise<{ refusal?: AdmissionRefusal; reserved: boolean }> {
    const deadlineMs = c.deadlineMs ?? 200;
    const ctrl = new AbortController();
    const ctx: AdmissionContext = { callId, activeCalls: this.active, limit: this.limit, signal: ctrl.signal, deadlineMs };
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = c.check(ctx);
      if (!(r instanceof Promise)) return { refusal: r, reserved: !r };
      const outcome = await Promise.race([r, new Promise<typeof TIMEOUT>((ok) => (timer = setTimeout(() => ok(TIMEOUT), deadlineMs)))]);
      if (outcome !== TIMEOUT) return { refusal: outcome, reserved: !outcome };
      ctrl.abort();
      // A late pass may still have reserved something: give it back when it arrives.
      void r.then((late) => late === undefined && safeRelease(c, callId), () => undefined);
      return { refusal: failure(c), reserved: false };
    } catch {
      return { refusal: failure(c), reserved: false };
    } finally {
      clearTimeout(timer);
    }
  }

  private drainRefusal(): AdmissionRefusal {
    return { status: 503, reason: 'Service Unavailable', retryAfterS: this.opts.drainRetryAfterS ?? 30, cause: 'draining' };
  }

  private refuse(r: AdmissionRefusal): Admission {
    this.opts.onDecision?.({ admitted: false, cause: r.cause, refusal: r });
    return { admit: false, ...r };
  }
}

function failure(c: AdmissionCheck): AdmissionRefusal | undefined {
  const f = c.onFailure ?? 'admit';
  return f === 'admit' ? undefined : f;
}

function safeSync(c: AdmissionCheck, ctx: AdmissionContext): AdmissionRefusal | undefined {
  try {
    const r = c.check(ctx);
    return r instanceof Promise ? undefined : r;
  } catch {
    return undefined;
  }
}

function safeRelease(c: AdmissionCheck, callId: string): void {
  try {
    c.release?.(callId);
  } catch {
    // A release that throws must not keep the count from going down.
  }
}
