/**
 * N RTP worker threads (node:worker_threads), each running full RtpSessions on its own
 * 20 ms scheduler and its own slice of the RTP port range, so RTP for 1,000 calls is spread
 * over the cores instead of sharing the SIP thread. Sessions are placed on the least-loaded
 * worker; the main thread holds an {@link RtpSessionProxy} per session.
 *
 * A worker that dies (uncaught error, out of memory, terminate) takes its sessions with it:
 * each proxy emits 'media-error' and closes (the call ends with hangup by 'error'); the
 * other workers' calls are unaffected, and a fresh worker takes over the slice for new calls.
 *
 * Worker entry: rtp-worker.ts next to this file (run through tsx's loader in development),
 * or rtp-worker.mjs beside the bundle when media-core runs as an esbuild bundle.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PortPoolExhaustedError } from '../port-pool.ts';
import { STATS_FIELDS } from '../rtp-session.ts';
import type { TickDeviationStats } from '../scheduler.ts';
import type { MediaSessionOptions } from './media-session.ts';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.ts';
import { RtpSessionProxy, wireSrtp } from './rtp-session-proxy.ts';

/** Options of {@link RtpWorkerPool}. */
export interface RtpWorkerPoolOptions {
  /** Number of worker threads (>= 1). */
  workers: number;
  /** Address RTP sockets bind to. */
  address: string;
  /** RTP port range, inclusive; split into one contiguous even-port slice per worker. */
  portMin: number;
  portMax: number;
  /** Each worker scheduler's spinMs (SchedulerOptions, default 1). */
  spinMs?: number;
  /**
   * Nice value of the worker threads (Linux, per thread), e.g. -10 so RTP pacing wins over
   * other work when the CPU is contended; values below 0 need root or CAP_SYS_NICE
   * (docker run --cap-add SYS_NICE). Default: inherit. Failure is reported to onNiceError.
   */
  nice?: number;
  /** Told when `nice` could not be applied in a worker (it runs at the inherited priority). */
  onNiceError?: (index: number, message: string) => void;
  /** Received audio is handed over at most this long after its first frame, ms (default 10). */
  audioBatchMs?: number;
  /** Worker entry module (default: rtp-worker.ts here, else rtp-worker.mjs beside the bundle). */
  workerUrl?: URL;
  /** Told when a worker died unexpectedly (before its sessions report 'media-error'). */
  onWorkerExit?: (index: number, err: Error) => void;
}

/** One worker's pacing figures. */
export interface WorkerPacingStats extends TickDeviationStats {
  worker: number;
  /** Sessions open in the worker when asked. */
  sessions: number;
}

interface Slot {
  index: number;
  portMin: number;
  portMax: number;
  worker: Worker;
  stats: Float64Array;
  sessions: Map<number, RtpSessionProxy>;
  opening: Map<number, { resolve: (p: RtpSessionProxy) => void; reject: (e: Error) => void; remote?: { address: string; port: number } }>;
  pacing: Map<number, (s: WorkerPacingStats | undefined) => void>;
  /** true once the worker answered a message (it started fine). */
  answered: boolean;
  /** Settles when the worker loaded ('ready'), rejects when it died first. */
  ready: Promise<void>;
  onReady: { resolve: () => void; reject: (e: Error) => void };
  lastError: Error | undefined;
  /** false after a worker died without ever answering (it is not respawned). */
  usable: boolean;
}

/** Resolves the worker entry: the .ts source under tsx, the .mjs beside an esbuild bundle. */
function defaultWorkerUrl(): URL {
  const ts = new URL('./rtp-worker.ts', import.meta.url);
  return existsSync(fileURLToPath(ts)) ? ts : new URL('./rtp-worker.mjs', import.meta.url);
}

/**
 * Starts a worker; TypeScript entries go through tsx's ESM loader, which worker threads
 * do not inherit from the main thread.
 */
function startWorker(url: URL, workerData: WorkerInit): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData, resourceLimits: WORKER_LIMITS });
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData, resourceLimits: WORKER_LIMITS });
}

/**
 * Every received datagram is a short-lived Buffer: a young generation large enough to hold a
 * few seconds of them keeps them out of the old space, whose collections stalled the 20 ms
 * pacing (bench/sip-load.bench.ts: 500 calls, pacing p99 28.8 ms with V8's default, 6.5 ms
 * with 64 MB semi-spaces on the main thread). The main thread gets the same through
 * --max-semi-space-size (media-core/Dockerfile, scripts/lib/stack-env.ts).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 192 };

/** The pool of RTP worker threads. */
export class RtpWorkerPool {
  readonly address: string;
  readonly portMin: number;
  readonly portMax: number;
  private readonly slots: Slot[] = [];
  private readonly proxies = new Map<number, RtpSessionProxy>();
  private readonly url: URL;
  private readonly audioBatchMs: number;
  private nextId = 1;
  private nextReq = 1;
  private cursor = 0;
  private disposed = false;

