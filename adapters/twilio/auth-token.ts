/**
 * Resolves the Twilio auth token: the configured value, or the SSM SecureString parameter
 * read with Powertools getParameter (decrypted; Powertools caches it for 5 s by default and we
 * cache it for the container's life, since a rotated token means a redeploy).
 */
import type { AuthTokenSource } from './config.ts';

/** Reads one decrypted SSM parameter by name. */
export type ParameterFetcher = (name: string) => Promise<string | undefined>;

type SsmModule = typeof import('@aws-lambda-powertools/parameters/ssm');
const SSM_MODULE = '@aws-lambda-powertools/parameters/ssm';

/**
 * Loads Powertools' SSM module only when a token must come from SSM.
 * In the Lambda bundle (esbuild, banner-defined `require`) the literal require() picks the
 * package's CommonJS build, so its `@aws-sdk/client-ssm` import stays a lazy require served
 * by the Lambda runtime and neither weighs on the bundle nor on cold start. Under tsx (ESM,
 * no `require`) the package is imported by name.
 */
async function loadSsm(): Promise<SsmModule> {
  if (typeof require === 'function') return require('@aws-lambda-powertools/parameters/ssm') as SsmModule;
  return (await import(/* @vite-ignore */ SSM_MODULE)) as SsmModule;
}

/** Powertools getParameter with decrypt. @throws whatever the SSM client throws (AccessDenied, ParameterNotFound). */
export const fetchSsmParameter: ParameterFetcher = async (name) => {
  const { getParameter } = await loadSsm();
  return getParameter(name, { decrypt: true });
};

/**
 * @returns the auth token.
 * @throws Error naming the parameter (never its value) when SSM has no value for it.
 */
export async function resolveAuthToken(source: AuthTokenSource, fetch: ParameterFetcher = fetchSsmParameter): Promise<string> {
  if ('token' in source) return source.token;
  const value = await fetch(source.parameterName);
  if (!value) throw new Error(`TWILIO_AUTH_TOKEN_PARAM: SSM parameter ${source.parameterName} is empty or missing`);
  return value;
}
