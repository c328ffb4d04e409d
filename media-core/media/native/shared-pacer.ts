/**
 * The process's one native RTP pacer, shared by every engine in it (tests and benches run
 * several engines in one process; the addon has one thread per process).
 */
import { loadRtpPacerAddon } from './load.ts';
import { RtpPacer, type RtpPacerOptions } from './rtp-pacer.ts';

let shared: RtpPacer | undefined;
let users = 0;

/**
 * The shared pacer, started on first use with `opts` (later callers share the first options).
 * @returns undefined when the addon is not available (see loadRtpPacerAddon's reason).
 */
export function acquireRtpPacer(opts: RtpPacerOptions = {}): RtpPacer | undefined {
  const { addon } = loadRtpPacerAddon();
  if (!addon) return undefined;
  shared ??= RtpPacer.start(addon, opts);
  users++;
  return shared;
}

/** Gives the pacer back; the last user stops its thread. */
export function releaseRtpPacer(pacer: RtpPacer): void {
  if (pacer !== shared || users === 0) return;
  if (--users === 0) {
    shared.stop();
    shared = undefined;
  }
}
