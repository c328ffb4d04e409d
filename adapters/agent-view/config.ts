/**
 * Screen pop settings (environment, validated once with lib/env.ts):
 *
 * | variable | meaning (default) |
 * |---|---|
 * | SCREEN_POP_SECRET | HMAC secret of the view links, at least 32 bytes (local only) |
 * | SCREEN_POP_SECRET_PARAM | SSM SecureString name holding that secret (AWS) |
 * | SCREEN_POP_LINK_TTL_SECONDS | how long a link stays valid after the transfer, 60-86400 (3600) |
 * | SCREEN_POP_MASK_DTMF | true: DTMF digits shown as dots (PINs, account numbers); false: as digits (true) |
 */
// The namespace import, not { z }: esbuild tree-shakes it, the { z } object would bring all of zod (~400 KB).
import * as z from 'zod/mini';
import { loadEnv } from '../../lib/env.ts';
import { readSecureParameter } from '../common/ssm.ts';
import { DEFAULT_LINK_TTL_SECONDS, MIN_SECRET_BYTES } from './link.ts';

export const ScreenPopEnv = z
  .object({
    SCREEN_POP_SECRET: z.optional(z.string().check(z.refine((s) => Buffer.byteLength(s, 'utf8') >= MIN_SECRET_BYTES, `must be at least ${MIN_SECRET_BYTES} bytes`))),
    SCREEN_POP_SECRET_PARAM: z.optional(z.string().check(z.regex(/^\/[\w./-]+$/, 'an SSM parameter name starting with /'))),
    SCREEN_POP_LINK_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(60), z.maximum(86_400)), DEFAULT_LINK_TTL_SECONDS),
    SCREEN_POP_MASK_DTMF: z.pipe(z._default(z.enum(['true', 'false']), 'true'), z.transform((v) => v === 'true')),
  })
  .check(
    z.refine((e) => Boolean(e.SCREEN_POP_SECRET || e.SCREEN_POP_SECRET_PARAM), {
      path: ['SCREEN_POP_SECRET'],
      message: 'set SCREEN_POP_SECRET (local) or SCREEN_POP_SECRET_PARAM (SSM SecureString)',
    }),
  );
export type ScreenPopEnv = z.infer<typeof ScreenPopEnv>;

/** @throws ConfigError naming each malformed or missing variable. */
export function loadScreenPopEnv(env: Record<string, string | undefined> = process.env): ScreenPopEnv {
  return loadEnv(ScreenPopEnv, env);
}

/**
 * The HMAC secret: SCREEN_POP_SECRET, else the SSM parameter (cached 5 min by Powertools).
 * @param read reads one decrypted SSM parameter by name (default Powertools getParameter,
 *   adapters/common/ssm.ts; the Twilio functions pass their own fetcher, tests a fake)
 * @throws Error when the SSM value is missing or shorter than 32 bytes; SSM errors as thrown.
 */
export async function screenPopSecret(e: ScreenPopEnv, read: (name: string) => Promise<string | undefined> = readSecureParameter): Promise<string> {
  if (e.SCREEN_POP_SECRET) return e.SCREEN_POP_SECRET;
  const v = (await read(e.SCREEN_POP_SECRET_PARAM!)) ?? '';
  if (Buffer.byteLength(v, 'utf8') < MIN_SECRET_BYTES) throw new Error(`SSM parameter ${e.SCREEN_POP_SECRET_PARAM} must hold at least ${MIN_SECRET_BYTES} bytes`);
  return v;
}
