/**
 * "Test connection" from the command line (the button next to the credentials in
 * https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-amazon-connect and https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-nicecxone): `tsx infra/test-connection.ts --vendor amazon_connect|nice_cxone|twilio`.
 * Makes one cheap authenticated read with the configured credentials — Amazon Connect
 * DescribeInstance, a CXone access-key token, a Twilio Account fetch — and prints
 * `valid: <reason>` or `invalid: <reason>` (no secrets). Exit code 0 valid, 1 invalid, 2 usage
 * or configuration error. Settings come from the same environment variables as the functions.
 */
import { parseArgs } from 'node:util';
import type { ConnectionCheck } from '../adapters/types.ts';
import { connectApi, createConnectSdkClient, loadAmazonConnectConfig, testConnection as testConnect } from '../adapters/amazon-connect/index.ts';
import { createCxoneApi, loadNiceCxoneConfig, testConnection as testCxone } from '../adapters/nice-cxone/index.ts';
import { createTwilioClient, loadTwilioRestConfig, resolveAuthToken, testConnection as testTwilio } from '../adapters/twilio/index.ts';

export const VENDORS = ['amazon_connect', 'nice_cxone', 'twilio'] as const;
export type TestVendor = (typeof VENDORS)[number];

/** Runs the check for `vendor` with settings from `env`. @throws ConfigError when settings are missing. */
export async function checkVendor(vendor: TestVendor, env: Record<string, string | undefined> = process.env): Promise<ConnectionCheck> {
  switch (vendor) {
    case 'amazon_connect': {
      const c = loadAmazonConnectConfig(env);
      return testConnect(connectApi(createConnectSdkClient(c)), c.AMAZON_CONNECT_INSTANCE_ID);
    }
    case 'nice_cxone':
      return testCxone(createCxoneApi(loadNiceCxoneConfig(env)));
    case 'twilio': {
      const c = loadTwilioRestConfig(env);
      const authToken = await resolveAuthToken(c.authToken);
      return testTwilio(createTwilioClient({ accountSid: c.accountSid, authToken, baseUrl: c.apiBaseUrl }));
    }
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { vendor: { type: 'string' } } });
  const vendor = values.vendor as TestVendor | undefined;
  if (!vendor || !VENDORS.includes(vendor)) {
    console.error(`usage: tsx infra/test-connection.ts --vendor ${VENDORS.join('|')}`);
    return 2;
  }
  try {
    const r = await checkVendor(vendor);
    console.log(`${r.valid ? 'valid' : 'invalid'}: ${r.reason}`);
    return r.valid ? 0 : 1;
  } catch (err) {
    console.error(`invalid: ${(err as Error).message}`);
    return 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main());
