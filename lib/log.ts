/**
 * The project's structured logger (pino). One root logger; children carry per-call or
 * per-request fields (`log.child({ callId })`).
 *
 * Fields named in REDACT_PATHS are censored by pino itself so that a caller number or a
 * credential cannot reach a log line by accident; free text must go through
 * lib/redact.ts before it is logged.
 */
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'authorization',
  'password',
  'token',
  'authToken',
  'accessKeySecret',
  '*.authorization',
  '*.password',
  '*.token',
  '*.authToken',
  '*.accessKeySecret',
  'headers.authorization',
  'headers["x-twilio-signature"]',
];

/**
 * Creates a logger named `name`. Level from LOG_LEVEL (default info; "silent" in tests
 * unless LOG_LEVEL is set).
 */
export function createLogger(name: string): Logger {
  const level = process.env.LOG_LEVEL ?? (process.env.NODE_TEST_CONTEXT ? 'silent' : 'info');
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

export type { Logger };
