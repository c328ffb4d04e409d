/**
 * DTMF collection for a `dtmf` collect response (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions;
 * dtmf_collection_succeeded: https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-context). Rules:
 * - the termination_key ends the collection (it is not part of the digits);
 * - `count` digits end it (success iff exactly count digits);
 * - else maximum_count digits end it; success iff minimum_count (default 1) <= digits <=
 *   maximum_count;
 * - inter_digit_timeout_count ms without a digit (after the first) ends it;
 * - on end, every collected digit is reported, successful or not.
 */

export interface DtmfCollectParams {
  terminationKey?: string;
  count?: number;
  minimumCount?: number;
  maximumCount?: number;
  /** ms; default 3000 (only after the first digit). */
  interDigitTimeoutMs?: number;
  /** Speech does not end the collection (and is not recognized) while collecting. */
  ignoreSpeech: boolean;
  /** false: a new collection with the same parameters starts after each one. */
  stopAfterCollection: boolean;
}

export interface Collected {
  digits: string;
  succeeded: boolean;
}

export class DtmfCollector {
  private digits = '';
  private timer: NodeJS.Timeout | undefined;
  private done = false;
  constructor(
    readonly params: DtmfCollectParams,
    private readonly onDone: (c: Collected) => void,
  ) {}

  get active(): boolean {
    return !this.done;
  }

  /** true once at least one digit was collected. */
  get started(): boolean {
    return this.digits.length > 0;
  }

  push(digit: string): void {
    if (this.done) return;
    const p = this.params;
    if (p.terminationKey !== undefined && digit === p.terminationKey) return this.finish();
    this.digits += digit;
    if (p.count !== undefined && p.count > 0 && this.digits.length >= p.count) return this.finish();
    if (p.maximumCount !== undefined && p.maximumCount > 0 && this.digits.length >= p.maximumCount) return this.finish();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finish(), p.interDigitTimeoutMs ?? 3000);
  }

  /** Ends now (timeout elsewhere, speech). */
  finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    const p = this.params;
    const n = this.digits.length;
    const succeeded =
      p.count !== undefined && p.count > 0 ? n === p.count : n >= Math.max(1, p.minimumCount ?? 1) && (p.maximumCount === undefined || p.maximumCount === 0 || n <= p.maximumCount);
    this.onDone({ digits: this.digits, succeeded });
  }

  /** Drops the collection without reporting. */
  cancel(): void {
    this.done = true;
    clearTimeout(this.timer);
  }
}
