/**
 * A bounded write-behind queue for the state table: session history, monthly-active-user and
 * contact writes are queued here and sent by a small pool of concurrent requests, so that a
 * burst of calls, a throttled table or a network blip never blocks a call and never loses a
 * write that a retry would have saved.
 *
 * - Batching: plain puts are sent with BatchWriteItem, up to 25 items and 16 MB per request
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html);
 *   UnprocessedItems of a reply are retried like failures. Conditional writes (the MAU count)
 *   cannot be batched and run one by one ({@link WriteBehindQueue.call}).
 * - Retries: throttling, 5xx, timeouts and socket errors are retried with exponential backoff
 *   and full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"), each write until
 *   its deadline (`maxAgeMs`, or its own). Validation errors are not retried: a batch that fails
 *   validation is split into single puts, so one bad item loses only itself.
 * - Bound and loss policy: at most `capacity` writes wait. When full, the queue drops the
 *   write of LOWEST VALUE, and among those the OLDEST: priority MAU (0) < session turn (1) <
 *   session meta (2) < contact registration (3). Why: an MAU user item is written again by the
 *   caller's next call of the month, a lost turn costs one line of a screen pop, a lost meta item
 *   hides a whole screen pop, and a lost contact registration misroutes a call. Oldest first
 *   because in a lasting outage the oldest writes belong to calls whose screen pop has already
 *   been read (or never will be), while the newest belong to calls still running. Every dropped
 *   write is counted as lost (by family and reason) and logged; its awaiting caller gets
 *   {@link WriteLostError}.
 * - A lasting outage is logged when it starts, every 30 s while it lasts (queued, lost), and
 *   when it ends; {@link WriteBehindQueue.stats} feeds the metrics. Nothing here ever waits on
 *   the caller's path except {@link WriteBehindQueue.flush}, which has a deadline.
 */
import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createLogger, type Logger } from '../log.ts';
import type { Store } from './client.ts';
import { Deque } from './deque.ts';

/** What a write is for: the label of its loss counter. */
export type WriteFamily = 'session' | 'mau' | 'contact';

/** Value of a write when the queue must drop one: higher is kept longer. */
export const WRITE_PRIORITY = { mau: 0, sessionTurn: 1, sessionMeta: 2, contact: 3 } as const;
const PRIORITIES = 4;

/** Why a write was lost. */
export type LossReason = 'overflow' | 'expired' | 'rejected' | 'closed';

/** The awaiting caller's error when its write is lost; `reason` says why. */
export class WriteLostError extends Error {
  constructor(
    readonly family: WriteFamily,
    readonly reason: LossReason,
    readonly lastError?: unknown,
  ) {
    super(`state write lost (${family}, ${reason})${lastError ? `: ${(lastError as Error).message ?? String(lastError)}` : ''}`);
    this.name = 'WriteLostError';
  }
}

/** Options of {@link WriteBehindQueue}. */
export interface WriteQueueOptions {
  /** Writes that may wait (not counting those in flight), count (default 20000). */
  capacity?: number;
  /** Concurrent requests to DynamoDB, count (default 32; keep under the HTTP agent's maxSockets). */
  concurrency?: number;
  /** First backoff cap, ms (default 50). */
  baseBackoffMs?: number;
  /** Largest backoff cap, ms (default 5000). */
  maxBackoffMs?: number;
  /** A write not done this long after it was queued is lost ('expired'), ms (default 900000). */
  maxAgeMs?: number;
  /** Interval of the "outage goes on" log line, ms (default 30000). */
  outageLogIntervalMs?: number;
  log?: Logger;
  /** Random source in [0,1), for tests. */
  random?: () => number;
}

/** Options of one write. */
export interface WriteOptions {
  family: WriteFamily;
  /** WRITE_PRIORITY value. */
  priority: number;
  /** Writes that {@link WriteBehindQueue.flush} waits for together, e.g. `session#<key>`. */
  group?: string;
  /** This write's own deadline from now, ms (default the queue's maxAgeMs). */
  deadlineMs?: number;
}

