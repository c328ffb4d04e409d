/**
 * Amazon Connect adapter settings (environment variables, validated once with lib/env.ts).
 *
 * | variable                         | meaning                                                   |
 * |----------------------------------|-----------------------------------------------------------|
 * | AWS_REGION                       | region of the Connect instance (default us-east-1)        |
 * | AMAZON_CONNECT_ENDPOINT          | endpoint override (the local sandbox, http://127.0.0.1:4010) |
 * | AMAZON_CONNECT_INSTANCE_ID       | instance for "Test connection" (DescribeInstance)         |
 * | OUTCOME_DEADLINE_MS              | budget of one outcome, retries included (default 3000 ms) |
 * | AGENT_SCREEN_POP_BASE_URL        | base URL of the agent screen pop (functions/agent)        |
 * | CONTACT_REGISTRATION_TTL_SECONDS | how long a flow-registered contact stays findable (600 s) |
 *
 * Credentials come from the default AWS chain (the Lambda role in AWS; AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY locally, fake values for the sandbox).
 */
import { z } from 'zod';
import { loadEnv } from '../../lib/env.ts';

export const AmazonConnectConfigSchema = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AMAZON_CONNECT_ENDPOINT: z.url().optional(),
  AMAZON_CONNECT_INSTANCE_ID: z.string().min(1).max(100).optional(),
  OUTCOME_DEADLINE_MS: z.coerce.number().int().min(100).max(30_000).default(3000),
  AGENT_SCREEN_POP_BASE_URL: z.url().optional(),
  CONTACT_REGISTRATION_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(600),
});
export type AmazonConnectConfig = z.infer<typeof AmazonConnectConfigSchema>;

/** @throws ConfigError naming each malformed variable. */
export function loadAmazonConnectConfig(env: Record<string, string | undefined> = process.env): AmazonConnectConfig {
  return loadEnv(AmazonConnectConfigSchema, env);
}
