/**
 * The vendor registry (adapters/registry.ts): one descriptor per id, each settings schema
 * selects its own vendor, and the registry stays pure: bundled the way the media core is
 * (media-core/Dockerfile, esbuild with packages external), it imports no vendor SDK client;
 * the apply step and the connection check load only when called.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { VENDORS, VendorSettings, vendorOf } from '../../adapters/registry.ts';

test('ids are unique and each settings schema is picked by its own vendor id', () => {
  assert.equal(new Set(VENDORS.map((v) => v.id)).size, VENDORS.length);
  for (const v of VENDORS) assert.equal(vendorOf(v.id), v);
  assert.equal(VendorSettings.parse({ vendor: 'twilio_flex' }).vendor, 'twilio_flex');
  assert.equal(VendorSettings.safeParse({ vendor: 'genesys_cloud' }).success, false);
  for (const v of VENDORS) assert.ok(v.route === 'sip' ? 'sipTransfer' in v : 'findContact' in v && 'functionName' in v, `${v.id}: route ${v.route} has its hooks`);
});

test('bundled like the media core, the registry imports no vendor SDK client', async () => {
  const r = await build({ entryPoints: ['adapters/registry.ts'], bundle: true, platform: 'node', format: 'esm', packages: 'external', write: false, logLevel: 'silent' });
  const code = r.outputFiles[0]!.text;
  for (const sdk of ['@aws-sdk/client-connect', 'axios', '@aws-sdk/client-ssm']) assert.ok(!code.includes(`"${sdk}"`), `${sdk} in the registry bundle`);
});

test('the apply step loads lazily when asked and answers a malformed outcome with a reply', async () => {
  for (const id of ['amazon_connect', 'nice_cxone'] as const) {
    const applier = await vendorOf(id).loadApplier!({ AWS_REGION: 'us-east-1', CXONE_ISSUER_URL: 'http://127.0.0.1:9', CXONE_CLIENT_ID: 'c', CXONE_ACCESS_KEY_ID: 'k', CXONE_ACCESS_KEY_SECRET: 's', CXONE_CLIENT_SECRET: 's' });
    const reply = await applier.apply({ not: 'an outcome' }, { store: undefined as never, startedAt: Date.now() });
    assert.equal(reply.status, 'rejected', id);
    assert.equal(reply.status === 'rejected' && reply.reason, 'invalid_outcome', id);
  }
});
