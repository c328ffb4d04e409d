/**
 * Where the contact token secret (lib/contact-token.ts) comes from, for every side that mints
 * or verifies: the Amazon Connect flow function, the CXone mint function and the media core.
 *
 * | variable                    | meaning                                                      |
 * |-----------------------------|--------------------------------------------------------------|
 * | CONTACT_TOKEN_SECRET        | the secret itself, locally (>= 32 bytes; the local stack generates one per run) |
 * | CONTACT_TOKEN_SECRET_PARAM  | in AWS: the SSM SecureString holding it (Powertools getParameter, decrypted, cached 5 min) |
 *
 * The value is never logged; errors name the variable or parameter only.
 */
import { MIN_SECRET_BYTES } from '../../lib/contact-token.ts';
import { readSecureParameter } from './ssm.ts';

/** Thrown when neither variable is set or the secret is too short. */
export class ContactTokenSecretError extends Error {
  override name = 'ContactTokenSecretError';
}

/**
 * Returns a loader of the secret: the env value when set, else the SSM parameter.
 * @throws ContactTokenSecretError when neither is configured (at load time) or the value is shorter than 32 bytes (at call time).
 */
export function contactTokenSecretLoader(env: Record<string, string | undefined> = process.env): () => Promise<string> {
  const direct = env.CONTACT_TOKEN_SECRET;
  const param = env.CONTACT_TOKEN_SECRET_PARAM;
  const check = (v: string, from: string) => {
    if (Buffer.byteLength(v, 'utf8') < MIN_SECRET_BYTES) throw new ContactTokenSecretError(`${from} must hold at least ${MIN_SECRET_BYTES} bytes`);
    return v;
  };
  if (direct) {
    const v = check(direct, 'CONTACT_TOKEN_SECRET');
    return async () => v;
  }
  if (param) return async () => check(await readSecureParameter(param), `SSM parameter ${param}`);
  throw new ContactTokenSecretError('set CONTACT_TOKEN_SECRET (local) or CONTACT_TOKEN_SECRET_PARAM (SSM SecureString)');
}
