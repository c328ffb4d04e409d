/**
 * A forecast of the speech workers' load, for admission: a call admitted now speaks seconds
 * later (after the greeting), so the speech queues fill long after the calls that fill them
 * were admitted. Refusing only once the queues are full would have admitted every caller of
 * the last seconds into a backlog that misses its deadlines.
 *
 * So each admission is judged by the load the calls admitted lately will bring:
 *
 *   load = (admissions per second, this one included: over the last `rateWindowMs`, or over
 *           the last `burstWindowMs` when that is higher)
 *        x (requests per admitted call: the requests of the last `ratioWindowMs` over the
 *           calls admitted in that window more than `rateWindowMs` ago, since a call speaks some
 *           seconds after its admission; the queue's prior until `minSampleCalls` calls count)
 *        x (median service time of the queue's last 32 requests, s)
 *        / (workers)
 *
 * which is, by Little's law, the fraction of the workers' time that rate of calls keeps busy
 * in steady state. A service time measured as wall time grows when the workers are short of
 * CPU, so the forecast tightens by itself on a busy machine. Every queue registered in
 * conversation/speech/speech-load.ts (stt, tts) is judged; the busiest counts.
 */
import { speechQueueLoads, type SpeechQueueLoad } from '../conversation/speech/speech-load.ts';

/** Options of {@link SpeechDemand}. */
export interface SpeechDemandOptions {
  /** Window of the admission rate, ms (default 10000). */
  rateWindowMs?: number;
  /**
   * Short window of the admission rate, ms (default 2000). A burst from idle averaged over
   * the long window alone looked half as fast as it was or less: at 60 calls/s the first 5 s were
   * all admitted, and their speech overflowed the decoders' queue 7 s later.
   */
  burstWindowMs?: number;
  /** Window of the requests-per-call ratio, ms (default 60000). */
  ratioWindowMs?: number;
  /** Admissions the ratio needs before it replaces the prior (default 20). */
  minSampleCalls?: number;
  /** Requests per call assumed before there are enough calls, by queue (default stt 1: each caller speaks; others 0). */
  priors?: Record<string, number>;
  /** The queues' loads (default: speech-load.ts's registry). */
  loads?: () => Record<string, SpeechQueueLoad>;
}

/** The busiest queue's forecast load: its name and the fraction of its workers' time, 0-n. */
export interface DemandForecast {
  queue: string;
  load: number;
  admissionsPerS: number;
  requestsPerCall: number;
  serviceMs: number;
}

/** Bound on the admission timestamps kept: 200 calls/s over the rate window. */
const MAX_STAMPS = 2000;

export class SpeechDemand {
  private readonly o: Required<SpeechDemandOptions>;
  /** Admission times in the rate window, ms (performance.now), oldest first. */
  private readonly stamps: number[] = [];
  private admissions = 0;
  /** Snapshots for the ratio: time, cumulative admissions, cumulative requests per queue; one per 10 s at most. */
  private readonly marks: { at: number; admissions: number; requests: Record<string, number> }[] = [];

  constructor(opts: SpeechDemandOptions = {}) {
    this.o = { rateWindowMs: 10_000, burstWindowMs: 2000, ratioWindowMs: 60_000, minSampleCalls: 20, priors: { stt: 1 }, loads: speechQueueLoads, ...opts };
  }

  /** Counts an admitted call (AdmissionControl's onDecision). */
  noteAdmitted(now = performance.now()): void {
    this.admissions++;
    this.stamps.push(now);
    if (this.stamps.length > MAX_STAMPS) this.stamps.shift();
  }

  /** The forecast if one more call were admitted at `now`; undefined with no queue. */
  forecast(now = performance.now()): DemandForecast | undefined {
    while (this.stamps.length && this.stamps[0]! < now - this.o.rateWindowMs) this.stamps.shift();
    const loads = this.o.loads();
    this.mark(now, loads);
    let inBurst = 0;
    for (let i = this.stamps.length - 1; i >= 0 && this.stamps[i]! >= now - this.o.burstWindowMs; i--) inBurst++;
    const admissionsPerS = Math.max(((this.stamps.length + 1) * 1000) / this.o.rateWindowMs, ((inBurst + 1) * 1000) / this.o.burstWindowMs);
    const oldest = this.marks[0];
    // Calls admitted in the rate window may not have spoken yet, so they do not count; the
    // window's own stamps tell them apart exactly (a mark taken up to 10 s earlier counted
    // calls up to 20 s old, and the ratio came out 1.6 requests per 1-request call).
    // The sample must also span a rate window of admissions: over a shorter span the calls
    // of the last seconds before the window, which did speak, outweigh it (2.2 per call 11 s
    // into a 20 calls/s ramp).
    const spans = oldest !== undefined && oldest.at <= now - 2 * this.o.rateWindowMs;
    const calls = spans ? Math.max(0, this.admissions - this.stamps.length - oldest.admissions) : 0;
    let worst: DemandForecast | undefined;
    for (const [queue, l] of Object.entries(loads)) {
      const requestsPerCall = calls >= this.o.minSampleCalls ? (l.requests - (oldest!.requests[queue] ?? 0)) / calls : (this.o.priors[queue] ?? 0);
      const load = (admissionsPerS * requestsPerCall * (l.serviceMs / 1000)) / Math.max(1, l.concurrency);
      if (!worst || load > worst.load) worst = { queue, load, admissionsPerS, requestsPerCall, serviceMs: l.serviceMs };
    }
    return worst;
  }

  private mark(now: number, loads: Record<string, SpeechQueueLoad>): void {
    const last = this.marks.at(-1);
    if (last && now - last.at < 10_000) return;
    this.marks.push({ at: now, admissions: this.admissions, requests: Object.fromEntries(Object.entries(loads).map(([k, v]) => [k, v.requests])) });
    while (this.marks.length > 1 && this.marks[0]!.at < now - this.o.ratioWindowMs - this.o.rateWindowMs) this.marks.shift();
  }
}
