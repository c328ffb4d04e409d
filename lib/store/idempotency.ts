/**
 * Idempotency records for outcomes (item family `outcome#<outcomeId>` / sk `outcome`, see
 * client.ts): an outcome is applied to the vendor at most once even when the media core
 * invokes the adapter twice (Lambda retry, media-core retry after a timeout).
 *
 * Life of a record: `in_progress` (conditional put, only one invocation wins) -> `applied`
 * (vendor accepted) or `rejected` (vendor refused or the deadline passed; a later
 * invocation with the same outcomeId may try again). An `in_progress` record older than
 * its lease is considered abandoned (the invocation died) and can be taken over.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expiresInDays, type Store } from './client.ts';

/** Days an idempotency record is kept (TTL): long enough to catch any retry. */
export const IDEMPOTENCY_TTL_DAYS = 1;

/** State of an outcome's record. */
export type OutcomeRecordState = 'in_progress' | 'applied' | 'rejected';

export interface OutcomeRecord {
  outcomeId: string;
  vendor: string;
  state: OutcomeRecordState;
  /** Epoch ms the current attempt started. */
  startedAt: number;
  /** Vendor requests made by the invocation that applied it. */
  attempts?: number;
}

/** Result of {@link beginOutcome}. */
export type BeginResult =
  | { status: 'started' }
  /** Already applied by an earlier invocation: reply duplicate, send nothing. */
  | { status: 'applied'; record: OutcomeRecord }
  /** Another invocation holds a live lease: wait for it (see {@link readOutcome}). */
  | { status: 'in_progress'; record: OutcomeRecord };

const key = (outcomeId: string) => ({ pk: `outcome#${outcomeId}`, sk: 'outcome' });

/**
 * Claims `outcomeId` for this invocation with a conditional put: succeeds when there is no
 * record, the record was rejected, or its in-progress lease (`leaseMs`, ms) has expired.
 * @throws the DynamoDB error for anything but the condition failing.
 */
export async function beginOutcome(
  store: Store,
  outcomeId: string,
  vendor: string,
  leaseMs = 10_000,
  now = Date.now(),
): Promise<BeginResult> {
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...key(outcomeId), outcomeId, vendor, state: 'in_progress', startedAt: now, expiresAt: expiresInDays(IDEMPOTENCY_TTL_DAYS, now) },
        ConditionExpression: 'attribute_not_exists(pk) OR #state = :rejected OR (#state = :inProgress AND startedAt < :stale)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':rejected': 'rejected', ':inProgress': 'in_progress', ':stale': now - leaseMs },
      }),
    );
    return { status: 'started' };
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
  }
  const record = await readOutcome(store, outcomeId);
  if (record?.state === 'applied') return { status: 'applied', record };
  if (record?.state === 'in_progress') return { status: 'in_progress', record };
  // The record changed between the put and the read (rejected or deleted): try once more.
  return beginOutcome(store, outcomeId, vendor, leaseMs, now);
}

/** Reads the record of `outcomeId` (strongly consistent), or undefined. */
export async function readOutcome(store: Store, outcomeId: string): Promise<OutcomeRecord | undefined> {
  const r = await store.doc.send(new GetCommand({ TableName: store.table, Key: key(outcomeId), ConsistentRead: true }));
  if (!r.Item) return undefined;
  const { outcomeId: id, vendor, state, startedAt, attempts } = r.Item as Record<string, unknown>;
  return { outcomeId: String(id), vendor: String(vendor), state: state as OutcomeRecordState, startedAt: Number(startedAt), attempts: attempts as number | undefined };
}

/** Marks the outcome `applied` (vendor accepted it after `attempts` requests) or `rejected`. */
export async function finishOutcome(store: Store, outcomeId: string, state: 'applied' | 'rejected', attempts: number): Promise<void> {
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
