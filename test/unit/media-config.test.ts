import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigFile, parseConfig } from '../../media-core/config/load.ts';
import { ConfigError } from '../../lib/env.ts';

test('the production example requires SRTP with SDES over TLS only, refuses loopback media and times out silent calls after 60 s', () => {
  const { config } = loadConfigFile('media-core/config/production.example.json');
  assert.deepEqual(config.media, { rtpTimeoutMs: 60_000, learningWindowMs: 10_000, allowLoopbackMedia: false });
  for (const i of config.integrations) {
    assert.equal(i.media.srtp, 'required');
    assert.equal(i.media.sdesOverTlsOnly, true);
  }
});

test('the local demo allows loopback media and SDES over UDP; defaults are the strict ones', () => {
  const demo = loadConfigFile('media-core/config/demo.json').config;
  assert.equal(demo.media.allowLoopbackMedia, true);
  assert.ok(demo.integrations.every((i) => i.media.sdesOverTlsOnly === false));
  const raw = JSON.parse(JSON.stringify({ ...demo, media: undefined, integrations: demo.integrations.map((i) => ({ ...i, media: undefined })) }));
  const bare = parseConfig(raw, '.').config;
  assert.deepEqual(bare.media, { rtpTimeoutMs: 60_000, learningWindowMs: 10_000, allowLoopbackMedia: false });
  assert.deepEqual(bare.integrations[0]!.media, { srtp: 'optional', sdesOverTlsOnly: true, trustedCidrs: [] });
});

test('trusted media CIDRs must be IPv4 CIDRs; the SRTP policy one of required | optional | off', () => {
  const demo = loadConfigFile('media-core/config/demo.json').config;
  for (const media of [{ trustedCidrs: ['10.0.0.0/33'] }, { trustedCidrs: ['10.0.0.1'] }, { trustedCidrs: ['host/8'] }, { srtp: 'sometimes' }]) {
    const raw = { ...demo, integrations: [{ ...demo.integrations[0], media }] };
    assert.throws(() => parseConfig(raw, '.'), (e: unknown) => e instanceof ConfigError && /integrations\.0\.media/.test(e.message), JSON.stringify(media));
  }
  const ok = parseConfig({ ...demo, integrations: [{ ...demo.integrations[0], media: { trustedCidrs: ['203.0.113.0/24', '198.51.100.7/32'] } }] }, '.');
  assert.deepEqual(ok.config.integrations[0]!.media.trustedCidrs, ['203.0.113.0/24', '198.51.100.7/32']);
});
