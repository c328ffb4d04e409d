/**
 * The fleet-wide concurrent-call limit: one admission check that holds the plan's limit across
 * every media core of a service instance, with a DynamoDB counter, per-instance leases and
 * heartbeats.
 *
 * One item in the state table, pk `fleet#<scope>`, sk `calls`:
 *
 *   { total: <calls admitted fleet-wide>,
 *     leases: { <instanceId>: { held: <calls this instance holds>, expiresAtMs: <epoch ms> } } }
 *
 * - tryAcquire: one conditional UpdateItem, `total < limit AND the lease exists`, adds 1 to
 *   `total` and to the instance's `held` (atomic: a single item; DynamoDB serializes
 *   conditional writes to an item, so concurrent admissions on any number of instances never
 *   exceed the limit: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
 *   Over the limit -> 486 Busy Here (the service is full; RFC 3261 section 21.4.24).
 * - release: the reverse, conditional on `held > 0`.
 * - heartbeat (every heartbeatMs): moves the instance's lease expiry forward and reads the
 *   item back; any lease past its expiry (a crashed instance) is removed and its `held`
 *   subtracted from `total` in one conditional update, so its slots come back within
 *   leaseMs + heartbeatMs (default 30 s + 10 s) of the crash.
 * - Every DynamoDB call has a deadline (deadlineMs, default 200 ms). When the table is
 *   unreachable or late, admission fails open to the instance's local share of the limit
 *   (localShare, default limit / live instances seen at the last heartbeat), logs it once per
 *   outage and counts it in media_core_fleet_limit_* metrics; a share that is full answers 503
 *   (try another instance). Calls admitted locally are added to the counter at the first
 *   heartbeat that reaches the table again, and releases that failed are applied then too.
 *
 * The whole fleet's admissions go through one item: DynamoDB allows 1,000 writes per second
 * per partition key, about 500 call setups per second fleet-wide (acquire + release).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { Store } from '../../lib/store/client.ts';
import { createLogger } from '../../lib/log.ts';
import { metricsRegistry } from '../observability/metrics.ts';
import type { AdmissionCheck, AdmissionContext, AdmissionRefusal } from './admission.ts';

/** The result of {@link FleetLimit.tryAcquire}. `mode` says who decided: the fleet counter or the local share (table unreachable). */
export type FleetAdmission = { ok: true; mode: 'fleet' | 'local' } | { refuse: 486 | 503; reason: string };

export interface FleetLimitOptions {
  /** The state table (lib/store/client.ts). */
  store: Store;
  /** Concurrent calls allowed across the fleet. */
  limit: number;
  /** Which fleet (service instance) the counter belongs to (default "default"). */
  scope?: string;
  /** This instance's lease name (default hostname-pid-random: unique per process start). */
  instanceId?: string;
  /** A lease not renewed for this long is reaped, ms (default 30000). */
  leaseMs?: number;
  /** Heartbeat period, ms (default leaseMs / 3). */
  heartbeatMs?: number;
  /** Deadline of each DynamoDB call on the admission path, ms (default 200). */
  deadlineMs?: number;
  /** Calls this instance may admit on its own while the table is unreachable (default limit / live instances, at least 1). */
  localShare?: number;
  logger?: Logger;
  /** Clock, epoch ms (tests). */
  now?: () => number;
}

const degradedGauge = new Gauge({ name: 'media_core_fleet_limit_degraded', help: '1 while the fleet limit fails open to the local share (state table unreachable)', registers: [metricsRegistry] });
const failOpenCounter = new Counter({ name: 'media_core_fleet_limit_fail_open_total', help: 'Admissions decided by the local share because the state table was unreachable or late', registers: [metricsRegistry] });
const refusedCounter = new Counter({ name: 'media_core_fleet_limit_refused_total', help: 'Calls refused by the fleet limit, by status', labelNames: ['status'], registers: [metricsRegistry] });
const reapedCounter = new Counter({ name: 'media_core_fleet_limit_reaped_slots_total', help: 'Slots given back from expired leases of crashed instances', registers: [metricsRegistry] });

interface LeaseEntry {
  held: number;
  expiresAtMs: number;
}

/** Thrown inside when a DynamoDB call misses its deadline or fails for a reason other than its condition. */
class TableUnavailable extends Error {
  override name = 'TableUnavailable';
}

