/**
 * Admission by headroom: three {@link AdmissionCheck}s that refuse a new call with 503 and
 * Retry-After while this instance is short of the time its admitted calls need:
 * - event-loop delay p99 over a short window (media-core/observability/event-loop-delay.ts):
 *   the loop builds every packet `leadMs` (100 ms) ahead and reads SIP; a loop held off that
 *   long makes ACKs and BYEs wait and packets late;
 * - speech queues at a fraction of their bounds (conversation/speech/speech-load.ts): a new
 *   call's recognitions would wait behind admitted calls' ones;
 * - the speech workers' forecast load (./speech-demand.ts): the calls admitted lately will
 *   speak seconds from now, so their load is counted before it reaches the queues;
 * - the native pacer's per-packet send lateness p99 over a window (observability/pacer-lateness.ts).
 *
 * Each compares with a threshold (configurable; 0 disables it). They are synchronous and reserve
 * nothing, so OPTIONS asks them too and a dispatcher stops sending new calls.
 */
import { speechQueueOverBound, speechQueueLoads } from '../conversation/speech/speech-load.ts';
import { EventLoopDelayWindow } from '../observability/event-loop-delay.ts';
import { PacerLatenessWindow, type LatenessSnapshot } from '../observability/pacer-lateness.ts';
import type { AdmissionCheck, AdmissionRefusal } from './admission.ts';
import { SpeechDemand } from './speech-demand.ts';

/** Thresholds of admission by headroom (env names in media-core/main.ts). */
export interface HeadroomOptions {
  /** Refuse when event-loop delay p99 over the window exceeds this, ms (default 200; 0 = off). ADMISSION_EVENT_LOOP_P99_MS. */
  eventLoopDelayP99Ms?: number;
  /** Refuse when any speech queue holds this fraction of its bound, 0-1 (default 0.75; 0 = off). ADMISSION_SPEECH_QUEUE_FRACTION. */
  speechQueueFraction?: number;
  /**
   * Refuse when the calls admitted lately would keep the busiest speech queue's workers busy
   * more than this fraction of their time (default 0.7; 0 = off): the workers share the
   * machine with the calls' media and signalling, at a lower priority. Measured on 2 cores
   * with 40 calls/s offered: at 0.7, 648 admitted and turn latency p99 410 ms; at 0.8, 672
   * admitted and p99 1,706 ms (the decoders past their knee). ADMISSION_SPEECH_DEMAND.
   */
  speechDemand?: number;
  /** Refuse when the pacer's send lateness p99 over the window exceeds this, ms (default 10; 0 = off). ADMISSION_PACER_LATE_P99_MS. */
  pacerLateP99Ms?: number;
  /** Window of the event-loop and pacer figures, ms (default 2000). ADMISSION_WINDOW_MS. */
  windowMs?: number;
  /** Retry-After of a headroom refusal, s (default 5). ADMISSION_RETRY_AFTER_S. */
  retryAfterS?: number;
}

export const HEADROOM_DEFAULTS: Required<HeadroomOptions> = { eventLoopDelayP99Ms: 200, speechQueueFraction: 0.75, speechDemand: 0.7, pacerLateP99Ms: 10, windowMs: 2000, retryAfterS: 5 };

/** The checks, plus the monitors they read (for /metrics) and their stop. */
export interface Headroom {
  checks: AdmissionCheck[];
  eventLoop: EventLoopDelayWindow;
  pacer: PacerLatenessWindow | undefined;
  /** Told of every admitted call (AdmissionControl's onDecision). */
  demand: SpeechDemand;
  stop(): void;
}

/**
 * Builds the headroom checks. `pacerSnapshot` is the native pacer's lateness histogram
 * (undefined when RTP goes through node:dgram: the event-loop check covers that path).
 */
export function headroomChecks(opts: HeadroomOptions = {}, pacerSnapshot?: () => LatenessSnapshot): Headroom {
  const o = { ...HEADROOM_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as Required<HeadroomOptions>;
  const refusal = (cause: string, detail: Record<string, unknown>): AdmissionRefusal => ({ status: 503, reason: 'Service Unavailable', retryAfterS: o.retryAfterS, cause, detail });
  const eventLoop = new EventLoopDelayWindow({ windowMs: o.windowMs });
  const pacer = pacerSnapshot ? new PacerLatenessWindow(pacerSnapshot, { windowMs: o.windowMs }) : undefined;
  const demand = new SpeechDemand();
  const checks: AdmissionCheck[] = [];
  if (o.eventLoopDelayP99Ms > 0) {
    checks.push({
      name: 'event-loop-delay',
      headroom: true,
      check: () => {
        const p99 = eventLoop.p99Ms();
        return p99 > o.eventLoopDelayP99Ms ? refusal('event_loop_delay', { p99Ms: round(p99), thresholdMs: o.eventLoopDelayP99Ms }) : undefined;
      },
    });
  }
  if (o.speechQueueFraction > 0) {
    checks.push({
      name: 'speech-queues',
      headroom: true,
      check: () => {
        const queue = speechQueueOverBound(o.speechQueueFraction);
        return queue ? refusal('speech_queue', { queue, load: speechQueueLoads()[queue], fraction: o.speechQueueFraction }) : undefined;
      },
    });
  }
  if (o.speechDemand > 0) {
    checks.push({
      name: 'speech-demand',
      headroom: true,
      check: () => {
        const f = demand.forecast();
        return f && f.load > o.speechDemand
          ? refusal('speech_demand', { queue: f.queue, load: round(f.load), limit: o.speechDemand, admissionsPerS: round(f.admissionsPerS), requestsPerCall: round(f.requestsPerCall), serviceMs: round(f.serviceMs) })
          : undefined;
      },
    });
  }
  if (pacer && o.pacerLateP99Ms > 0) {
    checks.push({
      name: 'pacer-lateness',
      headroom: true,
      check: () => {
        const p99 = pacer.p99Ms();
        return p99 > o.pacerLateP99Ms ? refusal('pacer_late', { p99Ms: round(p99), thresholdMs: o.pacerLateP99Ms, packets: pacer.packets() }) : undefined;
      },
    });
  }
  return {
    checks,
    eventLoop,
    pacer,
    demand,
    stop: () => {
      eventLoop.stop();
      pacer?.stop();
    },
  };
}

const round = (v: number) => Math.round(v * 100) / 100;
