/**
 * The local stack's DynamoDB for docker-compose.yml: dynalite (in memory) on
 * DYNAMODB_HOST:DYNAMODB_PORT (default 127.0.0.1:4567) with the state table created
 * (lib/store/table.ts), so the functions and the media core find it at once.
 * `npm start` runs the same thing in process (dev/stack/stack.ts). Stops on SIGINT/SIGTERM.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureStateTable } from '../../lib/store/table.ts';
import { DEFAULT_PORTS, STATE_TABLE } from '../../dev/stack/stack-env.ts';

const require = createRequire(import.meta.url);
const host = process.env.DYNAMODB_HOST || '127.0.0.1';
const port = Number(process.env.DYNAMODB_PORT || DEFAULT_PORTS.dynamodb);
const table = process.env.STATE_TABLE || STATE_TABLE;

const dynalite = require('dynalite') as (opts: Record<string, unknown>) => Server;
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
await new Promise<void>((ok, fail) => {
  server.once('error', fail);
  server.listen(port, host, () => ok());
});
const client = new DynamoDBClient({ region: 'us-east-1', endpoint: `http://${host}:${port}`, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
await ensureStateTable(client, table);
client.destroy();
console.log(`dynalite ready http://${host}:${port} table ${table}`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => server.close(() => process.exit(0)));
