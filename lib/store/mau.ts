/**
 * Monthly active users (seed 000: users are counted by the MD5 hash of the caller's
 * number, never the number). Items: pk `mau#<yyyy-mm>#<md5 hex>` sk `user` (one per
 * caller per month, written once with a conditional put) and pk `mau#<yyyy-mm>` sk `count`
 * (incremented only when the user item was new). Both expire after about 400 days.
 */
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expiresInDays, type Store } from './client.ts';
import { WRITE_PRIORITY, writeQueueFor } from './write-queue.ts';

/** "2026-11" for a time (UTC). */
export function monthOf(now: number): string {
  return new Date(now).toISOString().slice(0, 7);
}

/** MD5 hex of the caller's number, digits and a leading + only ("+1 555" and "+1555" hash alike). */
export function callerHash(callerNumber: string): string {
  const normalized = callerNumber.trim().replace(/[^\d+]/g, '');
  return createHash('md5').update(normalized).digest('hex');
}

/**
 * Records that `callerNumber` called this month, through the store's write-behind queue
 * (write-queue.ts; lowest priority when the queue must drop a write: the caller's next call of
 * the month writes it again).
 * @returns true when this is the caller's first call of the month (the monthly count grew).
 * @throws WriteLostError when the queue gave the write up.
 */
export function countMonthlyActiveUser(store: Store, callerNumber: string, now = Date.now()): Promise<boolean> {
  return writeQueueFor(store).call((s) => countNow(s, callerNumber, now), { family: 'mau', priority: WRITE_PRIORITY.mau });
}

/**
 * The two writes of countMonthlyActiveUser. A retry after a timeout whose put did succeed finds
 * the user item and does not count again: the count may then miss one user, never count one twice.
 */
async function countNow(store: Store, callerNumber: string, now: number): Promise<boolean> {
  const month = monthOf(now);
  const hash = callerHash(callerNumber);
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.table,
        Item: { pk: `mau#${month}#${hash}`, sk: 'user', firstSeen: new Date(now).toISOString(), expiresAt: expiresInDays(400, now) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
  await store.doc.send(
    new UpdateCommand({
      TableName: store.table,
      Key: { pk: `mau#${month}`, sk: 'count' },
      UpdateExpression: 'ADD #u :one SET expiresAt = :exp',
      ExpressionAttributeNames: { '#u': 'users' },
      ExpressionAttributeValues: { ':one': 1, ':exp': expiresInDays(400, now) },
    }),
  );
  return true;
}

/** The number of distinct callers in `month` ("yyyy-mm"). */
export async function monthlyActiveUsers(store: Store, month: string): Promise<number> {
  const r = await store.doc.send(new GetCommand({ TableName: store.table, Key: { pk: `mau#${month}`, sk: 'count' } }));
  return Number(r.Item?.users ?? 0);
}
