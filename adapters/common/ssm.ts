/**
 * Reads one decrypted SSM SecureString with Powertools getParameter (cached 5 min), loading
 * Powertools only on first use. In the Lambda bundle (esbuild ESM with the banner-defined
 * `require`) the literal require() takes the package's CommonJS build, whose
 * `@aws-sdk/client-ssm` import stays a lazy require served by the Lambda runtime
 * (serverless.yml marks it external): no weight on the bundle nor on cold start. Under tsx
 * (ESM, no `require`) it is imported by name. Same approach as adapters/twilio/auth-token.ts.
 */
type SsmModule = typeof import('@aws-lambda-powertools/parameters/ssm');
const SSM_MODULE = '@aws-lambda-powertools/parameters/ssm';

async function loadSsm(): Promise<SsmModule> {
  if (typeof require === 'function') return require('@aws-lambda-powertools/parameters/ssm') as SsmModule;
  return (await import(/* @vite-ignore */ SSM_MODULE)) as SsmModule;
}

/**
 * @returns the parameter's decrypted value.
 * @throws Error naming the parameter (never its value) when it is empty; SSM errors as thrown.
 */
export async function readSecureParameter(name: string): Promise<string> {
  const { getParameter } = await loadSsm();
  const value = await getParameter(name, { decrypt: true, maxAge: 300 });
  if (!value) throw new Error(`SSM parameter ${name} is empty or missing`);
  return value;
}
