/**
 * "Test connection" for NICE CXone (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-nicecxone): obtains a token with the access key (the
 * cheapest authenticated step). The reason names the failure without secrets.
 */
import type { ConnectionCheck } from '../types.ts';
import { rejectionFor } from '../common/classify.ts';
import { createCxoneApi, type CxoneApi } from './client.ts';
import { loadNiceCxoneConfig } from './config.ts';

/** Valid when a token and the API endpoint are obtained within `timeoutMs` (default 5000 ms). */
export async function testConnection(api: CxoneApi, timeoutMs = 5000): Promise<ConnectionCheck> {
  const vendor = 'nice_cxone';
  try {
    await api.checkToken(AbortSignal.timeout(timeoutMs));
    return { vendor, valid: true, reason: 'access key accepted; API endpoint discovered' };
  } catch (err) {
    const { reason, message } = rejectionFor(err);
    return { vendor, valid: false, reason: `${reason === 'auth_failed' ? 'credentials refused' : 'token request failed'}: ${message}` };
  }
}

/** The check with the functions' settings from `env`. @throws ConfigError */
export function checkConnection(env: Record<string, string | undefined>): Promise<ConnectionCheck> {
  return testConnection(createCxoneApi(loadNiceCxoneConfig(env)));
}
