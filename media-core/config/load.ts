/**
 * Loads and validates the media core's configuration file.
 * @throws ConfigError (lib/env.ts) naming the file and each offending path.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../../lib/env.ts';
import { MediaCoreConfig } from './schema.ts';

/** A validated config plus the directory relative paths in it resolve against. */
export interface LoadedConfig {
  config: MediaCoreConfig;
  baseDir: string;
}

/** Parses an already-read object (tests); `baseDir` resolves assistant files. */
export function parseConfig(raw: unknown, baseDir: string, source = 'config'): LoadedConfig {
  const r = MediaCoreConfig.safeParse(raw);
  if (!r.success) {
    const paths = r.error.issues.map((i) => i.path.join('.') || '(root)');
    throw new ConfigError(paths, `${source}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return { config: r.data, baseDir };
}

/** Reads `file` (JSON). */
export function loadConfigFile(file: string): LoadedConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(['CONFIG_FILE'], `${file}: ${(err as Error).message}`);
  }
  return parseConfig(raw, dirname(resolve(file)), file);
}

/** Resolves a path from the config against its directory. */
export function resolveFrom(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
