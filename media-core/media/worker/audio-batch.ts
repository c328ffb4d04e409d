/**
 * Received audio collected in the RTP worker and handed to the main thread in batches, so
 * 1,000 listened calls cost tens of postMessage calls per second instead of 50,000. A batch is
 * flushed `batchMs` after its first frame or when full; its buffers are transferred (no copy)
 * and come back for reuse once the main thread copied the frames out ({@link recycle}), so
 * the worker allocates no memory per batch: allocation churn there means garbage collection
 * pauses in the thread that paces RTP.
 */
import type { FromWorker } from './protocol.ts';

const FRAME = 160;

/** One worker's pending audio frames. */
export class AudioBatch {
  private ids: Uint32Array;
  private pcm: Int16Array;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushNow = () => this.flush();
  private readonly spare: Array<{ ids: Uint32Array; pcm: Int16Array }> = [];

  /**
   * @param post sends the batch message (buffers listed for transfer).
   * @param batchMs flush delay after the first frame, ms (0 = on the next turn of the event loop).
   * @param capacity frames per batch (flushed when full).
   */
  constructor(
    private readonly post: (msg: FromWorker, transfer: ArrayBuffer[]) => void,
    private readonly batchMs = 10,
    private readonly capacity = 256,
  ) {
    this.ids = new Uint32Array(capacity);
    this.pcm = new Int16Array(capacity * FRAME);
  }

  /** Copies one 160-sample frame of session `id` into the batch. */
  add(id: number, frame: Int16Array): void {
    const n = this.count;
    this.ids[n] = id;
    this.pcm.set(frame, n * FRAME);
    this.count = n + 1;
    if (this.count === this.capacity) this.flush();
    else if (!this.timer) this.timer = setTimeout(this.flushNow, this.batchMs);
  }

  /** Takes back the buffers of a delivered batch (at most 8 are kept). */
  recycle(ids: Uint32Array, pcm: Int16Array): void {
    if (this.spare.length < 8 && ids.length === this.capacity && pcm.length === this.capacity * FRAME) this.spare.push({ ids, pcm });
  }

  /** Sends what is pending now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const count = this.count;
    if (count === 0) return;
    const ids = this.ids;
    const pcm = this.pcm;
    const next = this.spare.pop();
    this.ids = next?.ids ?? new Uint32Array(this.capacity);
    this.pcm = next?.pcm ?? new Int16Array(this.capacity * FRAME);
    this.count = 0;
    this.post({ t: 'audio', ids, pcm, count }, [ids.buffer as ArrayBuffer, pcm.buffer as ArrayBuffer]);
  }
}
