/**
 * Hands a media session's caller frames to a Call's 'audio' listeners, keeping the Call's
 * EventEmitter API (media-core/call/types.ts) without an emit per frame in the usual case.
 *
 * Why: frames arrive 50 times a second per call, and an EventEmitter hop per frame was a
 * measurable share of the main thread under load (bench/sip-load.bench.ts). A sole listener
 * (the conversation) becomes the media's callback itself; two or more are emitted to; with
 * none, the media decodes nothing.
 */
import type { EventEmitter } from 'node:events';

/** The media side: one callback slot taking each decoded frame (MediaSession.onAudio). */
export interface AudioSink {
  onAudio: ((frame: Int16Array) => void) | undefined;
}

/**
 * Keeps `media.onAudio` in step with `call`'s 'audio' listeners from now on. Listeners are
 * called with the call as `this`, in order, as emit would; a `once` listener still runs once.
 */
export function relayAudio(call: EventEmitter, media: AudioSink): void {
  const emitAudio = (frame: Int16Array) => call.emit('audio', frame);
  // 'newListener' runs before the listener is added: the choice is made on the next frame.
  const resolve = (frame: Int16Array) => {
    const listeners = call.rawListeners('audio') as ((frame: Int16Array) => void)[];
    const sink = listeners.length === 1 ? listeners[0]!.bind(call) : emitAudio;
    media.onAudio = sink;
    sink(frame);
  };
  call.on('newListener', (event: string) => {
    if (event === 'audio') media.onAudio = resolve;
  });
  call.on('removeListener', (event: string) => {
    if (event === 'audio') media.onAudio = call.listenerCount('audio') === 0 ? undefined : resolve;
  });
}
