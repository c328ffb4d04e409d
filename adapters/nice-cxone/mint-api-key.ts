/**
 * The API key the CXone script's REST actions present in `x-api-key` (the contact-token mint
 * and the screen-pop link endpoints share it): CXONE_MINT_API_KEY locally, else the SSM
 * SecureString named by CXONE_MINT_API_KEY_PARAM (Powertools getParameter, cached 5 min).
 * Never logged; errors name the variable only.
 */
import { readSecureParameter } from '../common/ssm.ts';

/**
 * @returns the expected API key.
 * @throws Error when neither variable is set; SSM errors as thrown.
 */
export async function mintApiKey(env: Record<string, string | undefined> = process.env): Promise<string> {
  if (env.CXONE_MINT_API_KEY) return env.CXONE_MINT_API_KEY;
  if (env.CXONE_MINT_API_KEY_PARAM) return readSecureParameter(env.CXONE_MINT_API_KEY_PARAM);
  throw new Error('set CXONE_MINT_API_KEY (local) or CXONE_MINT_API_KEY_PARAM (SSM SecureString)');
}

/** The `x-api-key` header of an API Gateway event, whatever its case. */
export function apiKeyHeader(headers: Record<string, string | undefined> | undefined): string | undefined {
  const h = headers ?? {};
  return h['x-api-key'] ?? Object.entries(h).find(([k]) => k.toLowerCase() === 'x-api-key')?.[1];
}
