/**
 * Session history: the transcript of a call's conversation, stored under a session history
 * key that cannot be guessed (128 random bits, base64url) and that expires (TTL).
 * The media core writes it turn by turn; the agent's screen pop reads it by key.
 *
 * Items: pk `session#<key>`; sk `meta` (call facts) and `turn#<seq 6 digits>` (one entry).
 */
import { randomBytes } from 'node:crypto';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod/mini';
import { loadEnv } from '../env.ts';
import { expiresInDays, type Store } from './client.ts';
import { WRITE_PRIORITY, writeQueueFor } from './write-queue.ts';

/** Bounds and default of SESSION_HISTORY_TTL_DAYS, days. */
export const SESSION_HISTORY_TTL = { min: 1, max: 365, default: 7 } as const;

const TtlEnv = z.object({
  SESSION_HISTORY_TTL_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(SESSION_HISTORY_TTL.min), z.maximum(SESSION_HISTORY_TTL.max)), SESSION_HISTORY_TTL.default),
});
let ttlFromProcessEnv: number | undefined;

/**
 * Days a session history stays readable: SESSION_HISTORY_TTL_DAYS, whole days 1-365, default 7.
 * Read once from process.env (or from `env` when given).
 * @throws ConfigError naming SESSION_HISTORY_TTL_DAYS when it is not a whole number in range.
 */
export function sessionHistoryTtlDays(env?: Record<string, string | undefined>): number {
  if (env) return loadEnv(TtlEnv, env).SESSION_HISTORY_TTL_DAYS;
  ttlFromProcessEnv ??= loadEnv(TtlEnv, process.env).SESSION_HISTORY_TTL_DAYS;
  return ttlFromProcessEnv;
}

/** One transcript entry. `who` = caller (speech or DTMF), assistant (a response), system (integration events). */
export interface TranscriptEntry {
  seq: number;
  /** ISO-8601 time. */
  at: string;
  who: 'caller' | 'assistant' | 'system';
  /** Text said or played; DTMF digits as digits; for system entries a short description. */
  text: string;
  /** true when the caller input was DTMF. */
  isDtmf?: boolean;
  /** The response_type for assistant entries. */
  responseType?: string;
}

/** Facts about the session shown at the top of the screen pop. Caller number is stored redacted. */
export interface SessionMeta {
  startedAt: string;
  /** Called number (the integration's own number, not personal). */
  calledNumber: string;
  /** Caller number redacted to its last 2 digits. */
  callerRedacted?: string;
  /** The contact center's id (adapters/registry.ts), e.g. 'amazon_connect'. */
  vendor: string;
  /** Its human name, e.g. 'Amazon Connect' (the screen pop shows it; absent in older sessions). */
  vendorLabel?: string;
  /** connect_to_agent's message_to_human_agent, shown first on the screen pop (set at the transfer). */
  messageToHumanAgent?: string;
}

/** A new session history key: 128 random bits as 22 base64url characters. */
export function newSessionHistoryKey(): string {
  return randomBytes(16).toString('base64url');
}

const pk = (key: string) => `session#${key}`;

/**
 * Writes the session's meta item through the store's write-behind queue (write-queue.ts:
 * batched, retried with backoff).
 * @returns when written. @throws WriteLostError when the queue gave the write up.
 */
export async function createSession(store: Store, key: string, meta: SessionMeta, ttlDays = sessionHistoryTtlDays()): Promise<void> {
  await writeQueueFor(store).put({ pk: pk(key), sk: 'meta', ...meta, expiresAt: expiresInDays(ttlDays) }, { family: 'session', priority: WRITE_PRIORITY.sessionMeta, group: pk(key) });
}

/**
 * Stores the assistant's summary for the agent on the meta item (the screen pop shows it
 * first; the Twilio refer-handler reads it by key, since a 256-character Refer-To cannot
 * carry it). Written before the transfer is signalled.
 */
export async function setAgentMessage(store: Store, key: string, text: string, ttlDays = sessionHistoryTtlDays()): Promise<void> {
  await store.doc.send(
    new UpdateCommand({
      TableName: store.table,
      Key: { pk: pk(key), sk: 'meta' },
      // if_not_exists: should the meta write have failed, the item still expires.
      UpdateExpression: 'SET messageToHumanAgent = :m, expiresAt = if_not_exists(expiresAt, :exp)',
      ExpressionAttributeValues: { ':m': text, ':exp': expiresInDays(ttlDays) },
    }),
  );
}

/**
 * Appends one entry (the caller numbers entries; seq must be unique per session) through the
 * write-behind queue. Entries are separate items sorted by sk, so their write order does not matter.
 * @returns when written. @throws WriteLostError when the queue gave the write up.
 */
export async function appendTurn(store: Store, key: string, entry: TranscriptEntry, ttlDays = sessionHistoryTtlDays()): Promise<void> {
  await writeQueueFor(store).put(
    { pk: pk(key), sk: `turn#${String(entry.seq).padStart(6, '0')}`, ...entry, expiresAt: expiresInDays(ttlDays) },
    { family: 'session', priority: WRITE_PRIORITY.sessionTurn, group: pk(key) },
  );
}

/**
 * Waits until every write of the session queued so far is done (written or lost), at most
 * `timeoutMs` (ms): before a transfer outcome is sent, since the agent's screen pop reads the
 * history at once.
 * @returns true when nothing of the session is left queued, false on timeout.
 */
export function flushSession(store: Store, key: string, timeoutMs: number): Promise<boolean> {
  return writeQueueFor(store).flush(pk(key), timeoutMs);
}

/**
 * Reads a session's meta and entries in order.
 * @returns undefined when the key is unknown or the session expired (TTL deletion is lazy in DynamoDB, so expiry is checked here too).
 */
export async function readSession(store: Store, key: string, now = Date.now()): Promise<{ meta: SessionMeta; turns: TranscriptEntry[] } | undefined> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 50; page++) {
    const r = await store.doc.send(
      new QueryCommand({ TableName: store.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk(key) }, ExclusiveStartKey: start }),
    );
    items.push(...((r.Items ?? []) as Record<string, unknown>[]));
    start = r.LastEvaluatedKey as Record<string, unknown> | undefined;
    if (!start) break;
  }
  const meta = items.find((i) => i.sk === 'meta');
  if (!meta || (typeof meta.expiresAt === 'number' && meta.expiresAt * 1000 < now)) return undefined;
  const strip = ({ pk: _p, sk: _s, expiresAt: _e, ...rest }: Record<string, unknown>) => rest;
  return {
    meta: strip(meta) as unknown as SessionMeta,
    turns: items.filter((i) => String(i.sk).startsWith('turn#')).map((i) => strip(i) as unknown as TranscriptEntry),
  };
}
