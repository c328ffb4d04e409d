import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { relayAudio, type AudioSink } from '../../media-core/engine/audio-relay.ts';

const frame = (v: number) => new Int16Array(160).fill(v);

test("a call's 'audio' listeners get every frame, in order, once listeners run once; nothing is decoded without one", () => {
  const call = new EventEmitter();
  const media: AudioSink = { onAudio: undefined };
  relayAudio(call, media);
  const send = (v: number) => media.onAudio?.(frame(v));
  const seen: string[] = [];

  const a = function (this: unknown, f: Int16Array) {
    assert.equal(this, call, 'called with the call as this, as emit does');
    seen.push(`a${f[0]}`);
  };
  call.on('audio', a);
  send(1);
  send(2);
  assert.notEqual(media.onAudio, undefined);

  const b = (f: Int16Array) => seen.push(`b${f[0]}`);
  call.on('audio', b);
  call.once('audio', (f: Int16Array) => seen.push(`once${f[0]}`));
  send(3);
  send(4);
  call.off('audio', a);
  send(5);
  call.off('audio', b);
  assert.equal(media.onAudio, undefined, 'no listener: the media decodes nothing');
  send(6);

  call.once('audio', (f: Int16Array) => seen.push(`solo-once${f[0]}`));
  send(7);
  send(8);
  assert.equal(media.onAudio, undefined);
  assert.deepEqual(seen, ['a1', 'a2', 'a3', 'b3', 'once3', 'a4', 'b4', 'b5', 'solo-once7']);
});
