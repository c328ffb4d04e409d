/**
 * The refer-handler's screen-pop settings: where the agent's signed link points and how it is
 * signed. Apart from ./config.ts so that receive-call, which shares that module, does not
 * carry them in its bundle.
 *
 * | variable | meaning |
 * |---|---|
 * | AGENT_SCREEN_POP_BASE_URL | base URL of the screen pop (GET /agent), or the page URL itself; default PUBLIC_BASE_URL (the same HTTP API serves /agent) |
 * | SCREEN_POP_SECRET / SCREEN_POP_SECRET_PARAM | the links' HMAC secret, local / SSM SecureString (adapters/agent-view/config.ts); neither: no ScreenPopUrl |
 * | SCREEN_POP_LINK_TTL_SECONDS | how long a link stays valid after the transfer, 60-86400 (3600) |
 */
import * as z from 'zod/mini';
import { loadEnv } from '../../lib/env.ts';
import { loadScreenPopEnv, type ScreenPopEnv } from '../agent-view/config.ts';
import { agentPageUrl } from '../agent-view/link.ts';
import type { ReferHandlerConfig } from './config.ts';

const BaseUrlEnv = z.object({
  AGENT_SCREEN_POP_BASE_URL: z.optional(z.string().check(z.regex(/^https?:\/\/[^\s/?#"\\]+[^\s"\\]*$/i, 'must be an http(s) URL'))),
});

/** How the refer-handler mints the link. */
export interface ReferScreenPopConfig {
  /** The GET /agent URL the link starts with. */
  pageUrl: string;
  settings: ScreenPopEnv;
}

/**
 * @param publicBaseUrl PUBLIC_BASE_URL, the default base
 * @returns undefined when no secret is configured (the flow then gets no ScreenPopUrl).
 * @throws ConfigError naming each malformed variable (a secret under 32 bytes, a bad URL or TTL).
 */
export function loadReferScreenPopConfig(publicBaseUrl: string, env: Record<string, string | undefined> = process.env): ReferScreenPopConfig | undefined {
  if (!env.SCREEN_POP_SECRET && !env.SCREEN_POP_SECRET_PARAM) return undefined;
  const base = loadEnv(BaseUrlEnv, env).AGENT_SCREEN_POP_BASE_URL ?? publicBaseUrl;
  return { pageUrl: agentPageUrl(base), settings: loadScreenPopEnv(env) };
}

/** The refer-handler's settings plus its screen-pop settings. @throws ConfigError as both loaders. */
export function loadReferHandlerWithScreenPop(loadBase: (env: Record<string, string | undefined>) => ReferHandlerConfig, env: Record<string, string | undefined> = process.env): ReferHandlerConfig & { screenPop?: ReferScreenPopConfig } {
  const config = loadBase(env);
  return { ...config, screenPop: loadReferScreenPopConfig(config.publicBaseUrl, env) };
}
