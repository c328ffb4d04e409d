/**
 * Loads the native RTP pacer addon (media-core/native/rtp_pacer.c, built by
 * `npm run build:native` into media-core/native/build/rtp_pacer.node).
 *
 * The addon is optional: where it is not built (no compiler, not Linux), the media core
 * carries RTP through node:dgram with the same behaviour and more CPU per packet.
 * RTP_PACER_ADDON overrides the path (the container image puts it beside its bundle).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions (see rtp_pacer.c for the ring layouts). */
export interface RtpPacerAddon {
  /** Starts the pacer thread on rings of a power-of-two slot count. @throws when already started in this process. */
  start(tx: ArrayBuffer, rx: ArrayBuffer, control: Int32Array, histogram: Uint32Array, realtime: boolean): void;
  /** Binds a UDP socket (IPv4 in host byte order) under `id`; returns its generation. @throws Error with code EADDRINUSE, EACCES... */
  open(id: number, ipv4: number, port: number): number;
  /** Closes socket `id`; its queued packets are dropped. */
  close(id: number): void;
  /** Drops socket `id`'s queued packets of epochs before `epoch` due at or after dueMs (CLOCK_MONOTONIC ms). */
  cancel(id: number, gen: number, epoch: number, dueMs: number): void;
  /** Wakes the thread to read newly queued packets. */
  kick(): void;
  /** CLOCK_MONOTONIC in ms (the clock of due times). */
  nowMs(): number;
  /** Stops the thread and closes every socket. */
  stop(): void;
  layout: {
    txSlot: number;
    txHeader: number;
    rxSlot: number;
    rxHeader: number;
    histBuckets: number;
    histBucketNs: number;
    controlWords: number;
    maxSockets: number;
  };
}

/** The addon, or why it is not available. */
export type AddonLoad = { addon: RtpPacerAddon; path: string } | { addon: undefined; reason: string };

let cached: AddonLoad | undefined;

/** Where the built addon is expected (RTP_PACER_ADDON overrides). */
export function addonPath(): string {
  return process.env.RTP_PACER_ADDON ?? join(dirname(fileURLToPath(import.meta.url)), '../../native/build/rtp_pacer.node');
}

/** Loads the addon once per thread; never throws. */
export function loadRtpPacerAddon(): AddonLoad {
  if (cached) return cached;
  const path = addonPath();
  if (process.platform !== 'linux') cached = { addon: undefined, reason: `not on Linux (${process.platform})` };
  else if (!existsSync(path)) cached = { addon: undefined, reason: `not built (${path}; run npm run build:native)` };
  else {
    try {
      cached = { addon: createRequire(import.meta.url)(path) as RtpPacerAddon, path };
    } catch (err) {
      cached = { addon: undefined, reason: `failed to load: ${(err as Error).message}` };
    }
  }
  return cached;
}
