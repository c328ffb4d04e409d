/**
 * The "Test connection" check for Twilio: an authenticated Account fetch, the cheapest read
 * the Twilio REST API has. Valid when the account answers and is active.
 */
import type { ConnectionCheck } from '../types.ts';
import { resolveAuthToken } from './auth-token.ts';
import { createTwilioClient, type TwilioClient } from './client.ts';
import { loadTwilioRestConfig } from './config.ts';
import { TwilioApiError } from './errors.ts';

/** Never throws; `reason` is safe to show (Twilio's code and message, no credentials). */
export async function testConnection(client: TwilioClient): Promise<ConnectionCheck> {
  try {
    const account = await client.fetchAccount();
    if (account.status !== 'active') return { vendor: 'twilio', valid: false, reason: `account ${account.sid} is ${account.status}` };
    return { vendor: 'twilio', valid: true, reason: `account ${account.sid} (${account.friendly_name}) is active` };
  } catch (err) {
    if (err instanceof TwilioApiError && (err.status === 401 || err.status === 403)) {
      return { vendor: 'twilio', valid: false, reason: `credentials refused: ${err.message}` };
    }
    return { vendor: 'twilio', valid: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** The check with the REST settings from `env` (the auth token may come from SSM). @throws ConfigError */
export async function checkConnection(env: Record<string, string | undefined>): Promise<ConnectionCheck> {
  const c = loadTwilioRestConfig(env);
  return testConnection(createTwilioClient({ accountSid: c.accountSid, authToken: await resolveAuthToken(c.authToken), baseUrl: c.apiBaseUrl }));
}
