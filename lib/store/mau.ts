/**
 * Monthly active users (users are counted by the MD5 hash of the caller's number, never the
 * number: https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone).
 *
 * Where this differs from the hosted product, on purpose: the number is first normalized to
 * E.164 (lib/phone.ts), so "+15551234567", "15551234567" and "+1 555 123 4567" are one user;
 * and when a hash key is configured (./mau-key.ts: MAU_HASH_KEY_PARAM in SSM, MAU_HASH_KEY
 * locally) the digest is HMAC-MD5 (RFC 2104) under that key instead of plain MD5. A plain MD5
 * of a phone number can be reversed by hashing every number of a country (10^10 for +1, a
 * few minutes on one GPU); without the key, stored values reveal nothing. The count is the
 * same either way. Changing the key mid-month counts every caller of that month again.
 * Items: pk `mau#<yyyy-mm>#<md5 hex>` sk `user` (one per
 * caller per month, written once with a conditional put) and pk `mau#<yyyy-mm>` sk `count`
 * (incremented only when the user item was new). Both expire after about 400 days.
 */
import { createHash, createHmac } from 'node:crypto';
import { callerE164 } from '../phone.ts';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expiresInDays, type Store } from './client.ts';
import { WRITE_PRIORITY, writeQueueFor } from './write-queue.ts';

/** "2026-11" for a time (UTC). */
export function monthOf(now: number): string {
  return new Date(now).toISOString().slice(0, 7);
}

let hashKey: Buffer | undefined;

/** Sets the process's MAU hash key (at start, from ./mau-key.ts); undefined: plain MD5. */
export function setMauHashKey(key: Buffer | undefined): void {
  hashKey = key && key.length > 0 ? key : undefined;
}

/**
 * Hex digest of the caller's number in E.164 ("+1 555 123 4567", "15551234567" and
 * "+15551234567" hash alike); text that is no number (e.g. "anonymous") is hashed as
 * written, digits and "+" only. HMAC-MD5 under `key` (default: the process's key) or MD5.
 */
export function callerHash(callerNumber: string, key: Buffer | undefined = hashKey): string {
  const normalized = callerE164(callerNumber) ?? callerNumber.trim().replace(/[^\d+]/g, '');
  return (key ? createHmac('md5', key) : createHash('md5')).update(normalized).digest('hex');
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