const isConditionFailure = (err: unknown) => (err as { name?: string }).name === 'ConditionalCheckFailedException';

/**
 * A fleet-wide concurrent-call limit (see the file comment), and the admission check that
 * applies it (UasOptions.admissionChecks, after the headroom checks). Call start() before the
 * first tryAcquire.
 */
export class FleetLimit implements AdmissionCheck {
  readonly name = 'fleet-limit';
  /**
   * The check's deadline, ms: tryAcquire keeps its own deadline per DynamoDB call and fails
   * open to the local share, so this only bounds its worst case (seven calls: register,
   * acquire, read, register again, acquire again).
   */
  readonly deadlineMs: number;
  readonly limit: number;
  readonly instanceId: string;
  private readonly store: Store;
  private readonly key: { pk: string; sk: string };
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly callDeadlineMs: number;
  private readonly fixedShare: number | undefined;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Calls this instance admitted, by Call-ID, and who counted them. */
  private readonly calls = new Map<string, 'fleet' | 'local'>();
  /** Releases of fleet-counted calls that did not reach the table yet. */
  private pendingReleases = 0;
  private liveInstances = 1;
  private registered = false;
  private isDegraded = false;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;

  constructor(opts: FleetLimitOptions) {
    if (!Number.isInteger(opts.limit) || opts.limit < 0) throw new RangeError(`fleet limit must be a non-negative integer, got ${opts.limit}`);
    this.limit = opts.limit;
    this.store = opts.store;
    this.instanceId = opts.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    if (!/^[\w.:-]{1,128}$/.test(this.instanceId)) throw new RangeError(`instanceId must be 1-128 of [A-Za-z0-9_.:-], got ${JSON.stringify(this.instanceId)}`);
    this.key = { pk: `fleet#${opts.scope ?? 'default'}`, sk: 'calls' };
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.heartbeatMs = opts.heartbeatMs ?? Math.max(50, Math.floor(this.leaseMs / 3));
    this.callDeadlineMs = opts.deadlineMs ?? 200;
    this.deadlineMs = 7 * this.callDeadlineMs;
    this.fixedShare = opts.localShare;
    this.log = opts.logger ?? createLogger('fleet-limit');
    this.now = opts.now ?? Date.now;
  }

  /** true while admission fails open to the local share. */
  get degraded(): boolean {
    return this.isDegraded;
  }

  /** Calls this instance holds now (fleet-counted and local). */
  get activeCalls(): number {
    return this.calls.size;
  }

  /** The local share used while the table is unreachable. */
  get localShare(): number {
    return this.fixedShare ?? Math.max(1, Math.floor(this.limit / Math.max(1, this.liveInstances)));
  }

  /**
   * Registers this instance's lease (reaping expired ones) and starts the heartbeat. Never
   * throws for an unreachable table: the instance starts degraded and registers on a later
   * heartbeat.
   */
  async start(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.timer.unref();
  }

  /** The admission check: 486 when the fleet is full, 503 with Retry-After 5 when the table is unreachable and the local share is full. */
  async check(ctx: AdmissionContext): Promise<AdmissionRefusal | undefined> {
    const r = await this.tryAcquire(ctx.callId);
    if (!('refuse' in r)) return undefined;
    return r.refuse === 486
      ? { status: 486, reason: 'Busy Here', cause: 'fleet_limit', detail: { reason: r.reason } }
      : { status: 503, reason: 'Service Unavailable', retryAfterS: 5, cause: 'fleet_unreachable', detail: { reason: r.reason } };
  }

  /**
   * Admits one call (Call-ID `callId`) if the fleet has room. Resolves within about
   * deadlineMs (twice that when the lease must be registered again); never rejects.
   * @returns { ok, mode } or { refuse: 486 } (fleet full) / { refuse: 503 } (table unreachable and the local share full).
   */
  async tryAcquire(callId: string): Promise<FleetAdmission> {
    if (this.calls.has(callId)) return { ok: true, mode: this.calls.get(callId)! };
    try {
      if (!this.registered) await this.register();
      try {
        await this.acquireInTable();
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        // Full, or our lease was reaped (we missed heartbeats): tell them apart with one read.
        const item = await this.read();
        if (item?.leases?.[this.instanceId]) return this.refuse(486, `fleet limit ${this.limit} reached`);
        this.registered = false;
        await this.register();
        try {
          await this.acquireInTable();
        } catch (again) {
          if (isConditionFailure(again)) return this.refuse(486, `fleet limit ${this.limit} reached`);
          throw again;
        }
      }
      this.setDegraded(false);
      this.calls.set(callId, 'fleet');
      return { ok: true, mode: 'fleet' };
    } catch (err) {
      this.setDegraded(true, err);
      failOpenCounter.inc();
      if (this.calls.size >= this.localShare) return this.refuse(503, `state table unreachable and the local share ${this.localShare} is full`);
      this.calls.set(callId, 'local');
      return { ok: true, mode: 'local' };
    }
  }

