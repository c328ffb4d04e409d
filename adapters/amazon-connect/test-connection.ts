/**
 * "Test connection" for Amazon Connect (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-amazon-connect): a cheap authenticated read,
 * DescribeInstance of the configured instance. Valid when the instance answers; the reason
 * names the failure without secrets.
 */
import type { ConnectionCheck } from '../types.ts';
import { rejectionFor } from '../common/classify.ts';
import { connectApi, createConnectSdkClient, type ConnectApi } from './client.ts';
import { loadAmazonConnectConfig } from './config.ts';

/** Checks credentials and instance; times out after `timeoutMs` (default 5000 ms). */
export async function testConnection(api: ConnectApi, instanceId: string | undefined, timeoutMs = 5000): Promise<ConnectionCheck> {
  const vendor = 'amazon_connect';
  if (!instanceId) return { vendor, valid: false, reason: 'AMAZON_CONNECT_INSTANCE_ID is not set' };
  try {
    const status = await api.describeInstance(instanceId, AbortSignal.timeout(timeoutMs));
    return { vendor, valid: true, reason: `instance ${instanceId} is ${status ?? 'reachable'}` };
  } catch (err) {
    const { reason, message } = rejectionFor(err);
    return { vendor, valid: false, reason: `${reason === 'auth_failed' ? 'credentials refused' : 'DescribeInstance failed'}: ${message}` };
  }
}

/** The check with the functions' settings from `env`. @throws ConfigError */
export function checkConnection(env: Record<string, string | undefined>): Promise<ConnectionCheck> {
  const c = loadAmazonConnectConfig(env);
  return testConnection(connectApi(createConnectSdkClient(c)), c.AMAZON_CONNECT_INSTANCE_ID);
}