/** Counters and gauges of the queue (since start). */
export interface WriteQueueStats {
  /** Writes waiting (fresh or backing off), count. */
  queued: number;
  /** Requests in flight, count. */
  inflightRequests: number;
  capacity: number;
  written: number;
  /** Failed attempts that were scheduled again (including UnprocessedItems). */
  retried: number;
  batches: number;
  lost: Record<WriteFamily, number>;
  lostByReason: Record<LossReason, number>;
  /** Epoch ms since writes keep failing, or undefined when the last attempt succeeded. */
  failingSince: number | undefined;
}

interface Entry {
  family: WriteFamily;
  priority: number;
  group: string | undefined;
  /** A plain put (batchable) ... */
  item?: Record<string, unknown>;
  itemKey?: string;
  /** ... or an operation of its own (conditional writes). */
  op?: (store: Store) => Promise<unknown>;
  /** Sent alone after its batch failed validation. */
  solo: boolean;
  attempts: number;
  readyAt: number;
  deadlineAt: number;
  lastError: unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** Largest BatchWriteItem: 25 puts, 16 MB (we stay 1 MB under for request overhead). */
const BATCH_ITEMS = 25;
const BATCH_BYTES = 15 * 1024 * 1024;
/** DynamoDB's item size limit, 400 KB. */
const ITEM_BYTES = 400 * 1024;

const NOT_RETRYABLE = new Set(['ValidationException', 'SerializationException', 'ConditionalCheckFailedException', 'AccessDeniedException', 'UnrecognizedClientException']);

/** True for errors a later attempt can overcome: throttling, 5xx, timeouts, socket errors. */
export function isRetryableStoreError(err: unknown): boolean {
  const e = err as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e?.name && NOT_RETRYABLE.has(e.name)) return false;
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500 && !/Throttl|ProvisionedThroughput|RequestLimit|TransactionConflict/.test(e.name ?? '')) return false;
  return true;
}

const keyOf = (item: Record<string, unknown>) => `${String(item.pk)}\u0000${String(item.sk)}`;

/** See the file comment. One per Store: {@link writeQueueFor}. */
export class WriteBehindQueue {
  private readonly fresh: Deque<Entry>[] = Array.from({ length: PRIORITIES }, () => new Deque<Entry>());
  private readonly retry: Deque<Entry>[] = Array.from({ length: PRIORITIES }, () => new Deque<Entry>());
  private size = 0;
  private inflight = 0;
  private readonly pendingByGroup = new Map<string, number>();
  private readonly groupWaiters = new Map<string, (() => void)[]>();
  private idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;
  private lastOutageLog = 0;
  private lastLossLog = 0;
  private readonly o: Required<Omit<WriteQueueOptions, 'log'>>;
  private readonly log: Logger;
  private readonly counters = {
    written: 0,
    retried: 0,
    batches: 0,
    lost: { session: 0, mau: 0, contact: 0 } as Record<WriteFamily, number>,
    lostByReason: { overflow: 0, expired: 0, rejected: 0, closed: 0 } as Record<LossReason, number>,
  };
  private failingSince: number | undefined;

  constructor(
    private readonly store: Store,
    opts: WriteQueueOptions = {},
  ) {
    this.o = {
      capacity: opts.capacity ?? 20_000,
      concurrency: opts.concurrency ?? 32,
      baseBackoffMs: opts.baseBackoffMs ?? 50,
      maxBackoffMs: opts.maxBackoffMs ?? 5000,
      maxAgeMs: opts.maxAgeMs ?? 900_000,
      outageLogIntervalMs: opts.outageLogIntervalMs ?? 30_000,
      random: opts.random ?? Math.random,
    };
    if (!(this.o.capacity >= 1 && this.o.concurrency >= 1)) throw new RangeError('write queue capacity and concurrency must be >= 1');
    this.log = opts.log ?? createLogger('state-writes');
  }

  /**
   * Queues a put of `item` (keys pk, sk) into the store's table.
   * @returns a promise that resolves when written and rejects with WriteLostError when lost
   *   (fire-and-forget callers must attach a catch).
   */
  put(item: Record<string, unknown>, w: WriteOptions): Promise<void> {
    return this.add({ item, itemKey: keyOf(item) }, w) as Promise<void>;
  }