  /** Gives the call's slot back (no-op for an unknown Call-ID). Never rejects; a release the table misses is applied at the next heartbeat. */
  async release(callId: string): Promise<void> {
    const mode = this.calls.get(callId);
    if (!mode) return;
    this.calls.delete(callId);
    if (mode === 'local') return;
    try {
      await this.send(
        new UpdateCommand({
          TableName: this.store.table,
          Key: this.key,
          UpdateExpression: 'SET #total = #total - :one, #leases.#me.#held = #leases.#me.#held - :one',
          ConditionExpression: '#leases.#me.#held >= :one',
          ExpressionAttributeNames: { '#total': 'total', '#leases': 'leases', '#me': this.instanceId, '#held': 'held' },
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
    } catch (err) {
      // Condition failure: the lease was reaped with this slot already given back.
      if (!isConditionFailure(err)) this.pendingReleases++;
    }
  }

  /** Stops the heartbeat and hands the lease back (its held slots with it). Never rejects. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    if (!this.registered) return;
    try {
      const item = await this.read();
      const lease = item?.leases?.[this.instanceId];
      if (lease) await this.removeLease(this.instanceId, lease);
    } catch (err) {
      this.log.warn({ err: String(err) }, 'fleet limit: lease not handed back; it expires by itself');
    }
    this.registered = false;
  }

  /** One heartbeat: renew the lease, apply what failed while degraded, reap expired leases. Runs one at a time; never rejects. */
  heartbeat(): Promise<void> {
    if (this.beating || this.stopped) return this.beating ?? Promise.resolve();
    this.beating = (async () => {
      try {
        if (!this.registered) await this.register();
        const names = { '#leases': 'leases', '#me': this.instanceId, '#exp': 'expiresAtMs', '#held': 'held', '#total': 'total' };
        // Calls admitted while degraded join the counter now, and missed releases leave it.
        const local = [...this.calls].filter(([, m]) => m === 'local').map(([id]) => id);
        const delta = local.length - this.pendingReleases;
        const r = await this.send(
          new UpdateCommand({
            TableName: this.store.table,
            Key: this.key,
            UpdateExpression: 'SET #leases.#me.#exp = :exp, #leases.#me.#held = #leases.#me.#held + :d, #total = #total + :d',
            ConditionExpression: 'attribute_exists(#leases.#me) AND #leases.#me.#held >= :minusD',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':exp': this.now() + this.leaseMs, ':d': delta, ':minusD': -delta },
            ReturnValues: 'ALL_NEW',
          }),
        );
        for (const id of local) if (this.calls.get(id) === 'local') this.calls.set(id, 'fleet');
        this.pendingReleases = 0;
        this.setDegraded(false);
        const leases = (r.Attributes?.leases ?? {}) as Record<string, LeaseEntry>;
        const now = this.now();
        const expired = Object.entries(leases).filter(([id, l]) => id !== this.instanceId && l.expiresAtMs < now);
        this.liveInstances = Object.keys(leases).length - expired.length;
        for (const [id, lease] of expired) await this.removeLease(id, lease, true);
      } catch (err) {
        if (isConditionFailure(err)) {
          // Our lease was reaped while we were cut off: register again with what we hold.
          this.registered = false;
        } else {
          this.setDegraded(true, err);
        }
      } finally {
        this.beating = undefined;
      }
    })();
    return this.beating;
  }

  private refuse(status: 486 | 503, reason: string): FleetAdmission {
    refusedCounter.inc({ status: String(status) });
    return { refuse: status, reason };
  }

  private setDegraded(on: boolean, err?: unknown): void {
    if (on === this.isDegraded) return;
    this.isDegraded = on;
    degradedGauge.set(on ? 1 : 0);
    if (on) this.log.warn({ err: String(err), localShare: this.localShare, limit: this.limit }, 'fleet limit: state table unreachable, admission fails open to the local share');
    else this.log.info({ limit: this.limit }, 'fleet limit: state table reachable again, admission by the fleet counter');
  }

  /** Creates the item if missing and adds this instance's lease, counting the calls it already holds. */
  private async register(): Promise<void> {
    await this.send(
      new UpdateCommand({
        TableName: this.store.table,
        Key: this.key,
        UpdateExpression: 'SET #total = if_not_exists(#total, :zero), #leases = if_not_exists(#leases, :empty)',
        ExpressionAttributeNames: { '#total': 'total', '#leases': 'leases' },
        ExpressionAttributeValues: { ':zero': 0, ':empty': {} },
      }),
    );
    const held = this.calls.size;
    const added = await this.send(
      new UpdateCommand({
        TableName: this.store.table,
        Key: this.key,
        UpdateExpression: 'SET #leases.#me = :lease, #total = #total + :held',
        ConditionExpression: 'attribute_not_exists(#leases.#me)',
        ExpressionAttributeNames: { '#total': 'total', '#leases': 'leases', '#me': this.instanceId },
        ExpressionAttributeValues: { ':lease': { held, expiresAtMs: this.now() + this.leaseMs }, ':held': held },
      }),
    ).then(
      () => true,
      (err) => {
        if (isConditionFailure(err)) return false; // already registered
        throw err;
      },
    );
    if (added) {
      // Every call this instance holds is in the new lease, and a reaped lease took the old releases with it.
      for (const id of this.calls.keys()) this.calls.set(id, 'fleet');
      this.pendingReleases = 0;
    }
    this.registered = true;
  }

  private acquireInTable() {
    return this.send(
      new UpdateCommand({
        TableName: this.store.table,
        Key: this.key,
        UpdateExpression: 'SET #total = #total + :one, #leases.#me.#held = #leases.#me.#held + :one',
        ConditionExpression: '#total < :limit AND attribute_exists(#leases.#me)',
        ExpressionAttributeNames: { '#total': 'total', '#leases': 'leases', '#me': this.instanceId, '#held': 'held' },
        ExpressionAttributeValues: { ':one': 1, ':limit': this.limit },
      }),
    );
  }

  private async read(): Promise<{ total?: number; leases?: Record<string, LeaseEntry> } | undefined> {
    const r = await this.send(new GetCommand({ TableName: this.store.table, Key: this.key, ConsistentRead: true }));
    return r.Item as { total?: number; leases?: Record<string, LeaseEntry> } | undefined;
  }

  /** Removes a lease and its held slots, if it is still as read (another instance may have reaped or renewed it). */
  private async removeLease(id: string, lease: LeaseEntry, reaped = false): Promise<void> {
    try {
      await this.send(
        new UpdateCommand({
          TableName: this.store.table,
          Key: this.key,
          UpdateExpression: 'REMOVE #leases.#id SET #total = #total - :held',
          ConditionExpression: '#leases.#id.#exp = :exp AND #leases.#id.#held = :held',
          ExpressionAttributeNames: { '#total': 'total', '#leases': 'leases', '#id': id, '#exp': 'expiresAtMs', '#held': 'held' },
          ExpressionAttributeValues: { ':exp': lease.expiresAtMs, ':held': lease.held },
        }),
      );
      if (reaped) {
        reapedCounter.inc(lease.held);
        this.log.warn({ instance: id, slots: lease.held }, 'fleet limit: lease of a silent instance expired, its slots are back');
      }
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** Sends with the deadline. @throws TableUnavailable on timeout or transport errors; the SDK's error on a condition failure. */
  private async send(command: GetCommand | UpdateCommand): Promise<{ Attributes?: Record<string, unknown>; Item?: Record<string, unknown> }> {
    const options = { abortSignal: AbortSignal.timeout(this.callDeadlineMs) };
    try {
      return command instanceof GetCommand ? await this.store.doc.send(command, options) : await this.store.doc.send(command, options);
    } catch (err) {
      if (isConditionFailure(err)) throw err;
      throw new TableUnavailable(`${(err as Error).name}: ${(err as Error).message}`);
    }
  }
}
