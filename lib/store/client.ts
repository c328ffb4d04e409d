/**
 * DynamoDB access for state that outlives a call: session history, contact registrations,
 * idempotency records. One table (STATE_TABLE), keys `pk` (string) and `sk` (string),
 * TTL attribute `expiresAt` (epoch seconds). Item families, by pk prefix:
 *
 * | pk                         | sk             | written by                     |
 * |----------------------------|----------------|--------------------------------|
 * | `session#<key>`            | `meta`/`turn#<seq>` | media core (session-history.ts) |
 * | `contact#id#<ContactId>`, `contact#num#<dialed>#<caller>` | `contact` | Amazon Connect flow function |
 * | `contact#bound#<vendor>#<contact id>` | `call` | media core (contact bound to a Call-ID) |
 * | `outcome#<outcomeId>`      | `outcome`      | adapter functions (idempotency)|
 * | `mau#<yyyy-mm>#<md5>`      | `user`         | media core (monthly active users) |
 *
 * Locally the same code talks to dynalite through DYNAMODB_ENDPOINT (http://127.0.0.1:PORT).
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface StoreConfig {
  /** Table name (STATE_TABLE). */
  table: string;
  /** Endpoint override, e.g. http://127.0.0.1:4567 for dynalite (DYNAMODB_ENDPOINT). */
  endpoint?: string;
  region?: string;
}

/** A document client plus the table name it serves. */
export interface Store {
  doc: DynamoDBDocumentClient;
  table: string;
}

const cache = new Map<string, Store>();

/**
 * Sockets per endpoint of the keep-alive agent (DYNAMODB_MAX_SOCKETS, default 128). The SDK's
 * default agent allows 50 and warned "socket pool at capacity" under 300 calls; the write-behind
 * queue (write-queue.ts) keeps at most STATE_WRITE_CONCURRENCY (32) writes in flight, and the
 * rest is headroom for reads (contact lookups, screen pops).
 */
export function maxSocketsFromEnv(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.DYNAMODB_MAX_SOCKETS || 128);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`DYNAMODB_MAX_SOCKETS: a positive whole number, got ${env.DYNAMODB_MAX_SOCKETS}`);
  return n;
}

/** Reads STATE_TABLE (default "phone-integration-state"), DYNAMODB_ENDPOINT and AWS_REGION. */
export function storeConfigFromEnv(env: Record<string, string | undefined> = process.env): StoreConfig {
  return {
    table: env.STATE_TABLE || 'phone-integration-state',
    endpoint: env.DYNAMODB_ENDPOINT || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
  };
}

/** Returns a cached Store for `config` (one client per table+endpoint per process). */
export function getStore(config: StoreConfig = storeConfigFromEnv()): Store {
  const id = `${config.table}|${config.endpoint ?? ''}`;
  let store = cache.get(id);
  if (!store) {
    const local = config.endpoint?.startsWith('http://127.0.0.1') || config.endpoint?.startsWith('http://localhost');
    const maxSockets = maxSocketsFromEnv();
    const client = new DynamoDBClient({
      region: config.region ?? 'us-east-1',
      endpoint: config.endpoint,
      // NodeHttpHandler options: keep-alive sockets sized for the load, and timeouts so a hung
      // endpoint frees its socket (the write-behind queue retries; ms).
      requestHandler: {
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
        connectionTimeout: 2000,
        requestTimeout: 5000,
      },
      // dynalite ignores credentials but the SDK insists on having some.
      ...(local && !process.env.AWS_ACCESS_KEY_ID ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
    store = { doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), table: config.table };
    cache.set(id, store);
  }
  return store;
}

/** Epoch seconds `days` from now, for the `expiresAt` TTL attribute. */
export function expiresInDays(days: number, now = Date.now()): number {
  return Math.floor(now / 1000) + Math.round(days * 86400);
}
