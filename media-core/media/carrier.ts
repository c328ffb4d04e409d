/**
 * What carries a process's RTP: the native pacer thread (media-core/native/rtp_pacer.c),
 * which sends each packet at its due time and reads every socket, or node:dgram from the
 * event loop. Either way one {@link Scheduler} paces every call and one {@link PortPool}
 * hands out the even RTP ports; a carrier opens sessions on them, reports its pacing figures
 * and gives everything back on close.
 */
import { PortPool } from './port-pool.ts';
import { Scheduler, type TickDeviationStats } from './scheduler.ts';
import { RtpSession } from './rtp-session.ts';
import { acquireRtpPacer, releaseRtpPacer } from './native/shared-pacer.ts';
import { loadRtpPacerAddon } from './native/load.ts';
import type { RtpPacer, RtpPacerCounters } from './native/rtp-pacer.ts';
import type { MediaSession, MediaSessionOptions } from './media-session.ts';
import { trackCarrierPacing } from './metrics.ts';

/** The two carriers. */
export type CarrierKind = 'native' | 'dgram';

/** One scheduler's figures; `thread` is 'main' or 'rtp-pacer'. */
export interface PacingStats extends TickDeviationStats {
  thread: string;
  /** 'packets': per-packet send lateness (native pacer); 'ticks': scheduler wake-up lateness. */
  measures: 'packets' | 'ticks';
}

/** Options of {@link openCarrier}. */
export interface CarrierOptions {
  /** 'native', 'dgram', or 'auto' (default): native when the addon is built. */
  io?: 'auto' | CarrierKind;
  /** Address RTP sockets bind to (IPv4). */
  address: string;
  /** Even RTP ports are taken from [portMin, portMax]. */
  portMin: number;
  portMax: number;
  /** Native pacer tuning (see UasOptions.rtpPacer): lead ms (100), phases (80), realtime thread (true). */
  pacer?: { leadMs?: number; phases?: number; realtime?: boolean };
  /** Told when a sender's tick throws (that sender is then unregistered). */
  onError?: (err: unknown) => void;
}

/** The RTP carrier of a process (or of one engine in tests). */
export interface RtpCarrier {
  readonly kind: CarrierKind;
  /** The 20 ms pacing scheduler every session of this carrier shares. */
  readonly scheduler: Scheduler;
  /** Why the native pacer is not used, when it is not (addon not built, not asked for). */
  readonly nativeUnavailable: string | undefined;
  /**
   * Opens a session on a free port.
   * @throws PortPoolExhaustedError when no port is free (answer 503); RangeError on bad SRTP keys.
   */
  open(opts: MediaSessionOptions): Promise<MediaSession>;
  /**
   * With the native pacer, the lateness of every packet sent against its due time ('packets')
   * and the main thread's wake-up lateness ('ticks', to be covered by the lead); with dgram,
   * the scheduler's tick deviation.
   */
  pacingStats(): PacingStats[];
  /** Clears those histograms (e.g. once a load reached its steady state). */
  resetPacingStats(): void;
  /** The native pacer's drop and error counters (undefined with dgram). */
  counters(): RtpPacerCounters | undefined;
  /** The native pacer's cumulative send-lateness histogram (admission by headroom); undefined with dgram. */
  readonly latenessSnapshot: (() => ReturnType<RtpPacer['latenessSnapshot']>) | undefined;
  /** Closes the sessions still open, releases every port, stops the scheduler and gives the pacer back. Idempotent. */
  close(): void;
}

/**
 * Starts a carrier.
 * @throws Error when 'native' is asked for and the addon is not available; RangeError on a bad port range.
 */
export function openCarrier(opts: CarrierOptions): RtpCarrier {
  const io = opts.io ?? 'auto';
  const addonLoad = loadRtpPacerAddon();
  const nativeUnavailable = io === 'dgram' ? 'not asked for (dgram)' : 'reason' in addonLoad ? addonLoad.reason : undefined;
  const pacer = io === 'dgram' ? undefined : acquireRtpPacer({ realtime: opts.pacer?.realtime ?? true });
  if (io === 'native' && !pacer) throw new Error(`rtpIo native: the RTP pacer addon is ${nativeUnavailable ?? 'not available'}`);
  const onError = opts.onError ? (err: unknown) => opts.onError!(err) : undefined;
  // The pacer times every send, so the loop needs no spin: it only has to run within the lead.
  const scheduler = pacer
    ? new Scheduler({ onError, leadMs: opts.pacer?.leadMs ?? 100, phases: opts.pacer?.phases ?? 80, spinMs: 0, afterWake: () => pacer.kick() })
    : new Scheduler({ onError });
  let portPool: PortPool;
  try {
    portPool = new PortPool({
      address: opts.address,
      min: opts.portMin,
      max: opts.portMax,
      open: pacer ? async (address, port) => pacer.openSocket(address, port, scheduler) : undefined,
    });
  } catch (err) {
    if (pacer) releaseRtpPacer(pacer);
    throw err;
  }
  let closed = false;
  let untrack = () => {};
  const sessions = new Set<RtpSession>();
  const carrier: RtpCarrier = {
    kind: pacer ? 'native' : 'dgram',
    scheduler,
    nativeUnavailable: pacer ? undefined : nativeUnavailable,
    open: async (o) => {
      const session = await RtpSession.open({ ...o, portPool, scheduler });
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      return session;
    },
    pacingStats: () => {
      const main: PacingStats = { ...scheduler.stats(), thread: 'main', measures: 'ticks' };
      return pacer ? [{ ...pacer.stats(), thread: 'rtp-pacer', measures: 'packets' }, main] : [main];
    },
    resetPacingStats: () => {
      scheduler.resetStats();
      pacer?.resetStats();
    },
    counters: () => pacer?.counters(),
    latenessSnapshot: pacer ? () => pacer.latenessSnapshot() : undefined,
    close: () => {
      if (closed) return;
      closed = true;
      untrack();
      for (const session of sessions) session.close();
      scheduler.dispose();
      portPool.releaseAll();
      if (pacer) releaseRtpPacer(pacer);
    },
  };
  untrack = trackCarrierPacing(carrier);
  return carrier;
}