  /**
   * Queues an operation that is not a plain put (e.g. a conditional put then an update). It may
   * run more than once when retried, so it must be safe to repeat.
   * @returns its result, or rejects with WriteLostError (or the operation's own non-retryable error).
   */
  call<T>(op: (store: Store) => Promise<T>, w: WriteOptions): Promise<T> {
    return this.add({ op }, w) as Promise<T>;
  }

  private add(what: Pick<Entry, 'item' | 'itemKey' | 'op'>, w: WriteOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const now = Date.now();
      const e: Entry = {
        ...what,
        family: w.family,
        priority: Math.max(0, Math.min(PRIORITIES - 1, Math.floor(w.priority))),
        group: w.group,
        solo: false,
        attempts: 0,
        readyAt: now,
        deadlineAt: now + (w.deadlineMs ?? this.o.maxAgeMs),
        lastError: undefined,
        resolve,
        reject,
      };
      if (this.closed) return this.lose(e, 'closed', false);
      if (e.item && JSON.stringify(e.item).length > ITEM_BYTES) return this.lose(e, 'rejected', false, new Error('item over 400 KB'));
      if (e.group) this.pendingByGroup.set(e.group, (this.pendingByGroup.get(e.group) ?? 0) + 1);
      if (this.size >= this.o.capacity && !this.evictFor(e)) return this.lose(e, 'overflow', true);
      this.fresh[e.priority]!.push(e);
      this.size++;
      this.pump();
    });
  }

  /**
   * Drops the oldest write of the lowest priority below `e`'s, or equal to it when `e` is new
   * (`sameToo`; a write coming back for a retry is older than any waiting write of its priority).
   * @returns false when `e` itself is the one to drop.
   */
  private evictFor(e: Entry, sameToo = true): boolean {
    for (let p = 0; p < e.priority + (sameToo ? 1 : 0); p++) {
      // Among equals the oldest goes: writes backing off were queued before any fresh one.
      const victim = this.retry[p]!.shift() ?? this.fresh[p]!.shift();
      if (victim) {
        this.size--;
        this.lose(victim, 'overflow', true);
        return true;
      }
    }
    return false;
  }

  private lose(e: Entry, reason: LossReason, counted: boolean, err?: unknown): void {
    this.counters.lost[e.family]++;
    this.counters.lostByReason[reason]++;
    const now = Date.now();
    const bulk = reason === 'overflow' || reason === 'closed';
    if (!bulk || now - this.lastLossLog >= 1000) {
      // Overflow in an outage, or a close, can lose hundreds at once: one line a second carries the counts.
      this.log.error({ family: e.family, reason, attempts: e.attempts, lost: this.counters.lost, lostByReason: this.counters.lostByReason, err: errText(err ?? e.lastError) }, 'state write lost');
      if (bulk) this.lastLossLog = now;
    }
    e.reject(new WriteLostError(e.family, reason, err ?? e.lastError));
    // `counted`: the write was counted in its group's pending writes (queued, not refused at once).
    if (counted) this.settled(e);
  }

  private settled(e: Entry): void {
    if (e.group) {
      const n = (this.pendingByGroup.get(e.group) ?? 1) - 1;
      if (n > 0) this.pendingByGroup.set(e.group, n);
      else {
        this.pendingByGroup.delete(e.group);
        const ws = this.groupWaiters.get(e.group);
        this.groupWaiters.delete(e.group);
        for (const w of ws ?? []) w();
      }
    }
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.size === 0 && this.inflight === 0 && this.idleWaiters.length) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of ws) w();
    }
  }

  /** Next batch: a single operation, or up to 25 distinct-key puts within 16 MB, highest priority first. */
  private take(now: number): Entry[] | undefined {
    const batch: Entry[] = [];
    const keys = new Set<string>();
    let bytes = 0;
    for (let p = PRIORITIES - 1; p >= 0; p--) {
      for (const dq of [this.retry[p]!, this.fresh[p]!]) {
        for (;;) {
          const e = dq.peek();
          if (!e || e.readyAt > now) break;
          if (e.deadlineAt <= now) {
            dq.shift();
            this.size--;
            this.lose(e, 'expired', true);
            continue;
          }
          if (e.op || e.solo) {
            if (batch.length) break;
            dq.shift();
            this.size--;
            return [e];
          }
          const size = JSON.stringify(e.item).length;
          if (keys.has(e.itemKey!) || batch.length >= BATCH_ITEMS || bytes + size > BATCH_BYTES) return batch;
          dq.shift();
          this.size--;
          keys.add(e.itemKey!);
          bytes += size;
          batch.push(e);
        }
      }
    }
    return batch.length ? batch : undefined;
  }

  private pump(): void {
    const now = Date.now();
    while (this.inflight < this.o.concurrency && this.size > 0) {
      const batch = this.take(now);
      if (!batch) break;
      this.inflight++;
      void this.send(batch).finally(() => {
        this.inflight--;
        this.checkIdle();
        this.pump();
      });
    }
    this.armTimer(now);
  }

  /**
   * Wakes the pump when the earliest backing-off write becomes ready. Not while every request
   * slot is busy: a finishing request runs the pump anyway (a timer would only spin).
   */
  private armTimer(now: number): void {
    if (this.closed || this.inflight >= this.o.concurrency) return;
    let next = Infinity;
    for (let p = 0; p < PRIORITIES; p++) {
      const r = this.retry[p]!.peek();
      if (r && r.readyAt > now) next = Math.min(next, r.readyAt);
    }
    if (next === Infinity) return;
    if (this.timer && this.timerAt <= next) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(1, next - now));
  }

  private async send(batch: Entry[]): Promise<void> {
    const first = batch[0]!;
    try {
      if (first.op) {
        const value = await first.op(this.store);
        this.succeeded();
        this.done(first, value);
        return;
      }
      if (batch.length === 1) {
        await this.store.doc.send(new PutCommand({ TableName: this.store.table, Item: first.item }));
        this.succeeded();
        this.done(first, undefined);
        return;
      }
      this.counters.batches++;
      const r = await this.store.doc.send(new BatchWriteCommand({ RequestItems: { [this.store.table]: batch.map((e) => ({ PutRequest: { Item: e.item } })) } }));
      this.succeeded();
      const unprocessed = new Set((r.UnprocessedItems?.[this.store.table] ?? []).map((u) => keyOf((u.PutRequest?.Item ?? {}) as Record<string, unknown>)));
      for (const e of batch) {
        if (unprocessed.has(e.itemKey!)) this.again(e, new Error('UnprocessedItems'));
        else this.done(e, undefined);
      }
    } catch (err) {
      if (!isRetryableStoreError(err)) {
        if (batch.length > 1) {
          // One bad item fails the whole batch: send each alone, so only the bad one is lost.
          for (const e of batch) this.requeue(e, { solo: true, readyAt: Date.now() });
          return;
        }
        if (first.op) {
          // The operation's own answer (e.g. a condition it does not handle): the caller decides.
          first.reject(err as Error);
          this.settled(first);
          return;
        }
        return this.lose(first, 'rejected', true, err);
      }
      this.failed(err);
      for (const e of batch) this.again(e, err);
    }
  }

  private done(e: Entry, value: unknown): void {
    this.counters.written++;
    e.resolve(value);
    this.settled(e);
  }

  /** Schedules another attempt after an exponential, fully jittered backoff. */
  private again(e: Entry, err: unknown): void {
    e.attempts++;
    e.lastError = err;
    const now = Date.now();
    const cap = Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** Math.min(30, e.attempts - 1));
    const readyAt = now + Math.floor(this.o.random() * cap);
    if (readyAt >= e.deadlineAt) return this.lose(e, 'expired', true);
    this.counters.retried++;
    this.requeue(e, { readyAt });
  }

  private requeue(e: Entry, change: { readyAt: number; solo?: boolean }): void {
    e.readyAt = change.readyAt;
    if (change.solo) e.solo = true;
    if (this.closed) return this.lose(e, 'closed', true);
    if (this.size >= this.o.capacity && !this.evictFor(e, false)) return this.lose(e, 'overflow', true);
    this.retry[e.priority]!.push(e);
    this.size++;
  }

  private succeeded(): void {
    if (this.failingSince !== undefined) {
      this.log.warn({ outageMs: Date.now() - this.failingSince, queued: this.size, lost: this.counters.lost }, 'state writes recovered');
      this.failingSince = undefined;
    }
  }

  private failed(err: unknown): void {
    const now = Date.now();
    if (this.failingSince === undefined) {
      this.failingSince = now;
      this.lastOutageLog = now;
      this.log.warn({ err: errText(err), queued: this.size }, 'state writes failing; retrying with backoff');
    } else if (now - this.lastOutageLog >= this.o.outageLogIntervalMs) {
      this.lastOutageLog = now;
      this.log.error({ err: errText(err), outageMs: now - this.failingSince, queued: this.size, lost: this.counters.lost }, 'state store outage goes on; writes queued');
    }
  }

  /**
   * Waits until every write of `group` queued so far is written or lost, at most `timeoutMs`.
   * @returns true when none is left, false on timeout (the writes stay queued).
   */
  flush(group: string, timeoutMs: number): Promise<boolean> {
    if (!this.pendingByGroup.has(group)) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const ws = this.groupWaiters.get(group) ?? [];
      const w = () => {
        clearTimeout(timer);
        resolve(true);
      };
      ws.push(w);
      this.groupWaiters.set(group, ws);
      timer = setTimeout(() => {
        const list = this.groupWaiters.get(group);
        if (list) list.splice(list.indexOf(w), 1);
        resolve(false);
      }, timeoutMs);
    });
  }

  /**
   * Waits until the queue is empty, at most `timeoutMs` (drain).
   * @returns true when empty, false on timeout.
   */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.size === 0 && this.inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const w = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(w);
      timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((x) => x !== w);
        resolve(false);
      }, timeoutMs);
    });
  }

  /** Stops: every write still waiting is lost ('closed', counted and logged); later writes too. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const before = this.counters.lostByReason.closed;
    for (let p = 0; p < PRIORITIES; p++) {
      for (const dq of [this.retry[p]!, this.fresh[p]!]) {
        for (let e = dq.shift(); e; e = dq.shift()) {
          this.size--;
          this.lose(e, 'closed', true);
        }
      }
    }
    const n = this.counters.lostByReason.closed - before;
    if (n) this.log.error({ lost: n, byFamily: this.counters.lost }, 'state write queue closed with writes waiting: counted as lost');
  }

  /** Counters and gauges (see {@link WriteQueueStats}). */
  stats(): WriteQueueStats {
    return {
      queued: this.size,
      inflightRequests: this.inflight,
      capacity: this.o.capacity,
      written: this.counters.written,
      retried: this.counters.retried,
      batches: this.counters.batches,
      lost: { ...this.counters.lost },
      lostByReason: { ...this.counters.lostByReason },
      failingSince: this.failingSince,
    };
  }
}