  /** @throws RangeError when workers < 1 or the range has fewer even ports than workers. */
  constructor(private readonly opts: RtpWorkerPoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError(`rtpWorkers must be an integer >= 1, got ${opts.workers}`);
    this.address = opts.address;
    this.portMin = opts.portMin + (opts.portMin & 1);
    this.portMax = opts.portMax;
    const even = Math.floor((this.portMax - this.portMin) / 2) + 1;
    if (!(this.portMin <= this.portMax) || even < opts.workers) {
      throw new RangeError(`RTP port range ${opts.portMin}-${opts.portMax} has fewer even ports than ${opts.workers} workers`);
    }
    this.url = opts.workerUrl ?? defaultWorkerUrl();
    this.audioBatchMs = opts.audioBatchMs ?? 10;
    const share = Math.floor(even / opts.workers);
    for (let i = 0; i < opts.workers; i++) {
      const portMin = this.portMin + 2 * i * share;
      const portMax = i === opts.workers - 1 ? this.portMax : portMin + 2 * (share - 1);
      this.slots.push(this.spawn(i, portMin, portMax));
    }
  }

  /**
   * Settles once every worker has loaded (loading the worker code takes ~0.1-1 s, which
   * must not delay the first calls' setup). Rejects when a worker dies before loading.
   */
  ready(): Promise<void> {
    return Promise.all(this.slots.map((s) => s.ready)).then(() => undefined);
  }

  /** Worker count. */
  get size(): number {
    return this.slots.length;
  }

  /** Sessions open per worker (index order). */
  get load(): number[] {
    return this.slots.map((s) => s.sessions.size + s.opening.size);
  }

  /** Port slice of each worker (index order). */
  get ranges(): Array<{ portMin: number; portMax: number }> {
    return this.slots.map((s) => ({ portMin: s.portMin, portMax: s.portMax }));
  }

  /**
   * Opens a session on the least-loaded worker (another one when that worker's slice is full).
   * @throws PortPoolExhaustedError when no worker has a free port; Error when no worker runs
   *   or the worker died while opening.
   */
  async open(opts: MediaSessionOptions): Promise<RtpSessionProxy> {
    if (this.disposed) throw new Error('RTP worker pool is closed');
    const srtp = wireSrtp(opts.srtp);
    const order = this.slots.filter((s) => s.usable).sort((a, b) => this.loadOf(a) - this.loadOf(b) || this.turn(a) - this.turn(b));
    this.cursor = (this.cursor + 1) % this.slots.length;
    if (order.length === 0) throw new Error('no RTP worker is running');
    let last: Error | undefined;
    for (const slot of order) {
      const id = this.nextId++;
      try {
        return await new Promise<RtpSessionProxy>((resolve, reject) => {
          slot.opening.set(id, { resolve, reject, remote: opts.remote });
          this.post(slot, {
            t: 'open', id, codec: opts.codec, payloadType: opts.payloadType, telephoneEventPt: opts.telephoneEventPt,
            remote: opts.remote, srtp, rtpTimeoutMs: opts.rtpTimeoutMs, relatchAfterMs: opts.relatchAfterMs,
          });
        });
      } catch (err) {
        if (!(err instanceof PortPoolExhaustedError)) throw err;
        last = err;
      }
    }
    throw last instanceof PortPoolExhaustedError ? new PortPoolExhaustedError(this.portMin, this.portMax, this.address) : last!;
  }

  /** Each live worker's scheduler tick-deviation figures (a worker not answering within 2 s is left out). */
  async pacingStats(): Promise<WorkerPacingStats[]> {
    const all = await Promise.all(
      this.slots.filter((s) => s.usable).map(
        (slot) =>
          new Promise<WorkerPacingStats | undefined>((resolve) => {
            const req = this.nextReq++;
            const timer = setTimeout(() => { slot.pacing.delete(req); resolve(undefined); }, 2000);
            slot.pacing.set(req, (s) => { clearTimeout(timer); resolve(s); });
            this.post(slot, { t: 'pacing', req });
          }),
      ),
    );
    return all.filter((s): s is WorkerPacingStats => s !== undefined);
  }

  /** Clears every worker's tick-deviation histogram. */
  resetPacingStats(): void {
    for (const slot of this.slots) this.post(slot, { t: 'reset-pacing' });
  }

  /**
   * Stops worker `index` abruptly, as a crash would: its sessions report 'media-error'
   * and a fresh worker takes over its ports. For fault drills and tests.
   */
  async terminateWorker(index: number): Promise<void> {
    const slot = this.slots[index];
    if (!slot) throw new RangeError(`no RTP worker ${index}`);
    slot.lastError = new Error(`RTP worker ${index} terminated`);
    await slot.worker.terminate();
  }

