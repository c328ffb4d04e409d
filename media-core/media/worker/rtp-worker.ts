/**
 * RTP worker thread entry: full {@link RtpSession}s (sockets, G.711, SRTP, RFC 4733 and
 * in-band DTMF, latching, pacing) on this thread's own {@link Scheduler} and port sub-range,
 * driven by messages from the main thread (protocol.ts). Started by {@link RtpWorkerPool}.
 *
 * Per packet nothing crosses threads; received audio crosses only for sessions the main
 * thread listens to, batched (audio-batch.ts); digits and other events always cross.
 * Counters are published in shared memory every STATS_PUBLISH_MS (no message per packet).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { PortPool, PortPoolExhaustedError } from '../port-pool.ts';
import { Scheduler } from '../scheduler.ts';
import { RtpSession, STATS_FIELDS } from '../rtp-session.ts';
import { AudioBatch } from './audio-batch.ts';
import { ChunkChannel } from './chunk-channel.ts';
import type { FromWorker, ToWorker, WireSrtp, WorkerInit } from './protocol.ts';

const STATS_PUBLISH_MS = 100;

interface Entry {
  session: RtpSession;
  slot: number;
  /** Current playback number and its stream channel, if streaming. */
  play: number;
  channel: ChunkChannel | undefined;
  sink: (frame: Int16Array) => void;
}

const port = parentPort;
if (!port) throw new Error('rtp-worker.ts must run in a worker thread');
const init = workerData as WorkerInit;
const post = (msg: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer);
const portPool = new PortPool({ address: init.address, min: init.portMin, max: init.portMax });
const scheduler = new Scheduler({ spinMs: init.spinMs, onError: (err) => console.error(`rtp worker ${init.index}: RTP sender failed`, err) });
const stats = new Float64Array(init.stats);
const slots = stats.length / STATS_FIELDS;
const freeSlots: number[] = Array.from({ length: slots }, (_, i) => slots - 1 - i);
const sessions = new Map<number, Entry>();
const batch = new AudioBatch(post, init.audioBatchMs);

const keys = (k: WireSrtp | undefined) =>
  k && { localKey: Buffer.from(k.localKey.buffer, k.localKey.byteOffset, k.localKey.byteLength), remoteKey: Buffer.from(k.remoteKey.buffer, k.remoteKey.byteOffset, k.remoteKey.byteLength) };

const publish = (e: Entry) => e.session.writeStats(stats, e.slot * STATS_FIELDS);
const publishAll = () => { for (const e of sessions.values()) publish(e); };
setInterval(publishAll, STATS_PUBLISH_MS).unref();

async function open(m: Extract<ToWorker, { t: 'open' }>): Promise<void> {
  let session: RtpSession;
  try {
    session = await RtpSession.open({
      portPool, scheduler, codec: m.codec, payloadType: m.payloadType, telephoneEventPt: m.telephoneEventPt,
      remote: m.remote, srtp: keys(m.srtp), rtpTimeoutMs: m.rtpTimeoutMs, relatchAfterMs: m.relatchAfterMs,
      connectLatched: true,
    });
  } catch (err) {
    const e = err as Error;
    const extra = err instanceof PortPoolExhaustedError ? { min: err.min, max: err.max, address: err.address } : {};
    post({ t: 'open-failed', id: m.id, name: e.name ?? 'Error', message: e.message ?? String(err), ...extra });
    return;
  }
  const slot = freeSlots.pop();
  if (slot === undefined) {
    // Cannot happen: slots = ports of this worker's range.
    session.close();
    post({ t: 'open-failed', id: m.id, name: 'Error', message: 'no stats slot' });
    return;
  }
  const id = m.id;
  const entry: Entry = { session, slot, play: 0, channel: undefined, sink: (frame) => batch.add(id, frame) };
  sessions.set(id, entry);
  session.on('digit', (digit) => post({ t: 'digit', id, digit }));
  session.on('latched', (r: { address: string; port: number }) => post({ t: 'latched', id, address: r.address, port: r.port }));
  session.on('rtp-timeout', () => post({ t: 'rtp-timeout', id }));
  let lastSocketError = -Infinity;
  session.on('socket-error', (err: Error) => {
    // A connected socket reports every ICMP unreachable of a peer that went away: once a second is plenty.
    const now = performance.now();
    if (now - lastSocketError < 1000) return;
    lastSocketError = now;
    post({ t: 'socket-error', id, message: err.message });
  });
  session.on('playback-error', (err: unknown) => {
    // Stream failures are reported by the main thread, which holds the original error.
    if (!entry.channel) post({ t: 'playback-error', id, message: String(err) });
  });
  publish(entry);
  post({ t: 'opened', id, port: session.localPort, ssrc: session.ssrc, slot });
}

