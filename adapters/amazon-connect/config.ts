/**
 * Amazon Connect adapter settings (environment variables, validated once with lib/env.ts).
 *
 * | variable                         | meaning                                                   |
 * |----------------------------------|-----------------------------------------------------------|
 * | AWS_REGION                       | region of the Connect instance (default us-east-1)        |
 * | AMAZON_CONNECT_ENDPOINT          | endpoint override (the local sandbox, http://127.0.0.1:4010) |
 * | AMAZON_CONNECT_INSTANCE_ID       | instance for "Test connection" (DescribeInstance)         |
 * | OUTCOME_DEADLINE_MS              | budget of one outcome, retries included (default 3000 ms) |
 * | FUNCTION_TIMEOUT_MS              | the function's own timeout; the idempotency lease is at least this (6000 ms) |
 * | AGENT_SCREEN_POP_BASE_URL        | base URL of the agent screen pop (functions/agent)        |
 * | CONTACT_REGISTRATION_TTL_SECONDS | how long a flow-registered contact stays findable (600 s) |
 * | CONTACT_TOKEN_TTL_SECONDS        | lifetime of the contact token the flow function mints (120 s, at most 900) |
 * | CONTACT_TOKEN_SECRET / _PARAM    | the token secret, or its SSM SecureString (adapters/common/contact-token-secret.ts) |
 * | AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE | contact attribute for message_to_human_agent (MessageToHumanAgent) |
 * | AMAZON_CONNECT_AGENT_MESSAGE_MAX_BYTES | its longest value, UTF-8 bytes (1024; cut and marked beyond) |
 *
 * Credentials come from the default AWS chain (the Lambda role in AWS; AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY locally, fake values for the sandbox).
 */
// zod/mini: the classic build cannot be tree-shaken and would add ~450 KB to the contact-flow
// function's bundle (which has no other use for zod); mini adds a few KB.
import * as z from 'zod/mini';
import { loadEnv } from '../../lib/env.ts';

const int = (lo: number, hi: number, def: number) =>
  z._default(z.coerce.number().check(z.gte(lo), z.lte(hi), z.refine(Number.isInteger, 'must be an integer')), def);

export const AmazonConnectConfigSchema = z.object({
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'us-east-1'),
  AMAZON_CONNECT_ENDPOINT: z.optional(z.url()),
  AMAZON_CONNECT_INSTANCE_ID: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  OUTCOME_DEADLINE_MS: int(100, 30_000, 3000),
  FUNCTION_TIMEOUT_MS: int(1000, 900_000, 6000),
  AGENT_SCREEN_POP_BASE_URL: z.optional(z.url()),
  CONTACT_REGISTRATION_TTL_SECONDS: int(10, 86_400, 600),
  CONTACT_TOKEN_TTL_SECONDS: int(10, 900, 120),
  AMAZON_CONNECT_AGENT_MESSAGE_ATTRIBUTE: z._default(
    z.string().check(z.regex(/^[A-Za-z0-9_-]{1,127}$/, 'letters, digits, - and _, at most 127'), z.refine((v) => v !== 'SessionHistoryKey', 'SessionHistoryKey is the integration\'s')),
    'MessageToHumanAgent',
  ),
  AMAZON_CONNECT_AGENT_MESSAGE_MAX_BYTES: int(32, 32_767, 1024),
});
export type AmazonConnectConfig = z.infer<typeof AmazonConnectConfigSchema>;

/** @throws ConfigError naming each malformed variable. */
export function loadAmazonConnectConfig(env: Record<string, string | undefined> = process.env): AmazonConnectConfig {
  return loadEnv(AmazonConnectConfigSchema, env);
}
