/**
 * The state table the command-line tools (npm run numbers, npm run mau) work on:
 * STATE_TABLE / DYNAMODB_ENDPOINT / AWS_REGION as the media core reads them; with neither
 * set, the local stack of `npm start` (dynalite on DYNAMODB_PORT, default 4567, and the
 * table serverless-offline uses).
 */
import { getStore, storeConfigFromEnv, type Store, type StoreConfig } from '../lib/store/client.ts';
import { DEFAULT_PORTS, STATE_TABLE } from '../dev/stack/stack-env.ts';

/** @returns the store config and a one-line description for the tool's output. */
export function toolStoreConfig(env: Record<string, string | undefined> = process.env): { config: StoreConfig; where: string } {
  if (env.STATE_TABLE || env.DYNAMODB_ENDPOINT) {
    const config = storeConfigFromEnv(env);
    return { config, where: `table ${config.table}${config.endpoint ? ` at ${config.endpoint}` : ` in ${config.region}`}` };
  }
  const port = env.DYNAMODB_PORT || String(DEFAULT_PORTS.dynamodb);
  const config: StoreConfig = { table: STATE_TABLE, endpoint: `http://127.0.0.1:${port}`, region: env.AWS_REGION || 'us-east-1' };
  return { config, where: `table ${config.table} of the local stack (dynalite on 127.0.0.1:${port})` };
}

/** The Store for {@link toolStoreConfig}. */
export function toolStore(env: Record<string, string | undefined> = process.env): { store: Store; where: string } {
  const { config, where } = toolStoreConfig(env);
  return { store: getStore(config), where };
}
