/**
 * Configuration from environment variables, validated once (at cold start for Lambda
 * handlers, at boot for the media core) with zod.
 *
 * A missing or malformed value throws {@link ConfigError} whose message names each
 * offending variable, so a deployment mistake reads as "TWILIO_AUTH_TOKEN: required"
 * rather than as a stack trace from deep inside a handler.
 */
import type { z } from 'zod';

/** Thrown when configuration does not validate. `variables` lists the offending names. */
export class ConfigError extends Error {
  constructor(readonly variables: string[], detail: string) {
    super(`invalid configuration: ${detail}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` (default process.env) with `schema`, whose keys are variable names.
 * @throws ConfigError naming every variable that is missing or malformed.
 */
export function loadEnv<S extends z.ZodObject<z.ZodRawShape>>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    picked[key] = v === '' ? undefined : v;
  }
  const result = schema.safeParse(picked);
  if (result.success) return result.data;
  const names = [...new Set(result.error.issues.map((i) => String(i.path[0] ?? '?')))];
  const detail = result.error.issues
    .map((i) => `${String(i.path[0] ?? '?')}: ${i.message === 'Invalid input: expected string, received undefined' ? 'required' : i.message}`)
    .join('; ');
  throw new ConfigError(names, detail);
}
