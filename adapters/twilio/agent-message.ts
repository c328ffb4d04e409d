/**
 * message_to_human_agent on the Twilio Flex path. The REFER's Refer-To is capped at 256
 * characters (twilio.com/docs/voice/api/refer-to-twilio), too short for a summary, so the
 * media core stores it with the session history and the refer-handler reads it by the key the
 * Refer-To does carry, then hands it to the Studio flow as the `MessageToHumanAgent`
 * parameter of the return redirect; the flow's Enqueue Call widget puts it in the task's
 * attributes (infra/twilio/studio-flow.json).
 *
 * The read is one DynamoDB GetItem on the session's meta item (lib/store/session-history.ts).
 * The DynamoDB client is loaded only here and by name, so esbuild leaves it out of the
 * webhook bundles (kept near 130 KB for cold start): in Lambda the nodejs22.x runtime provides
 * AWS SDK v3, locally node_modules does.
 */
import { truncateMarked, withoutControls } from '../common/agent-message.ts';

/** Where the session history lives, from the function's environment (STATE_TABLE, DYNAMODB_ENDPOINT, AWS_REGION). */
export interface SessionTableOptions {
  table: string;
  endpoint?: string;
  region: string;
  /** Longest wait for the read, ms: a slow table must not hold the caller (Twilio waits 15 s at most). */
  timeoutMs: number;
}

/** Reads the summary stored under a session history key; undefined when there is none. */
export type AgentMessageReader = (sessionHistoryKey: string) => Promise<string | undefined>;

/**
 * Longest `MessageToHumanAgent` parameter, measured URL-encoded (characters of the query
 * value): it travels in the <Redirect> URL, and URLs of a few KB are where proxies start to
 * refuse. About 500 characters of plain text.
 */
export const MAX_STUDIO_PARAM_ENCODED = 1500;

/**
 * The summary as the Studio flow can take it. Studio substitutes `{{widgets.….MessageToHumanAgent}}`
 * into the task attributes JSON as it is (Liquid, no JSON escaping), so a `"` or `\` would
 * break the JSON: they become `'` and `/`; controls become spaces; then the text is cut to
 * {@link MAX_STUDIO_PARAM_ENCODED} encoded characters and marked.
 */
export function studioSafeAgentMessage(text: string): string | undefined {
  const t = withoutControls(text).replace(/"/g, "'").replace(/\\/g, '/');
  return t ? truncateMarked(t, MAX_STUDIO_PARAM_ENCODED, (s) => encodeURIComponent(s).length) : undefined;
}

type DynamoModule = typeof import('@aws-sdk/client-dynamodb');
const DYNAMO_MODULE = '@aws-sdk/client-dynamodb';

async function loadDynamo(): Promise<DynamoModule> {
  // A require() by variable is not followed by esbuild (see module doc); tsx (ESM) imports by name.
  if (typeof require === 'function') return require(DYNAMO_MODULE) as DynamoModule;
  return (await import(/* @vite-ignore */ DYNAMO_MODULE)) as DynamoModule;
}

/** A reader over the state table; the client is made on first use and kept for the container. */
export function dynamoAgentMessageReader(o: SessionTableOptions): AgentMessageReader {
  let client: InstanceType<DynamoModule['DynamoDBClient']> | undefined;
  return async (key) => {
    const { DynamoDBClient, GetItemCommand } = await loadDynamo();
    client ??= new DynamoDBClient({ region: o.region, ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
    const r = await client.send(
      new GetItemCommand({
        TableName: o.table,
        Key: { pk: { S: `session#${key}` }, sk: { S: 'meta' } },
        ProjectionExpression: 'messageToHumanAgent',
        ConsistentRead: true,
      }),
      { abortSignal: AbortSignal.timeout(o.timeoutMs) },
    );
    const v = r.Item?.messageToHumanAgent?.S;
    return v || undefined;
  };
}
