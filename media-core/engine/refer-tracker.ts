/**
 * Tracks an outgoing REFER (RFC 3515, RFC 5589 blind transfer) to a {@link ReferResult}:
 * the REFER's own final response, then the implicit subscription's NOTIFYs carrying
 * message/sipfrag status lines, bounded by a timeout.
 */
import type { ReferOptions, ReferResult } from '../call/types.ts';
import { parseSipfragStatus, subscriptionState } from '../sip/sipfrag.ts';

/** Default wait for a final NOTIFY, ms. */
export const DEFAULT_REFER_TIMEOUT_MS = 30_000;

/** One REFER in progress. `done` resolves exactly once. */
export class ReferTracker {
  readonly done: Promise<ReferResult>;
  private resolve!: (r: ReferResult) => void;
  private settled = false;
  private readonly timer: NodeJS.Timeout;
  /** Last sipfrag status seen (for logs). */
  lastCode?: number;

  constructor(private readonly opts: ReferOptions = {}) {
    this.done = new Promise((r) => (this.resolve = r));
    this.timer = setTimeout(() => this.settle({ status: 'timeout' }), opts.timeoutMs ?? DEFAULT_REFER_TIMEOUT_MS);
    this.timer.unref?.();
  }

  get settledAlready(): boolean {
    return this.settled;
  }

  /** The REFER's final response (or 408 on transaction timeout): non-2xx rejects the transfer. */
  onReferResponse(code: number, reason: string): void {
    if (code >= 300 || code < 200) this.settle({ status: 'rejected', code, reason });
  }

  /**
   * A NOTIFY of the refer subscription. A sipfrag status >= 200 is final: 2xx or one of
   * acceptCodes is success, anything else failure. A terminated subscription without a
   * final status is a failure.
   */
  onNotify(body: string, subscriptionStateHeader: string | undefined): void {
    const status = parseSipfragStatus(body);
    if (status) this.lastCode = status.code;
    if (status && status.code >= 200) {
      const ok = (status.code < 300) || (this.opts.acceptCodes ?? []).includes(status.code);
      this.settle(ok ? { status: 'success', code: status.code } : { status: 'failure', code: status.code, reason: status.reason });
      return;
    }
    if (subscriptionState(subscriptionStateHeader) === 'terminated')
      this.settle({ status: 'failure', code: status?.code ?? 0, reason: 'subscription terminated without a final status' });
  }

  /** Ends tracking because the call ended. */
  abort(reason: string): void {
    this.settle({ status: 'failure', code: 0, reason });
  }

  private settle(r: ReferResult): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(r);
  }
}
