/**
 * NICE CXone adapter settings (environment variables, validated once with lib/env.ts).
 *
 * | variable                      | meaning                                                        |
 * |-------------------------------|----------------------------------------------------------------|
 * | CXONE_ISSUER_URL              | OpenID issuer, e.g. https://cxone.niceincontact.com (the sandbox locally) |
 * | CXONE_CLIENT_ID               | the registered application's client id (HTTP Basic user)       |
 * | CXONE_CLIENT_SECRET           | its client secret, locally; in AWS use the SSM parameter below |
 * | CXONE_CLIENT_SECRET_PARAM     | SSM SecureString name holding the client secret                |
 * | CXONE_ACCESS_KEY_ID           | the user's access key id (password grant username)             |
 * | CXONE_ACCESS_KEY_SECRET       | its secret, locally; in AWS use the SSM parameter below        |
 * | CXONE_ACCESS_KEY_SECRET_PARAM | SSM SecureString name holding the secret (Powertools parameters) |
 * | CXONE_API_VERSION             | Admin API version in /inContactAPI/services/v{N}/ (default 31.0) |
 * | OUTCOME_DEADLINE_MS           | budget of one outcome, retries included (default 3000 ms)      |
 * | FUNCTION_TIMEOUT_MS           | the function's own timeout; the idempotency lease is at least this (default 6000 ms) |
 * | CXONE_AGENT_MESSAGE_PARAM     | signal slot (p2..p9) for message_to_human_agent; unset: none (the PopURL screen pop shows it anyway) |
 * | CXONE_CUSTOM_DATA_PARAMS      | slots the assistant's custom_data may use, comma-separated (default p2,...,p9) |
 * | CXONE_AGENT_MESSAGE_MAX_CHARS | longest value of the message slot (default 500; cut and marked beyond) |
 *
 * p2..p9 are the assistant's (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-nicecxone): a message slot that is still among
 * CXONE_CUSTOM_DATA_PARAMS is refused here, at configuration time, rather than silently
 * overwriting custom_data on some call. To use p9 for the message, set
 * CXONE_CUSTOM_DATA_PARAMS=p2,p3,p4,p5,p6,p7,p8 as well.
 */
import { z } from 'zod';
import { loadEnv } from '../../lib/env.ts';
import { readSecureParameter } from '../common/ssm.ts';

export const NiceCxoneConfigSchema = z
  .object({
    CXONE_ISSUER_URL: z.url(),
    CXONE_CLIENT_ID: z.string().min(1),
    CXONE_CLIENT_SECRET: z.string().min(1).optional(),
    CXONE_CLIENT_SECRET_PARAM: z.string().min(1).optional(),
    CXONE_ACCESS_KEY_ID: z.string().min(1),
    CXONE_ACCESS_KEY_SECRET: z.string().min(1).optional(),
    CXONE_ACCESS_KEY_SECRET_PARAM: z.string().min(1).optional(),
    CXONE_API_VERSION: z.string().regex(/^\d+\.\d+$/, 'like 31.0').default('31.0'),
    OUTCOME_DEADLINE_MS: z.coerce.number().int().min(100).max(30_000).default(3000),
    FUNCTION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(900_000).default(6000),
    CXONE_AGENT_MESSAGE_PARAM: z.enum(['p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'], { error: 'must be one of p2..p9 (p1 is the session history key)' }).optional(),
    CXONE_CUSTOM_DATA_PARAMS: z
      .string()
      .regex(/^p[2-9](,p[2-9])*$/, 'comma-separated slots among p2..p9')
      .default('p2,p3,p4,p5,p6,p7,p8,p9')
      .transform((v) => [...new Set(v.split(','))] as ('p2' | 'p3' | 'p4' | 'p5' | 'p6' | 'p7' | 'p8' | 'p9')[]),
    CXONE_AGENT_MESSAGE_MAX_CHARS: z.coerce.number().int().min(16).max(2000).default(500),
  })
  .refine((c) => !c.CXONE_AGENT_MESSAGE_PARAM || !c.CXONE_CUSTOM_DATA_PARAMS.includes(c.CXONE_AGENT_MESSAGE_PARAM), {
    path: ['CXONE_AGENT_MESSAGE_PARAM'],
    message: 'collides with custom_data: that slot is among CXONE_CUSTOM_DATA_PARAMS (p2..p9 are the assistant\'s unless you take one out there)',
  })
  .refine((c) => c.CXONE_ACCESS_KEY_SECRET || c.CXONE_ACCESS_KEY_SECRET_PARAM, {
    path: ['CXONE_ACCESS_KEY_SECRET'],
    message: 'set CXONE_ACCESS_KEY_SECRET (local) or CXONE_ACCESS_KEY_SECRET_PARAM (SSM)',
  })
  .refine((c) => c.CXONE_CLIENT_SECRET || c.CXONE_CLIENT_SECRET_PARAM, {
    path: ['CXONE_CLIENT_SECRET'],
    message: 'set CXONE_CLIENT_SECRET (local) or CXONE_CLIENT_SECRET_PARAM (SSM)',
  });
export type NiceCxoneConfig = z.infer<typeof NiceCxoneConfigSchema>;

/** @throws ConfigError naming each malformed variable. */
export function loadNiceCxoneConfig(env: Record<string, string | undefined> = process.env): NiceCxoneConfig {
  return loadEnv(NiceCxoneConfigSchema, env);
}

/**
 * Returns a loader of the access key secret: the env value when set, else the SSM
 * SecureString (decrypted, cached 5 min by Powertools; adapters/common/ssm.ts keeps the SSM
 * client out of the bundle and the cold start).
 */
export function accessKeySecretLoader(config: NiceCxoneConfig): () => Promise<string> {
  if (config.CXONE_ACCESS_KEY_SECRET) {
    const secret = config.CXONE_ACCESS_KEY_SECRET;
    return async () => secret;
  }
  const name = config.CXONE_ACCESS_KEY_SECRET_PARAM!;
  return () => readSecureParameter(name);
}

/** Loader of the client secret: the env value when set, else the SSM SecureString (as {@link accessKeySecretLoader}). */
export function clientSecretLoader(config: NiceCxoneConfig): () => Promise<string> {
  if (config.CXONE_CLIENT_SECRET) {
    const secret = config.CXONE_CLIENT_SECRET;
    return async () => secret;
  }
  const name = config.CXONE_CLIENT_SECRET_PARAM!;
  return () => readSecureParameter(name);
}
