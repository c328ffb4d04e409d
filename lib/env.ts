/**
 * Configuration from environment variables, validated once (at cold start for Lambda
 * handlers, at boot for the media core) with zod.
 *
 * A missing or malformed value throws {@link ConfigError} whose message names each
 * offending variable, so a deployment mistake reads as "TWILIO_AUTH_TOKEN: required"
 * rather than as a stack trace from deep inside a handler.
 */
// zod's core, shared by classic zod and zod/mini: one loadEnv types and parses both, so
// callers need no casts, and a zod/mini bundle does not pull in classic zod.
import { safeParse, type $ZodObject, type output } from 'zod/v4/core';

/** Thrown when configuration does not validate. `variables` lists the offending names. */
export class ConfigError extends Error {
  constructor(readonly variables: string[], detail: string) {
    super(`invalid configuration: ${detail}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` (default process.env) with `schema` (a classic zod or zod/mini object, refined
 * or not), whose keys are variable names. An empty value counts as unset.
 * @returns the schema's output type.
 * @throws ConfigError naming every variable that is missing or malformed.
 */
export function loadEnv<S extends $ZodObject>(schema: S, env: Record<string, string | undefined> = process.env): output<S> {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema._zod.def.shape)) {
    const v = env[key];
    picked[key] = v === '' ? undefined : v;
  }
  const result = safeParse(schema, picked);
  if (result.success) return result.data;
  const names = [...new Set(result.error.issues.map((i) => String(i.path[0] ?? '?')))];
  const detail = result.error.issues
    .map((i) => `${String(i.path[0] ?? '?')}: ${i.message === 'Invalid input: expected string, received undefined' ? 'required' : i.message}`)
    .join('; ');
  throw new ConfigError(names, detail);
}
