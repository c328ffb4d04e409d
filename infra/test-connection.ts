/**
 * "Test connection" from the command line (the button next to the credentials in
 * https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-amazon-connect and https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-nicecxone): `tsx infra/test-connection.ts --vendor amazon_connect|nice_cxone|twilio_flex`.
 * Makes one cheap authenticated read with the configured credentials — Amazon Connect
 * DescribeInstance, a CXone access-key token, a Twilio Account fetch — and prints
 * `valid: <reason>` or `invalid: <reason>` (no secrets). Exit code 0 valid, 1 invalid, 2 usage
 * or configuration error. Settings come from the same environment variables as the functions.
 */
import { parseArgs } from 'node:util';
import type { ConnectionCheck } from '../adapters/types.ts';
import { VENDORS } from '../adapters/registry.ts';

/** The vendors with a check (their descriptor's checkConnection). */
export const TESTABLE: readonly string[] = VENDORS.filter((v) => 'checkConnection' in v).map((v) => v.id);

/** Runs the check for `vendor` with settings from `env`. @throws ConfigError when settings are missing; Error for a vendor without a check. */
export async function checkVendor(vendor: string, env: Record<string, string | undefined> = process.env): Promise<ConnectionCheck> {
  const d = VENDORS.find((v) => v.id === vendor);
  if (!d || !('checkConnection' in d) || !d.checkConnection) throw new Error(`no connection check for ${vendor}`);
  return d.checkConnection(env);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { vendor: { type: 'string' } } });
  const vendor = values.vendor;
  if (!vendor || !TESTABLE.includes(vendor)) {
    console.error(`usage: tsx infra/test-connection.ts --vendor ${TESTABLE.join('|')}`);
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
