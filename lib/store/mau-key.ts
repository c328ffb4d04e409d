/**
 * The secret key of the monthly-active-user hash (./mau.ts, HMAC-MD5 per RFC 2104).
 *
 * | variable            | meaning                                                          |
 * |---------------------|------------------------------------------------------------------|
 * | MAU_HASH_KEY_PARAM  | SSM Parameter Store SecureString holding the key (AWS), e.g. /open-phone-integration/prod/mau/hash-key |
 * | MAU_HASH_KEY        | the key itself (local runs and tests; wins over the parameter)    |
 *
 * Neither set: no key, plain MD5 as the hosted product (with a warning from the caller).
 * The key is at least 16 bytes: shorter keys are refused, since a short key can be guessed
 * together with the numbers.
 */
import { ConfigError } from '../env.ts';

/** Shortest accepted key, bytes (UTF-8). RFC 2104 section 3 advises at least the digest length (16 for MD5). */
export const MIN_MAU_KEY_BYTES = 16;

/** Reads one decrypted SSM SecureString (Powertools getParameter); replaced in tests. */
export type SecureParameterReader = (name: string) => Promise<string | undefined>;

const SSM_MODULE = '@aws-lambda-powertools/parameters/ssm';

/** Powertools' getParameter, loaded only when a key must come from SSM. */
export const readSsmSecureString: SecureParameterReader = async (name) => {
  const { getParameter } = (await import(/* @vite-ignore */ SSM_MODULE)) as typeof import('@aws-lambda-powertools/parameters/ssm');
  return getParameter(name, { decrypt: true });
};

/**
 * @returns the key, or undefined when neither variable is set.
 * @throws ConfigError naming the variable (never the value) when the key is shorter than
 *   {@link MIN_MAU_KEY_BYTES} or the parameter is empty; SSM errors as thrown.
 */
export async function loadMauHashKey(env: Record<string, string | undefined> = process.env, read: SecureParameterReader = readSsmSecureString): Promise<Buffer | undefined> {
  let value: string | undefined;
  let from: string;
  if (env.MAU_HASH_KEY) {
    value = env.MAU_HASH_KEY;
    from = 'MAU_HASH_KEY';
  } else if (env.MAU_HASH_KEY_PARAM) {
    from = 'MAU_HASH_KEY_PARAM';
    value = await read(env.MAU_HASH_KEY_PARAM);
    if (!value) throw new ConfigError([from], `${from}: SSM parameter ${env.MAU_HASH_KEY_PARAM} is empty or missing`);
  } else {
    return undefined;
  }
  const key = Buffer.from(value, 'utf8');
  if (key.length < MIN_MAU_KEY_BYTES) throw new ConfigError([from], `${from}: the MAU hash key must be at least ${MIN_MAU_KEY_BYTES} bytes`);
  return key;
}