function play(e: Entry, m: Extract<ToWorker, { t: 'play' }>): void {
  const { id, play: n } = m;
  e.play = n;
  let channel: ChunkChannel | undefined;
  if (!m.pcm) channel = new ChunkChannel(() => post({ t: 'pull', id, play: n }));
  e.channel = channel;
  void e.session.play(m.pcm ?? channel!).then((r) => {
    if (e.channel === channel) e.channel = undefined;
    publish(e);
    post({ t: 'played', id, play: n, completed: r.completed, playedMs: r.playedMs });
  });
}

function handle(m: ToWorker): void {
  switch (m.t) {
    case 'open':
      void open(m);
      return;
    case 'pacing':
      post({ t: 'pacing', req: m.req, stats: scheduler.stats(), sessions: sessions.size });
      return;
    case 'reset-pacing':
      scheduler.resetStats();
      return;
    case 'recycle':
      batch.recycle(m.ids, m.pcm);
      return;
  }
  const e = sessions.get(m.id);
  if (!e) {
    // The session failed to open or closed already: settle what the main thread waits for.
    if (m.t === 'play') post({ t: 'played', id: m.id, play: m.play, completed: false, playedMs: 0 });
    else if (m.t === 'digits') post({ t: 'digits-done', id: m.id, req: m.req });
    else if (m.t === 'close') post({ t: 'closed', id: m.id, stats: [] });
    return;
  }
  const s = e.session;
  switch (m.t) {
    case 'remote':
      s.setRemote(m.address, m.port);
      return;
    case 'codec':
      s.updateCodec({ codec: m.codec, payloadType: m.payloadType, telephoneEventPt: m.telephoneEventPt, srtp: keys(m.srtp) });
      return;
    case 'play':
      play(e, m);
      return;
    case 'chunk':
      if (e.play === m.play) e.channel?.push(m.pcm);
      return;
    case 'end':
      if (e.play === m.play) e.channel?.end(m.failed);
      return;
    case 'stop':
      s.stopPlayback();
      return;
    case 'digits':
      s.sendDigits(m.digits, m.opts).then(
        () => post({ t: 'digits-done', id: m.id, req: m.req }),
        (err: unknown) => post({ t: 'digits-done', id: m.id, req: m.req, error: (err as Error).message ?? String(err) }),
      );
      return;
    case 'hold':
      s.hold(m.on);
      return;
    case 'listen':
      s.audioSink = m.on ? e.sink : undefined;
      return;
    case 'close':
      s.audioSink = undefined;
      s.close();
      sessions.delete(m.id);
      freeSlots.push(e.slot);
      {
        const final = new Float64Array(STATS_FIELDS);
        s.writeStats(final, 0);
        // After close the plays' 'played' messages (queued in microtasks) go out first.
        queueMicrotask(() => queueMicrotask(() => post({ t: 'closed', id: m.id, stats: Array.from(final) })));
      }
      return;
  }
}

/** Gives this thread (not the process) the configured priority: pacing suffers first when the CPU is contended. */
function applyNice(): string | undefined {
  if (init.nice === undefined) return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, init.nice);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

port.on('message', handle);
post({ t: 'ready', niceError: applyNice() });
