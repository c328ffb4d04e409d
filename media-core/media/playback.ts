/**
 * One playback of 8 kHz 16-bit mono PCM, consumed one 20 ms frame at a time by the RTP
 * sender: a whole buffer, or an async iterable of chunks read ahead at most 1 s (streamed
 * text-to-speech), so a slow producer causes a gap rather than unbounded buffering.
 */
import type { AudioSource, PlaybackResult } from '../call/types.ts';

/** Streaming sources are read ahead by at most this many samples (1 s at 8 kHz). */
const READ_AHEAD = 8000;
const EMPTY = new Int16Array(0);

/** A playback in progress; `result` settles once, when it completes or is stopped. */
export class Playback {
  /** Settles with how the playback ended; never rejects. */
  readonly result: Promise<PlaybackResult>;
  /** Samples consumed so far. */
  samples = 0;
  /** Where the frame of the last next() call is: read `count` samples from here. */
  frameSource: Int16Array = EMPTY;
  frameOffset = 0;
  private resolve!: (r: PlaybackResult) => void;
  private done = false;
  private readonly buffer: Int16Array | undefined;
  private offset = 0;
  private chunks: Int16Array[] = [];
  private chunkOffset = 0;
  private queued = 0;
  private ended = false;
  private iterator: AsyncIterator<Int16Array> | undefined;
  private wake: (() => void) | undefined;
  /** Told when a streaming source delivered samples (or ended): a sender waiting for data can build frames now. */
  onData: (() => void) | undefined;

  /** @param onError told when a streaming source throws (the playback then ends, completed=false). */
  constructor(source: AudioSource, private readonly onError: (err: unknown) => void = () => undefined) {
    this.result = new Promise((resolve) => { this.resolve = resolve; });
    if (source instanceof Int16Array) this.buffer = source;
    else void this.pump(source);
  }

  /** true once completed or stopped. */
  get finished(): boolean {
    return this.done;
  }

  /**
   * Takes the next frame (out.length samples, fewer at the end) for the sender, without
   * copying whole-buffer sources: the samples are at frameSource[frameOffset...].
   * @param out scratch frame that stream chunks are copied into.
   * @returns the sample count; 0 on a stream underrun (send nothing this slot). When the
   *   last samples have been taken the playback completes by itself.
   */
  next(out: Int16Array): number {
    const frame = out.length;
    if (this.done) return 0;
    if (this.buffer) {
      const at = this.offset;
      const n = Math.min(frame, this.buffer.length - at);
      this.offset += n;
      this.samples += n;
      this.frameSource = this.buffer;
      this.frameOffset = at;
      if (this.offset >= this.buffer.length) this.finish(true);
      return n;
    }
    this.frameSource = out;
    this.frameOffset = 0;
    let n = 0;
    if (this.queued >= frame || this.ended) {
      while (n < frame && this.chunks.length > 0) {
        const head = this.chunks[0]!;
        const take = Math.min(frame - n, head.length - this.chunkOffset);
        out.set(head.subarray(this.chunkOffset, this.chunkOffset + take), n);
        n += take;
        this.chunkOffset += take;
        if (this.chunkOffset >= head.length) {
          this.chunks.shift();
          this.chunkOffset = 0;
        }
      }
      this.queued -= n;
      this.samples += n;
    }
    if (this.ended && this.queued === 0) this.finish(true);
    else if (this.wake && this.queued < READ_AHEAD) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
    }
    return n;
  }

  /** Ends the playback; a streaming producer is told to stop (iterator.return()). Idempotent. */
  finish(completed: boolean): void {
    if (this.done) return;
    this.done = true;
    this.chunks = [];
    this.queued = 0;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    const it = this.iterator;
    if (!completed && it?.return) {
      // Its errors no longer matter to anyone.
      Promise.resolve().then(() => it.return!()).catch(() => undefined);
    }
    this.resolve({ completed, playedMs: Math.round(this.samples / 8) });
  }

  private async pump(source: AsyncIterable<Int16Array>): Promise<void> {
    try {
      const it = source[Symbol.asyncIterator]();
      this.iterator = it;
      while (!this.done) {
        if (this.queued >= READ_AHEAD) {
          await new Promise<void>((resolve) => { this.wake = resolve; });
          continue;
        }
        const r = await it.next();
        if (r.done || this.done) break;
        if (r.value instanceof Int16Array && r.value.length > 0) {
          this.chunks.push(r.value);
          this.queued += r.value.length;
          this.onData?.();
        }
      }
    } catch (err) {
      if (!this.done) {
        this.onError(err);
        this.finish(false);
      }
    } finally {
      this.ended = true;
      this.onData?.();
    }
  }
}
