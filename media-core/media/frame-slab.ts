/**
 * Hands out 160-sample audio frames carved from shared slabs.
 *
 * Why: a typed array above 64 bytes gets its own off-heap backing store in V8, and a new
 * Int16Array(160) per received packet (50 per second per listening call) is 16 MB a second of
 * external memory at 1,000 calls. V8 answers external-memory growth with full mark-compact
 * collections about every second, whose concurrent marking took the event loop's CPU and
 * made the 20 ms pacer's wake-ups 20-80 ms late (bench/sip-load.bench.ts). Views of one slab
 * are ordinary small heap objects; a slab is freed once no frame of it is referenced.
 */

/** Frames per slab: 256 x 320 bytes = 80 KB per backing store. */
const FRAMES_PER_SLAB = 256;

/** A source of fresh, zeroed Int16Array frames of one size. */
export class FrameSlab {
  private slab: Int16Array;
  private next = 0;

  /** @param frameSamples samples per frame (160 = 20 ms at 8 kHz). @throws RangeError when not a positive integer. */
  constructor(private readonly frameSamples = 160) {
    if (!Number.isInteger(frameSamples) || frameSamples < 1) throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    this.slab = new Int16Array(frameSamples * FRAMES_PER_SLAB);
  }

  /** A new frame, distinct from every other one handed out; the caller may keep it. */
  take(): Int16Array {
    if (this.next === FRAMES_PER_SLAB) {
      this.slab = new Int16Array(this.frameSamples * FRAMES_PER_SLAB);
      this.next = 0;
    }
    const at = this.next++ * this.frameSamples;
    return this.slab.subarray(at, at + this.frameSamples);
  }
}

/** The process-wide slab of 20 ms frames (8 kHz) for received audio. */
export const audioFrames = new FrameSlab(160);
