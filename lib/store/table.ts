/**
 * The state table's definition for local stacks and tests (dynalite). serverless.yml
 * declares the same key schema for AWS; test/unit/serverless-package.test.ts checks they agree.
 *
 * Item families besides those listed in ./client.ts:
 *
 * | pk                  | sk               | written by                                   |
 * |---------------------|------------------|----------------------------------------------|
 * | `numbers`           | `current`        | npm run numbers -- import; media core seed (./numbers.ts) |
 * | `numbers#<version>` | `number#<E.164>` | the same, one item per number of a list version |
 *
 * Session meta items (`session#<key>` / `meta`) also carry `messageToHumanAgent` once a
 * transfer sets it (./session-history.ts setAgentMessage).
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const STATE_TABLE_KEYS = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: 'sk', AttributeType: 'S' as const },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
};

/** Creates the table if it does not exist and waits until it is ACTIVE (at most ~5 s). */
export async function ensureStateTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST', ...STATE_TABLE_KEYS }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceInUseException') throw err;
  }
  for (let i = 0; i < 100; i++) {
    const d = await client.send(new DescribeTableCommand({ TableName: table }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`table ${table} did not become ACTIVE`);
}
