/**
 * Fake credentials and settings of the contact-center sandboxes. Nothing secret lives in
 * code: values come from SANDBOX_* environment variables (the local stack passes its own
 * generated values; tests generate theirs) or are generated at start.
 *
 * | variable                           | meaning                                              |
 * |------------------------------------|------------------------------------------------------|
 * | SANDBOX_AWS_ACCESS_KEY_ID          | access key id the Connect sandbox accepts in SigV4 (any when unset) |
 * | SANDBOX_CONNECT_INSTANCE_IDS       | comma-separated instance ids that exist               |
 * | SANDBOX_CXONE_CLIENT_ID / _SECRET  | application client credentials (HTTP Basic)           |
 * | SANDBOX_CXONE_ACCESS_KEY_ID / _SECRET | the user's access key                              |
 * | SANDBOX_CXONE_TENANT_ID            | tenant id put in the id_token                         |
 * | SANDBOX_CXONE_TOKEN_LIFETIME_S     | real validity of issued tokens (default 3600 s)       |
 * | SANDBOX_CXONE_EXPIRES_IN_S         | expires_in advertised (default: the lifetime)         |
 * | SANDBOX_TWILIO_ACCOUNT_SID / _AUTH_TOKEN | the only Twilio account the Messages sandbox accepts |
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface SandboxCredentials {
  connect: {
    /** Access key id required in the SigV4 Credential; undefined = any well-formed one. */
    accessKeyId?: string;
    instanceIds: string[];
  };
  cxone: {
    clientId: string;
    clientSecret: string;
    accessKeyId: string;
    accessKeySecret: string;
    tenantId: string;
    /** Real token validity in s. */
    tokenLifetimeSeconds: number;
    /** expires_in sent to the client in s (may differ from the real validity, for expiry tests). */
    expiresInSeconds: number;
  };
  twilio: {
    /** AC + 32 hex. */
    accountSid: string;
    authToken: string;
  };
}

const gen = (prefix: string) => `${prefix}-${randomBytes(9).toString('base64url')}`;

/** Reads SANDBOX_* variables; anything missing is generated (random, obviously fake). */
export function sandboxCredentialsFromEnv(env: Record<string, string | undefined> = process.env): SandboxCredentials {
  const lifetime = Number(env.SANDBOX_CXONE_TOKEN_LIFETIME_S || 3600);
  return {
    connect: {
      accessKeyId: env.SANDBOX_AWS_ACCESS_KEY_ID || undefined,
      instanceIds: (env.SANDBOX_CONNECT_INSTANCE_IDS || randomUUID()).split(',').map((s) => s.trim()).filter(Boolean),
    },
    cxone: {
      clientId: env.SANDBOX_CXONE_CLIENT_ID || gen('fake-client'),
      clientSecret: env.SANDBOX_CXONE_CLIENT_SECRET || gen('fake-client-secret'),
      accessKeyId: env.SANDBOX_CXONE_ACCESS_KEY_ID || gen('fake-key'),
      accessKeySecret: env.SANDBOX_CXONE_ACCESS_KEY_SECRET || gen('fake-key-secret'),
      tenantId: env.SANDBOX_CXONE_TENANT_ID || randomUUID(),
      tokenLifetimeSeconds: lifetime,
      expiresInSeconds: Number(env.SANDBOX_CXONE_EXPIRES_IN_S || lifetime),
    },
    twilio: {
      accountSid: env.SANDBOX_TWILIO_ACCOUNT_SID || `AC${randomBytes(16).toString('hex')}`,
      authToken: env.SANDBOX_TWILIO_AUTH_TOKEN || randomBytes(16).toString('hex'),
    },
  };
}