  /** Terminates every worker (sessions still open are dropped without events). */
  async close(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const p of this.proxies.values()) p.onWorkerDied(new Error('RTP worker pool closed'));
    this.proxies.clear();
  }

  // ---- internals ----------------------------------------------------------------------

  private loadOf(s: Slot): number {
    return s.sessions.size + s.opening.size;
  }

  /** Round-robin tie-break: distance of a worker's index from the rotating cursor. */
  private turn(s: Slot): number {
    return (s.index - this.cursor + this.slots.length) % this.slots.length;
  }

  private post(slot: Slot, msg: ToWorker, transfer?: ArrayBuffer[]): void {
    slot.worker.postMessage(msg, transfer);
  }

  private spawn(index: number, portMin: number, portMax: number): Slot {
    const ports = Math.floor((portMax - portMin) / 2) + 1;
    const shared = new SharedArrayBuffer(ports * STATS_FIELDS * Float64Array.BYTES_PER_ELEMENT);
    const worker = startWorker(this.url, {
      index, address: this.address, portMin, portMax, stats: shared, audioBatchMs: this.audioBatchMs, spinMs: this.opts.spinMs ?? 1, nice: this.opts.nice,
    });
    let onReady!: Slot['onReady'];
    const ready = new Promise<void>((resolve, reject) => (onReady = { resolve, reject }));
    ready.catch(() => undefined); // only ready() callers care
    const slot: Slot = {
      index, portMin, portMax, worker, stats: new Float64Array(shared), sessions: new Map(), opening: new Map(), pacing: new Map(),
      answered: false, ready, onReady, lastError: undefined, usable: true,
    };
    worker.unref();
    worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
    worker.on('error', (err) => (slot.lastError = err));
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    slot.answered = true;
    switch (m.t) {
      case 'ready':
        if (m.niceError !== undefined) this.opts.onNiceError?.(slot.index, m.niceError);
        slot.onReady.resolve();
        return;
      case 'audio': {
        // Each listener gets its own copy (as in-process sessions give a new array per frame), so
        // the batch buffers can go back to the worker, which then allocates nothing per batch.
        const { ids, pcm, count } = m;
        for (let i = 0; i < count; i++) this.proxies.get(ids[i]!)?.deliverAudio(pcm.slice(i * 160, i * 160 + 160));
        this.post(slot, { t: 'recycle', ids, pcm }, [ids.buffer as ArrayBuffer, pcm.buffer as ArrayBuffer]);
        return;
      }
      case 'opened': {
        const w = slot.opening.get(m.id);
        slot.opening.delete(m.id);
        if (!w) return;
        const link = { post: (msg: ToWorker, transfer?: ArrayBuffer[]) => this.post(slot, msg, transfer) };
        const proxy = new RtpSessionProxy(m.id, link, m.port, m.ssrc, slot.stats, m.slot, w.remote);
        slot.sessions.set(m.id, proxy);
        this.proxies.set(m.id, proxy);
        w.resolve(proxy);
        return;
      }
      case 'open-failed': {
        const w = slot.opening.get(m.id);
        slot.opening.delete(m.id);
        if (!w) return;
        if (m.name === 'PortPoolExhaustedError') w.reject(new PortPoolExhaustedError(m.min!, m.max!, m.address!));
        else w.reject(Object.assign(m.name === 'RangeError' ? new RangeError(m.message) : new Error(m.message), { name: m.name }));
        return;
      }
      case 'pacing': {
        const done = slot.pacing.get(m.req);
        slot.pacing.delete(m.req);
        done?.({ ...m.stats, worker: slot.index, sessions: m.sessions });
        return;
      }
      default: {
        const proxy = slot.sessions.get(m.id);
        if (!proxy) return;
        proxy.onMessage(m);
        if (m.t === 'closed') {
          slot.sessions.delete(m.id);
          this.proxies.delete(m.id);
        }
      }
    }
  }

  private onExit(slot: Slot, code: number): void {
    if (this.disposed) return;
    const err = slot.lastError ?? new Error(`RTP worker ${slot.index} exited with code ${code}`);
    slot.onReady.reject(err);
    this.opts.onWorkerExit?.(slot.index, err);
    for (const w of slot.opening.values()) w.reject(err);
    slot.opening.clear();
    for (const done of slot.pacing.values()) done(undefined);
    slot.pacing.clear();
    for (const [id, proxy] of slot.sessions) {
      this.proxies.delete(id);
      proxy.onWorkerDied(err);
    }
    slot.sessions.clear();
    // A worker that never answered cannot start at all (e.g. missing entry): no respawn loop.
    if (slot.answered) this.slots[slot.index] = this.spawn(slot.index, slot.portMin, slot.portMax);
    else slot.usable = false;
  }
}