const errText = (err: unknown) => (err === undefined ? undefined : err instanceof Error ? `${err.name}: ${err.message}` : String(err));

const queues = new WeakMap<Store, WriteBehindQueue>();
let created: WriteBehindQueue[] = [];

/** Reads STATE_WRITE_QUEUE_CAPACITY and STATE_WRITE_CONCURRENCY (positive integers) over the defaults. */
export function writeQueueOptionsFromEnv(env: Record<string, string | undefined> = process.env): WriteQueueOptions {
  const int = (name: string) => {
    const raw = env[name];
    if (!raw) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name}: a positive whole number, got ${raw}`);
    return n;
  };
  return { capacity: int('STATE_WRITE_QUEUE_CAPACITY'), concurrency: int('STATE_WRITE_CONCURRENCY') };
}

/** The store's one write-behind queue (created on first use, options from the environment). */
export function writeQueueFor(store: Store, opts?: WriteQueueOptions): WriteBehindQueue {
  let q = queues.get(store);
  if (!q) {
    q = new WriteBehindQueue(store, opts ?? writeQueueOptionsFromEnv());
    queues.set(store, q);
    created.push(q);
  }
  return q;
}

/** Every queue created in this process (metrics, drain). */
export function allWriteQueues(): readonly WriteBehindQueue[] {
  return created;
}

/** Forgets the queues (tests). */
export function resetWriteQueues(): void {
  for (const q of created) q.close();
  created = [];
}
