/**
 * Idempotency records for outcomes (item family `outcome#<outcomeId>` / sk `outcome`, see
 * client.ts): an outcome is applied to the vendor at most once even when the media core
 * invokes the adapter twice (Lambda retry, media-core retry after a timeout).
 *
 * Life of a record:
 * - `in_progress`: one invocation holds it (conditional put, only one wins) for a lease of at
 *   least the function's timeout, so a live invocation is never taken over.
 * - `applied`: the vendor accepted it. Later invocations answer `duplicate` and send nothing.
 * - `rejected`: the vendor refused it, or it was never sent (throttled, refused connection,
 *   nothing left of the deadline before a request went out). Safe to try again.
 * - `unknown`: a request may have reached the vendor but no answer came back (timeout,
 *   connection reset after sending). Never re-applied blindly: a later invocation first asks
 *   the vendor (adapters/common/apply-once.ts `check`), and claims the record again only when
 *   the vendor shows the outcome was not applied ({@link reclaimOutcome}).
 * An `in_progress` record whose lease ran out belongs to an invocation that died, maybe after
 * sending: it is treated like `unknown`.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expiresInDays, type Store } from './client.ts';

/** Days an idempotency record is kept (TTL): long enough to catch any retry. */
export const IDEMPOTENCY_TTL_DAYS = 1;

/** State of an outcome's record. */
export type OutcomeRecordState = 'in_progress' | 'applied' | 'rejected' | 'unknown';

export interface OutcomeRecord {
  outcomeId: string;
  vendor: string;
  state: OutcomeRecordState;
  /** Epoch ms the current attempt started. */
  startedAt: number;
  /** Vendor requests made by the invocation that last held it. */
  attempts?: number;
}

/** Result of {@link beginOutcome}. */
export type BeginResult =
  | { status: 'started' }
  /** Already applied by an earlier invocation: reply duplicate, send nothing. */
  | { status: 'applied'; record: OutcomeRecord }
  /** Another invocation holds a live lease: wait for it (see {@link readOutcome}). */
  | { status: 'in_progress'; record: OutcomeRecord }
  /** An earlier attempt may have reached the vendor (state unknown, or a lease that ran out): check before sending. */
  | { status: 'unknown'; record: OutcomeRecord };

const key = (outcomeId: string) => ({ pk: `outcome#${outcomeId}`, sk: 'outcome' });

/**
 * Claims `outcomeId` for this invocation with a conditional put: succeeds when there is no
 * record or the record was rejected.
 * @param leaseMs how long (ms) an `in_progress` record protects its invocation; at least the function timeout.
 * @throws the DynamoDB error for anything but the condition failing.
 */
export async function beginOutcome(
  store: Store,
  outcomeId: string,
  vendor: string,
  leaseMs = 10_000,
  now = Date.now(),
  depth = 0,
): Promise<BeginResult> {
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...key(outcomeId), outcomeId, vendor, state: 'in_progress', startedAt: now, expiresAt: expiresInDays(IDEMPOTENCY_TTL_DAYS, now) },
        ConditionExpression: 'attribute_not_exists(pk) OR #state = :rejected',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':rejected': 'rejected' },
      }),
    );
    return { status: 'started' };
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
  }
  const record = await readOutcome(store, outcomeId);
  if (record?.state === 'applied') return { status: 'applied', record };
  if (record?.state === 'unknown') return { status: 'unknown', record };
  if (record?.state === 'in_progress') return record.startedAt < now - leaseMs ? { status: 'unknown', record } : { status: 'in_progress', record };
  // The record changed between the put and the read (rejected or deleted): try once more.
  if (depth >= 3) throw new Error('idempotency record keeps changing');
  return beginOutcome(store, outcomeId, vendor, leaseMs, now, depth + 1);
}

/**
 * Claims a record found `unknown` (or with a lease that ran out) after the vendor showed the
 * outcome was not applied: a conditional update on the state and start time seen, so of two
 * invocations that checked, only one sends.
 * @returns true when this invocation now holds it.
 */
export async function reclaimOutcome(store: Store, seen: OutcomeRecord, now = Date.now()): Promise<boolean> {
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.table,
        Key: key(seen.outcomeId),
        UpdateExpression: 'SET #state = :inProgress, startedAt = :now',
        ConditionExpression: '#state = :seenState AND startedAt = :seenAt',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now, ':seenState': seen.state, ':seenAt': seen.startedAt },
      }),
    );
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/** Reads the record of `outcomeId` (strongly consistent), or undefined. */
export async function readOutcome(store: Store, outcomeId: string): Promise<OutcomeRecord | undefined> {
  const r = await store.doc.send(new GetCommand({ TableName: store.table, Key: key(outcomeId), ConsistentRead: true }));
  if (!r.Item) return undefined;
  const { outcomeId: id, vendor, state, startedAt, attempts } = r.Item as Record<string, unknown>;
  return { outcomeId: String(id), vendor: String(vendor), state: state as OutcomeRecordState, startedAt: Number(startedAt), attempts: attempts as number | undefined };
}

/** Marks the outcome `applied` (vendor accepted it after `attempts` requests), `rejected` (not applied) or `unknown` (maybe applied). */
export async function finishOutcome(store: Store, outcomeId: string, state: 'applied' | 'rejected' | 'unknown', attempts: number): Promise<void> {
  await store.doc.send(
    new UpdateCommand({
      TableName: store.table,
      Key: key(outcomeId),
      UpdateExpression: 'SET #state = :state, attempts = :attempts',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':state': state, ':attempts': attempts },
    }),
  );
}
