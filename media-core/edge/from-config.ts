/**
 * The edge's access options from the media core's configuration file: per-integration
 * allowlists, TLS-only and digest (password read from the environment variable the file
 * names), plus the top-level `sip` settings (trusted proxies, rate limits).
 */
import { ConfigError } from '../../lib/env.ts';
import type { MediaCoreConfig } from '../config/schema.ts';
import type { SipAccessOptions } from './access-policy.ts';
import { SourceSet } from './source-set.ts';

/**
 * @throws ConfigError when a digest password variable is unset or empty, or a CIDR is malformed.
 */
export function accessOptionsFromConfig(config: MediaCoreConfig, env: NodeJS.ProcessEnv): SipAccessOptions {
  const integrations = config.integrations.map((i, n) => {
    try {
      new SourceSet(i.access.allow);
    } catch (err) {
      throw new ConfigError([`integrations.${n}.access.allow`], (err as Error).message);
    }
    const d = i.access.digest;
    let digest: SipAccessOptions['integrations'][number]['digest'];
    if (d) {
      const password = env[d.passwordEnv];
      if (!password) throw new ConfigError([d.passwordEnv], `${d.passwordEnv}: unset, and integrations.${n}.access.digest names it as the digest password of ${i.number}`);
      digest = { realm: d.realm, username: d.username, password, algorithms: d.algorithms };
    }
    return { number: i.number, allow: i.access.allow, tlsOnly: i.access.tlsOnly, digest };
  });
  const proxies = config.sip.trustedProxies;
  if (proxies?.length) {
    try {
      new SourceSet(proxies);
    } catch (err) {
      throw new ConfigError(['sip.trustedProxies'], (err as Error).message);
    }
  }
  return {
    integrations,
    trustedProxies: proxies?.length ? proxies : undefined,
    rateLimit: config.sip.rateLimit,
    inviteRateLimit: config.sip.inviteRateLimit,
  };
}
