/**
 * The phone numbers the integration answers, as the hosted product manages them (a list of
 * E.164 numbers, each with a description and the integration that owns it), kept in the
 * state table so that every media core of a fleet routes by the same list.
 *
 * Items (one family of the single-table design, lib/store/client.ts):
 *
 * | pk                   | sk               | holds                                        |
 * |----------------------|------------------|----------------------------------------------|
 * | `numbers`            | `current`        | the version in force, its size, when set     |
 * | `numbers#<version>`  | `number#<E.164>` | one number: phoneNumber, description, integration |
 *
 * A replacement (the CSV import) writes the whole new version first, then switches `current`
 * to it with a conditional put (it fails if someone else switched in between), then deletes
 * the old version. Readers therefore see the old list or the new one, never a mix, and a
 * failed import changes nothing that is read. No TTL: numbers stay until replaced.
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from './client.ts';

/** One number. `phoneNumber` is E.164 (lib/phone.ts normalizes what people write). */
export interface NumberEntry {
  phoneNumber: string;
  /** Free text shown in lists; may be "". At most {@link MAX_DESCRIPTION_CHARS}. */
  description: string;
  /** Name of the integration (media core config) that answers this number. */
  integration: string;
}

/** The list in force. `version` is undefined when no list was ever stored. */
export interface NumberList {
  version?: string;
  updatedAt?: string;
  entries: NumberEntry[];
}

/** Most numbers in one list (bounds the import, the cache and each refresh). */
export const MAX_NUMBERS = 10_000;
export const MAX_DESCRIPTION_CHARS = 256;

const POINTER = { pk: 'numbers', sk: 'current' } as const;
const versionPk = (version: string) => `numbers#${version}`;

/** Thrown when a list breaks a rule (duplicate, too long, malformed entry); nothing was written. */
export class NumberListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NumberListError';
  }
}

/** Another writer switched the list between our read and our switch; nothing of ours is in force. */
export class NumberListConflictError extends Error {
  constructor() {
    super('the number list was replaced by someone else meanwhile; run the import again');
    this.name = 'NumberListConflictError';
  }
}

/** Checks a list. @throws NumberListError naming the first problem. */
export function checkNumberList(entries: readonly NumberEntry[]): void {
  if (entries.length > MAX_NUMBERS) throw new NumberListError(`${entries.length} numbers; at most ${MAX_NUMBERS}`);
  const seen = new Set<string>();
  for (const e of entries) {
    if (!/^\+[1-9]\d{1,14}$/.test(e.phoneNumber)) throw new NumberListError(`${e.phoneNumber.slice(0, 20)} is not E.164`);
    if (seen.has(e.phoneNumber)) throw new NumberListError(`${e.phoneNumber} is listed twice`);
    seen.add(e.phoneNumber);
    if (e.description.length > MAX_DESCRIPTION_CHARS) throw new NumberListError(`description of ${e.phoneNumber} is over ${MAX_DESCRIPTION_CHARS} characters`);
    if (!e.integration) throw new NumberListError(`${e.phoneNumber} has no integration`);
  }
}

/** Writes items with BatchWriteItem, 25 at a time, retrying unprocessed items a bounded number of times. */
async function batchWrite(store: Store, requests: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending = requests.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 8) throw new Error('DynamoDB left items unprocessed after 8 attempts');
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const r = await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.table]: pending as never } }));
      pending = (r.UnprocessedItems?.[store.table] ?? []) as Record<string, unknown>[];
    }
  }
}

async function readPointer(store: Store): Promise<{ version?: string; updatedAt?: string }> {
  const r = await store.doc.send(new GetCommand({ TableName: store.table, Key: POINTER, ConsistentRead: true }));
  return { version: r.Item?.version as string | undefined, updatedAt: r.Item?.updatedAt as string | undefined };
}

async function readVersion(store: Store, version: string): Promise<NumberEntry[]> {
  const entries: NumberEntry[] = [];
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 1000; page++) {
    const r = await store.doc.send(
      new QueryCommand({ TableName: store.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': versionPk(version) }, ExclusiveStartKey: start }),
    );
    for (const i of r.Items ?? []) {
      entries.push({ phoneNumber: String(i.phoneNumber), description: String(i.description ?? ''), integration: String(i.integration) });
      if (entries.length > MAX_NUMBERS) throw new Error(`number list ${version} holds more than ${MAX_NUMBERS} numbers`);
    }
    start = r.LastEvaluatedKey as Record<string, unknown> | undefined;
    if (!start) break;
  }
  return entries;
}

/** The list in force (entries sorted by number). */
export async function listNumbers(store: Store): Promise<NumberList> {
  const p = await readPointer(store);
  if (!p.version) return { entries: [] };
  const entries = await readVersion(store, p.version);
  entries.sort((a, b) => (a.phoneNumber < b.phoneNumber ? -1 : a.phoneNumber > b.phoneNumber ? 1 : 0));
  return { version: p.version, updatedAt: p.updatedAt, entries };
}

/**
 * Replaces the whole list (the hosted product's "Upload a CSV": the uploaded numbers replace
 * any existing ones).
 * @param onlyIfAbsent switch only when no list was ever stored (seeding from the config file)
 * @returns the new version, or undefined when `onlyIfAbsent` found a list
 * @throws NumberListError (nothing written), NumberListConflictError (a concurrent
 *   replacement won; our version is deleted again), DynamoDB errors
 */
export async function replaceNumbers(store: Store, entries: readonly NumberEntry[], opts: { onlyIfAbsent?: boolean; now?: number } = {}): Promise<string | undefined> {
  checkNumberList(entries);
  const before = await readPointer(store);
  if (opts.onlyIfAbsent && before.version) return undefined;
  const now = opts.now ?? Date.now();
  const version = `${new Date(now).toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
  await batchWrite(
    store,
    entries.map((e) => ({ PutRequest: { Item: { pk: versionPk(version), sk: `number#${e.phoneNumber}`, phoneNumber: e.phoneNumber, description: e.description, integration: e.integration } } })),
  );
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...POINTER, version, count: entries.length, updatedAt: new Date(now).toISOString() },
        ...(before.version
          ? { ConditionExpression: 'version = :prev', ExpressionAttributeValues: { ':prev': before.version } }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      }),
    );
  } catch (err) {
    await deleteVersion(store, version).catch(() => {});
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') {
      if (opts.onlyIfAbsent) return undefined;
      throw new NumberListConflictError();
    }
    throw err;
  }
  // The old version is no longer read; removing it is housekeeping and may fail harmlessly.
  if (before.version) await deleteVersion(store, before.version).catch(() => {});
  return version;
}

async function deleteVersion(store: Store, version: string): Promise<void> {
  const old = await readVersion(store, version);
  await batchWrite(store, old.map((e) => ({ DeleteRequest: { Key: { pk: versionPk(version), sk: `number#${e.phoneNumber}` } } })));
}
