/**
 * Starts an in-memory dynalite on 127.0.0.1 (a free port) with the state table created,
 * for tests. Call `stop()` in an after() hook.
 */
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureStateTable } from '../../lib/store/table.ts';

const require = createRequire(import.meta.url);

export interface LocalDynamo {
  endpoint: string;
  table: string;
  stop(): Promise<void>;
}

export async function startDynalite(table = 'test-state'): Promise<LocalDynamo> {
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureStateTable(client, table);
  client.destroy();
  return {
    endpoint,
    table,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
